// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QMP server: unix socket, clients, JSON framing, capabilities
 * negotiation, command dispatch with argument checks, events.
 *
 * Threads: everything about a client's input runs in the server's event
 * loop thread. Output may be queued from any thread (events) under the
 * server lock; it is written at once without blocking, and what the
 * socket does not take waits in the client's queue. Other threads never
 * touch the event loop registration of a client: they wake the loop
 * through an eventfd and the loop thread arms EPOLLOUT itself (the lock
 * order is always loop lock, then server lock).
 */
#include "vmm/control/qmp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/evloop.h"

#define QMP_READ_CHUNK 4096
#define QMP_FLUSH_MS 200

struct qmp_client {
	struct qmp_server *s;
	int fd;
	bool negotiated;
	bool dead; /* dropped: the loop closes it at its next event */
	bool skipping; /* discarding input up to the next newline */
	bool armed; /* EPOLLOUT is being watched */
	struct json_tokener *tok;
	size_t msg_bytes; /* bytes of the request being parsed */
	char *out;
	size_t out_len, out_cap;
	struct qmp_client *next;
};

struct qmp_server {
	const struct qmp_cmd *cmds;
	size_t ncmds;
	void *opaque;
	struct evloop *loop;
	int listen_fd;
	int kick_fd;
	char *path;
	pthread_mutex_t lock; /* clients list and every output queue */
	struct qmp_client *clients;
	unsigned int nclients;
	void (*defer_fn)(void *); /* set by a handler: runs after its reply */
	void *defer_arg;
};

int qmp_error_set(struct qmp_error *e, const char *cls, const char *fmt, ...)
{
	va_list ap;

	e->cls = cls;
	va_start(ap, fmt);
	vsnprintf(e->desc, sizeof(e->desc), fmt, ap);
	va_end(ap);
	return -1;
}

/* Drop client c (lock held): the loop thread closes it on the HUP. */
static void drop_locked(struct qmp_client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	shutdown(c->fd, SHUT_RDWR);
}

/*
 * Write as much of c's queue as the socket takes now (lock held). Returns
 * true when the queue is empty afterwards.
 */
static bool flush_locked(struct qmp_client *c)
{
	while (c->out_len && !c->dead) {
		ssize_t n = send(c->fd, c->out, c->out_len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0) {
			drop_locked(c);
			break;
		}
		memmove(c->out, c->out + n, c->out_len - n);
		c->out_len -= n;
	}
	return c->out_len == 0;
}

/*
 * Queue len bytes for c and write what the socket takes (lock held). A
 * client whose queue would pass QMP_MAX_OUTQ is dropped. Returns true when
 * output is left waiting (EPOLLOUT must be armed).
 */
static bool send_locked(struct qmp_client *c, const char *buf, size_t len)
{
	if (c->dead)
		return false;
	if (c->out_len + len > QMP_MAX_OUTQ) {
		drop_locked(c);
		return false;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = MAX(c->out_cap * 2, c->out_len + len);
		char *p = realloc(c->out, cap);

		if (!p) {
			drop_locked(c);
			return false;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return !flush_locked(c) && !c->armed;
}

/* Watch c for output too (loop thread, lock held). */
static void arm_locked(struct qmp_client *c)
{
	if (c->armed || c->dead || !c->out_len)
		return;
	if (!evloop_mod(c->s->loop, c->fd, EPOLLIN | EPOLLOUT))
		c->armed = true;
}

/* From any thread: make the loop arm EPOLLOUT where output waits. */
static void kick(struct qmp_server *s)
{
	uint64_t one = 1;

	(void)!write(s->kick_fd, &one, sizeof(one));
}

/* Serialize obj and queue it, with QMP's CRLF, for c (lock held). */
static bool send_obj_locked(struct qmp_client *c, struct json_object *obj)
{
	size_t len;
	const char *str = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN, &len);
	bool pending;

	pending = send_locked(c, str, len);
	pending |= send_locked(c, "\r\n", 2);
	return pending;
}

/* Send obj to c from the loop thread; consumes obj. */
static void reply(struct qmp_client *c, struct json_object *obj)
{
	struct qmp_server *s = c->s;

	pthread_mutex_lock(&s->lock);
	if (send_obj_locked(c, obj))
		arm_locked(c);
	pthread_mutex_unlock(&s->lock);
	json_object_put(obj);
}

static void reply_error(struct qmp_client *c, struct json_object *id,
			const char *cls, const char *desc)
{
	struct json_object *o = json_object_new_object();
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "class", json_object_new_string(cls));
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(o, "error", e);
	if (id)
		json_object_object_add(o, "id", json_object_get(id));
	reply(c, o);
}

static void reply_return(struct qmp_client *c, struct json_object *id,
			 struct json_object *ret)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "return",
			       ret ? ret : json_object_new_object());
	if (id)
		json_object_object_add(o, "id", json_object_get(id));
	reply(c, o);
}

/* The version object of the greeting and of query-version. */
static struct json_object *version_obj(void)
{
	struct json_object *v = json_object_new_object();
	struct json_object *q = json_object_new_object();

	/* the QEMU release whose QMP behaviour this subset follows */
	json_object_object_add(q, "micro", json_object_new_int(0));
	json_object_object_add(q, "minor", json_object_new_int(2));
	json_object_object_add(q, "major", json_object_new_int(7));
	json_object_object_add(v, "qemu", q);
	json_object_object_add(v, "package",
			       json_object_new_string("wirt-vmm 0.1.0"));
	return v;
}

static struct json_object *greeting(void)
{
	struct json_object *g = json_object_new_object();
	struct json_object *q = json_object_new_object();

	json_object_object_add(q, "version", version_obj());
	json_object_object_add(q, "capabilities", json_object_new_array());
	json_object_object_add(g, "QMP", q);
	return g;
}

static const char *type_name(enum qmp_type t)
{
	switch (t) {
	case QMP_T_STR:
		return "string";
	case QMP_T_INT:
		return "integer";
	case QMP_T_BOOL:
		return "boolean";
	default:
		return "any";
	}
}

static bool type_ok(enum qmp_type t, struct json_object *v)
{
	switch (t) {
	case QMP_T_STR:
		return json_object_is_type(v, json_type_string);
	case QMP_T_INT:
		return json_object_is_type(v, json_type_int);
	case QMP_T_BOOL:
		return json_object_is_type(v, json_type_boolean);
	default:
		return true;
	}
}

/*
 * check_args - args against cmd's declared parameters: no unknown ones,
 * required ones present, each of its type. Returns 0 or -1 (err set).
 */
static int check_args(const struct qmp_cmd *cmd, struct json_object *args,
		      struct qmp_error *err)
{
	const struct qmp_arg *a;

	json_object_object_foreach(args, key, val)
	{
		for (a = cmd->args; a->name; a++)
			if (!strcmp(a->name, key))
				break;
		if (!a->name)
			return qmp_error_set(err, QMP_ERR_GENERIC,
					     "Parameter '%.64s' is unexpected",
					     key);
		if (!type_ok(a->type, val))
			return qmp_error_set(
				err, QMP_ERR_GENERIC,
				"Invalid parameter type for '%s', expected: %s",
				a->name, type_name(a->type));
	}
	for (a = cmd->args; a->name; a++)
		if (a->required &&
		    !json_object_object_get_ex(args, a->name, NULL))
			return qmp_error_set(err, QMP_ERR_GENERIC,
					     "Parameter '%s' is missing",
					     a->name);
	return 0;
}

static const struct qmp_cmd *find_cmd(struct qmp_server *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ncmds; i++)
		if (!strcmp(s->cmds[i].name, name))
			return &s->cmds[i];
	return NULL;
}

/* qmp_capabilities: no capability is offered, so "enable" must be empty. */
static int negotiate(struct qmp_client *c, struct json_object *args,
		     struct qmp_error *err)
{
	struct json_object *en;
	size_t i;

	json_object_object_foreach(args, key, val)
	{
		(void)val;
		if (strcmp(key, "enable"))
			return qmp_error_set(err, QMP_ERR_GENERIC,
					     "Parameter '%.64s' is unexpected",
					     key);
	}
	if (json_object_object_get_ex(args, "enable", &en)) {
		if (!json_object_is_type(en, json_type_array))
			return qmp_error_set(
				err, QMP_ERR_GENERIC,
				"Invalid parameter type for 'enable', expected: array");
		for (i = 0; i < json_object_array_length(en); i++) {
			struct json_object *v =
				json_object_array_get_idx(en, i);

			return qmp_error_set(
				err, QMP_ERR_GENERIC,
				"Capability '%.64s' not available",
				json_object_is_type(v, json_type_string) ?
					json_object_get_string(v) :
					"?");
		}
	}
	c->negotiated = true;
	return 0;
}

static struct json_object *list_commands(struct qmp_server *s)
{
	struct json_object *a = json_object_new_array();
	static const char *const builtin[] = { "qmp_capabilities",
					       "query-commands",
					       "query-version" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(builtin) + s->ncmds; i++) {
		struct json_object *o = json_object_new_object();
		const char *n = i < ARRAY_SIZE(builtin) ?
					builtin[i] :
					s->cmds[i - ARRAY_SIZE(builtin)].name;

		json_object_object_add(o, "name", json_object_new_string(n));
		json_object_array_add(a, o);
	}
	return a;
}

/*
 * run - execute command name with args for c. Returns 0 with *ret, or -1
 * with err set.
 */
static int run(struct qmp_client *c, const char *name, struct json_object *args,
	       struct json_object **ret, struct qmp_error *err)
{
	struct qmp_server *s = c->s;
	const struct qmp_cmd *cmd;

	if (!c->negotiated) {
		if (strcmp(name, "qmp_capabilities"))
			return qmp_error_set(
				err, QMP_ERR_NOT_FOUND,
				"Expecting capabilities negotiation with 'qmp_capabilities'");
		return negotiate(c, args, err);
	}
	if (!strcmp(name, "qmp_capabilities"))
		return qmp_error_set(
			err, QMP_ERR_NOT_FOUND,
			"Capabilities negotiation is already complete, command ignored");
	if (!strcmp(name, "query-commands") || !strcmp(name, "query-version")) {
		if (json_object_object_length(args))
			return qmp_error_set(err, QMP_ERR_GENERIC,
					     "Parameter '%s' is unexpected",
					     "arguments");
		*ret = name[6] == 'c' ? list_commands(s) : version_obj();
		return 0;
	}
	cmd = find_cmd(s, name);
	if (!cmd)
		return qmp_error_set(err, QMP_ERR_NOT_FOUND,
				     "The command %.64s has not been found",
				     name);
	if (check_args(cmd, args, err))
		return -1;
	return cmd->fn(s->opaque, args, ret, err);
}

/* Check the request's shape, run it and answer. */
static void handle_request(struct qmp_client *c, struct json_object *req)
{
	struct json_object *id = NULL, *exe = NULL, *args = NULL, *ret = NULL;
	struct json_object *empty = NULL;
	struct qmp_error err = { QMP_ERR_GENERIC, "" };
	int r;

	if (!json_object_is_type(req, json_type_object)) {
		reply_error(c, NULL, QMP_ERR_GENERIC,
			    "QMP input must be a JSON object");
		return;
	}
	json_object_object_get_ex(req, "id", &id);
	json_object_object_foreach(req, key, val)
	{
		(void)val;
		if (strcmp(key, "execute") && strcmp(key, "arguments") &&
		    strcmp(key, "id")) {
			qmp_error_set(&err, QMP_ERR_GENERIC,
				      "QMP input member '%.64s' is unexpected",
				      key);
			reply_error(c, id, err.cls, err.desc);
			return;
		}
	}
	if (!json_object_object_get_ex(req, "execute", &exe)) {
		reply_error(c, id, QMP_ERR_GENERIC,
			    "QMP input lacks member 'execute'");
		return;
	}
	if (!json_object_is_type(exe, json_type_string)) {
		reply_error(c, id, QMP_ERR_GENERIC,
			    "QMP input member 'execute' must be a string");
		return;
	}
	if (json_object_object_get_ex(req, "arguments", &args) &&
	    !json_object_is_type(args, json_type_object)) {
		reply_error(c, id, QMP_ERR_GENERIC,
			    "QMP input member 'arguments' must be an object");
		return;
	}
	if (!args)
		args = empty = json_object_new_object();
	r = run(c, json_object_get_string(exe), args, &ret, &err);
	json_object_put(empty);
	if (r)
		reply_error(c, id, err.cls, err.desc);
	else
		reply_return(c, id, ret);
	if (c->s->defer_fn) {
		void (*fn)(void *) = c->s->defer_fn;

		c->s->defer_fn = NULL;
		fn(c->s->defer_arg);
	}
}

/* After bad input: reply once, forget the partial request, skip the line. */
static void parse_failed(struct qmp_client *c, const char *why)
{
	char desc[160];

	snprintf(desc, sizeof(desc), "JSON parse error, %s", why);
	reply_error(c, NULL, QMP_ERR_GENERIC, desc);
	json_tokener_reset(c->tok);
	c->msg_bytes = 0;
	c->skipping = true;
}

/*
 * Feed len bytes of input to c's parser, handling each complete request.
 * Requests are a JSON stream; after a parse error the rest of the line is
 * discarded so that the next line starts clean.
 */
static void feed(struct qmp_client *c, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len && !c->dead) {
		struct json_object *obj;
		enum json_tokener_error e;
		size_t n;

		if (c->skipping) {
			const char *nl = memchr(buf + off, '\n', len - off);

			if (!nl)
				return;
			off = nl - buf + 1;
			c->skipping = false;
			continue;
		}
		if (!c->msg_bytes && isspace((unsigned char)buf[off])) {
			off++;
			continue;
		}
		n = MIN(len - off, (size_t)QMP_MAX_MSG + 1 - c->msg_bytes);
		obj = json_tokener_parse_ex(c->tok, buf + off, n);
		e = json_tokener_get_error(c->tok);
		if (e == json_tokener_continue) {
			c->msg_bytes += n;
			off += n;
			if (c->msg_bytes > QMP_MAX_MSG)
				parse_failed(c,
					     "request larger than 65536 bytes");
			continue;
		}
		if (e != json_tokener_success) {
			parse_failed(c, e == json_tokener_error_depth ?
						"nesting too deep" :
						json_tokener_error_desc(e));
			continue;
		}
		off += json_tokener_get_parse_end(c->tok);
		c->msg_bytes = 0;
		handle_request(c, obj);
		json_object_put(obj);
	}
}

static void client_close(struct qmp_client *c)
{
	struct qmp_server *s = c->s;
	struct qmp_client **pp;

	evloop_del(s->loop, c->fd);
	pthread_mutex_lock(&s->lock);
	for (pp = &s->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			s->nclients--;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	close(c->fd);
	json_tokener_free(c->tok);
	free(c->out);
	free(c);
}

static void client_event(void *opaque, int fd, uint32_t events)
{
	struct qmp_client *c = opaque;
	struct qmp_server *s = c->s;
	char buf[QMP_READ_CHUNK];
	bool dead;
	ssize_t n;

	if (events & EPOLLOUT) {
		pthread_mutex_lock(&s->lock);
		if (flush_locked(c) && c->armed &&
		    !evloop_mod(s->loop, fd, EPOLLIN))
			c->armed = false;
		pthread_mutex_unlock(&s->lock);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_close(c);
			return;
		}
		feed(c, buf, n);
	}
	pthread_mutex_lock(&s->lock);
	dead = c->dead;
	pthread_mutex_unlock(&s->lock);
	if (dead)
		client_close(c);
}

int qmp_server_add_client(struct qmp_server *s, int fd)
{
	struct qmp_client *c;
	struct json_object *g;
	int r;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->s = s;
	c->fd = fd;
	c->tok = json_tokener_new_ex(QMP_MAX_DEPTH);
	if (!c->tok) {
		r = -ENOMEM;
		goto fail;
	}
	/* replies echo request strings: never let bytes that are not UTF-8 in */
	json_tokener_set_flags(c->tok, JSON_TOKENER_VALIDATE_UTF8);
	pthread_mutex_lock(&s->lock);
	if (s->nclients >= QMP_MAX_CLIENTS) {
		pthread_mutex_unlock(&s->lock);
		r = -EMFILE;
		goto fail;
	}
	c->next = s->clients;
	s->clients = c;
	s->nclients++;
	g = greeting();
	send_obj_locked(c, g);
	json_object_put(g);
	pthread_mutex_unlock(&s->lock);
	r = evloop_add(s->loop, fd, EPOLLIN, client_event, c);
	if (r) {
		pthread_mutex_lock(&s->lock);
		s->clients = c->next;
		s->nclients--;
		pthread_mutex_unlock(&s->lock);
		goto fail;
	}
	kick(s);
	return 0;
fail:
	json_tokener_free(c->tok);
	free(c->out);
	free(c);
	close(fd);
	return r;
}

static void accept_event(void *opaque, int fd, uint32_t events)
{
	struct qmp_server *s = opaque;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return;
	if (qmp_server_add_client(s, cfd) == -EMFILE)
		wirt_warn(
			"control socket: refused a client: already %d connected",
			QMP_MAX_CLIENTS);
}

/* The kick eventfd: arm EPOLLOUT for clients with queued output. */
static void kick_event(void *opaque, int fd, uint32_t events)
{
	struct qmp_server *s = opaque;
	struct qmp_client *c, *dead = NULL;
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
	pthread_mutex_lock(&s->lock);
	for (c = s->clients; c; c = c->next) {
		arm_locked(c);
		if (c->dead && !dead)
			dead = c;
	}
	pthread_mutex_unlock(&s->lock);
	if (dead) {
		client_close(dead);
		kick(s); /* more may be dead: look again */
	}
}

struct qmp_server *qmp_server_new(const struct qmp_cmd *cmds, size_t n,
				  void *opaque)
{
	struct qmp_server *s = calloc(1, sizeof(*s));
	int e;

	if (!s)
		return NULL;
	s->cmds = cmds;
	s->ncmds = n;
	s->opaque = opaque;
	s->listen_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->loop = evloop_new("qmp");
	if (s->kick_fd < 0 || !s->loop ||
	    (e = evloop_add(s->loop, s->kick_fd, EPOLLIN, kick_event, s))) {
		e = errno ? errno : ENOMEM;
		qmp_server_free(s);
		errno = e;
		return NULL;
	}
	return s;
}

/* Is a server answering on path? (a refused connect means a stale file) */
static bool socket_alive(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return true;
	alive = !connect(fd, (const struct sockaddr *)a, sizeof(*a));
	close(fd);
	return alive;
}

int qmp_server_listen(struct qmp_server *s, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (socket_alive(&a))
			return -EADDRINUSE;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
	umask(old);
	if (!r && chmod(path, 0600))
		r = -errno;
	if (!r && listen(fd, 8))
		r = -errno;
	if (!r)
		r = evloop_add(s->loop, fd, EPOLLIN, accept_event, s);
	if (r) {
		close(fd);
		return r;
	}
	s->listen_fd = fd;
	s->path = strdup(path);
	return 0;
}

int qmp_server_start(struct qmp_server *s)
{
	int r = evloop_start(s->loop);

	if (!r)
		kick(s);
	return r;
}

void qmp_server_event(struct qmp_server *s, const char *name,
		      struct json_object *data)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ts = json_object_new_object();
	struct qmp_client *c;
	struct timespec now;
	bool pending = false;

	clock_gettime(CLOCK_REALTIME, &now);
	json_object_object_add(ts, "seconds",
			       json_object_new_int64(now.tv_sec));
	json_object_object_add(ts, "microseconds",
			       json_object_new_int64(now.tv_nsec / 1000));
	json_object_object_add(o, "event", json_object_new_string(name));
	if (data)
		json_object_object_add(o, "data", data);
	json_object_object_add(o, "timestamp", ts);
	if (!s) {
		json_object_put(o);
		return;
	}
	pthread_mutex_lock(&s->lock);
	for (c = s->clients; c; c = c->next)
		if (c->negotiated)
			pending |= send_obj_locked(c, o);
	pthread_mutex_unlock(&s->lock);
	json_object_put(o);
	if (pending)
		kick(s);
}

void qmp_server_defer(struct qmp_server *s, void (*fn)(void *), void *arg)
{
	s->defer_fn = fn;
	s->defer_arg = arg;
}

unsigned int qmp_server_nclients(struct qmp_server *s)
{
	unsigned int n;

	pthread_mutex_lock(&s->lock);
	n = s->nclients;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC), at least 0. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

void qmp_server_free(struct qmp_server *s)
{
	struct timespec deadline;
	struct qmp_client *c;

	if (!s)
		return;
	if (s->loop)
		evloop_stop(s->loop);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += QMP_FLUSH_MS * 1000000L;
	deadline.tv_sec += deadline.tv_nsec / 1000000000L;
	deadline.tv_nsec %= 1000000000L;
	while ((c = s->clients)) {
		struct pollfd p = { c->fd, POLLOUT, 0 };

		while (!flush_locked(c) && poll(&p, 1, ms_left(&deadline)) > 0)
			;
		s->clients = c->next;
		close(c->fd);
		json_tokener_free(c->tok);
		free(c->out);
		free(c);
	}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->path) {
		unlink(s->path);
		free(s->path);
	}
	evloop_free(s->loop);
	if (s->kick_fd >= 0)
		close(s->kick_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
