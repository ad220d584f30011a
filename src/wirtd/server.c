// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirtd's client sockets: a read-write socket (mode 0600; the peer must be
 * root or wirtd's own user, checked with SO_PEERCRED) and a read-only one
 * (mode 0666). Line-delimited JSON, one thread per connection, bounded
 * messages, a send timeout so that a client that never reads is dropped.
 * The protocol is described in the README ("wirtd's socket protocol").
 */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stddef.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirtd/wirtd.h"

#define MSG_MAX (1 << 20) /* bytes in one request line */
#define CLIENTS_MAX 64 /* connections per socket */
#define SEND_TIMEOUT_S 5

struct client {
	int fd;
	bool readonly;
};

static atomic_int nclients[2];
static int stop_pipe[2] = { -1, -1 };

static void say(int fd, const char *s)
{
	(void)!write(fd, s, strlen(s));
}

void server_stop(void)
{
	char c = 1;

	if (stop_pipe[1] >= 0)
		(void)!write(stop_pipe[1], &c, 1);
}

/* notify_systemd - READY=1 to $NOTIFY_SOCKET (Type=notify), if set. */
static void notify_systemd(void)
{
	const char *p = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!p || !*p || strlen(p) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, p, strlen(p));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(p);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa, len);
		close(fd);
	}
}

/* listen_on - a listening unix socket at path with mode. */
static int listen_on(const char *path, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		wirt_err("socket path '%s' is too long; use a shorter --root",
			 path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, mode) || listen(fd, 64)) {
		wirt_err("cannot listen on '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return fd;
}

/* send_reply - one JSON line, with fd (when >= 0) attached by SCM_RIGHTS.
 * Returns 0 or -errno (the client is then dropped). */
static int send_reply(int sock, struct json_object *rep, int fd)
{
	const char *s =
		json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)s, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		if (sendmsg(sock, &m, MSG_NOSIGNAL) != 1)
			return -errno;
		s++;
		len--;
	}
	if (write_full(sock, s, len) != (ssize_t)len ||
	    write_full(sock, "\n", 1) != 1)
		return -EPIPE;
	return 0;
}

/* handle - one request line: parse, dispatch, reply. Returns 0 to go on,
 * -errno to drop the client. */
static int handle(struct client *cl, const char *line)
{
	struct json_object *req = json_tokener_parse(line), *rep, *id = NULL,
			   *cmd = NULL, *args = NULL, *ret, *e;
	const char *errclass = "GenericError";
	char err[1024] = "";
	int fd = -1, r;

	rep = json_object_new_object();
	if (!req || !json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "command", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		ret = NULL;
		snprintf(
			err, sizeof(err),
			"a request is a JSON object with a \"command\" string");
	} else {
		json_object_object_get_ex(req, "id", &id);
		json_object_object_get_ex(req, "arguments", &args);
		ret = cmd_dispatch(json_object_get_string(cmd), args,
				   cl->readonly, cl, &errclass, err,
				   sizeof(err), &fd);
	}
	if (id)
		json_object_object_add(rep, "id", json_object_get(id));
	if (ret) {
		json_object_object_add(rep, "return", ret);
	} else {
		e = json_object_new_object();
		json_object_object_add(e, "class",
				       json_object_new_string(errclass));
		json_object_object_add(e, "desc", json_object_new_string(err));
		json_object_object_add(rep, "error", e);
	}
	r = send_reply(cl->fd, rep, fd);
	if (fd >= 0)
		close(fd);
	json_object_put(rep);
	json_object_put(req);
	return r;
}

static void *client_thread(void *arg)
{
	struct client *cl = arg;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl;
	ssize_t n;

	while (buf) {
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			if (handle(cl, buf))
				break;
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len);
			continue;
		}
		if (len == cap) {
			if (cap >= MSG_MAX) {
				say(cl->fd,
				    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"request longer than 1 MiB\"}}\n");
				break;
			}
			cap *= 2;
			nl = realloc(buf, cap);
			if (!nl)
				break;
			buf = nl;
		}
		n = read(cl->fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	free(buf);
	close(cl->fd);
	cmds_client_gone(cl);
	atomic_fetch_sub(&nclients[cl->readonly], 1);
	free(cl);
	return NULL;
}

static gid_t wirt_gid = (gid_t)-1; /* the "wirt" group, when it exists */

/* in_group - process pid has gid among its groups (/proc/PID/status). */
static bool in_group(pid_t pid, gid_t gid)
{
	char path[64], line[1024], *p, *end;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Groups:", 7))
			continue;
		for (p = line + 7; !found; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			found = g == gid;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* may_write - the peer of a read-write connection is root, wirtd's user,
 * or a member of the wirt group (SO_PEERCRED, not just the socket's mode). */
static bool may_write(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return false;
	if (cr.uid == 0 || cr.uid == geteuid())
		return true;
	return wirt_gid != (gid_t)-1 &&
	       (cr.gid == wirt_gid || in_group(cr.pid, wirt_gid));
}

static void accept_one(int lfd, bool readonly)
{
	struct timeval tv = { SEND_TIMEOUT_S, 0 };
	struct client *cl;
	pthread_attr_t at;
	pthread_t t;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (!readonly && !may_write(fd)) {
		say(fd,
		    "{\"error\":{\"class\":\"PermissionDenied\",\"desc\":\"the read-write socket is for root; use the read-only socket (wirt -r)\"}}\n");
		close(fd);
		return;
	}
	if (atomic_fetch_add(&nclients[readonly], 1) >= CLIENTS_MAX) {
		atomic_fetch_sub(&nclients[readonly], 1);
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	cl = malloc(sizeof(*cl));
	if (cl) {
		cl->fd = fd;
		cl->readonly = readonly;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (!pthread_create(&t, &at, client_thread, cl))
			cl = NULL;
		pthread_attr_destroy(&at);
	}
	if (cl) {
		free(cl);
		close(fd);
		atomic_fetch_sub(&nclients[readonly], 1);
	}
}

int server_run(const char *sock_rw, const char *sock_ro, int notify_fd)
{
	struct group *grp;
	struct pollfd p[3];
	int rw, ro, i;

	if (pipe2(stop_pipe, O_CLOEXEC))
		return -errno;
	grp = getgrnam("wirt");
	if (grp)
		wirt_gid = grp->gr_gid;
	rw = listen_on(sock_rw, grp ? 0660 : 0600);
	if (rw >= 0 && grp && chown(sock_rw, (uid_t)-1, wirt_gid))
		wirt_warn("cannot give '%s' to the wirt group: %s", sock_rw,
			  strerror(errno));
	ro = rw < 0 ? rw : listen_on(sock_ro, 0666);
	if (rw < 0 || ro < 0)
		return rw < 0 ? rw : ro;
	if (notify_fd >= 0) {
		(void)!write(notify_fd, "1", 1);
		close(notify_fd);
	}
	notify_systemd();
	p[0] = (struct pollfd){ .fd = rw, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = ro, .events = POLLIN };
	p[2] = (struct pollfd){ .fd = stop_pipe[0], .events = POLLIN };
	for (;;) {
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[2].revents)
			break;
		for (i = 0; i < 2; i++)
			if (p[i].revents & POLLIN)
				accept_one(p[i].fd, i == 1);
	}
	close(rw);
	close(ro);
	unlink(sock_rw);
	unlink(sock_ro);
	return 0;
}
