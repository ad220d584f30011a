// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A QMP client for wirtd: one unix-socket connection to a wirt-vmm's
 * control socket, the capabilities handshake, synchronous commands and
 * blocking event reads. Replies are bounded (1 MiB a line).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirtd/wirtd.h"

#define QMPC_LINE_MAX (1 << 20)

struct qmpc {
	int fd;
	char *buf;
	size_t len, cap;
};

void qmpc_close(struct qmpc *q)
{
	if (!q)
		return;
	close(q->fd);
	free(q->buf);
	free(q);
}

/* read_line - the next line (without '\n') as parsed JSON into *out.
 * Returns 0, -EPIPE at EOF, -EPROTO for a bad or oversized line. */
static int read_line(struct qmpc *q, struct json_object **out)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		if (nl) {
			*nl = '\0';
			*out = json_tokener_parse(q->buf);
			q->len -= nl + 1 - q->buf;
			memmove(q->buf, nl + 1, q->len);
			if (*out)
				return 0;
			continue; /* not JSON: skip the line */
		}
		if (q->len == q->cap) {
			if (q->cap >= QMPC_LINE_MAX)
				return -EPROTO;
			q->cap = q->cap ? q->cap * 2 : 4096;
			q->buf = realloc(q->buf, q->cap);
			if (!q->buf)
				return -ENOMEM;
		}
		n = read(q->fd, q->buf + q->len, q->cap - q->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		q->len += n;
	}
}

/* try_connect - a unix-socket connection to path, or -errno. */
static int try_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

struct qmpc *qmpc_connect(const char *path, int timeout_ms, char *err,
			  size_t errlen)
{
	struct timespec d = { 0, 20 * 1000 * 1000 };
	struct json_object *greeting;
	struct qmpc *q;
	int fd, waited = 0;

	while ((fd = try_connect(path)) < 0 && waited < timeout_ms &&
	       (fd == -ENOENT || fd == -ECONNREFUSED)) {
		nanosleep(&d, NULL);
		waited += 20;
	}
	if (fd < 0) {
		snprintf(err, errlen,
			 "cannot connect to the VM's control socket '%s': %s",
			 path, strerror(-fd));
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		close(fd);
		return NULL;
	}
	q->fd = fd;
	if (read_line(q, &greeting) ||
	    !json_object_object_get_ex(greeting, "QMP", NULL)) {
		snprintf(err, errlen, "'%s' does not speak QMP", path);
		qmpc_close(q);
		return NULL;
	}
	json_object_put(greeting);
	if (qmpc_execute(q, "qmp_capabilities", NULL, NULL, err, errlen)) {
		qmpc_close(q);
		return NULL;
	}
	return q;
}

int qmpc_execute(struct qmpc *q, const char *cmd, struct json_object *args,
		 struct json_object **ret, char *err, size_t errlen)
{
	struct json_object *req = json_object_new_object(), *rep, *v, *desc;
	const char *s;
	size_t len;
	int r;

	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", args);
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	r = write_full(q->fd, s, len) == (ssize_t)len &&
			    write_full(q->fd, "\n", 1) == 1 ?
		    0 :
		    -EPIPE;
	json_object_put(req);
	while (!r) {
		r = read_line(q, &rep);
		if (r)
			break;
		if (json_object_object_get_ex(rep, "return", &v)) {
			if (ret)
				*ret = json_object_get(v);
			json_object_put(rep);
			return 0;
		}
		if (json_object_object_get_ex(rep, "error", &v)) {
			json_object_object_get_ex(v, "desc", &desc);
			snprintf(err, errlen, "%s: %s", cmd,
				 desc ? json_object_get_string(desc) : "error");
			json_object_put(rep);
			return -EIO;
		}
		json_object_put(rep); /* an event */
	}
	snprintf(err, errlen, "%s: the VM's control socket closed (%s)", cmd,
		 strerror(-r));
	return r;
}

int qmpc_read_event(struct qmpc *q, struct json_object **ev)
{
	int r;

	for (;;) {
		r = read_line(q, ev);
		if (r)
			return r;
		if (json_object_object_get_ex(*ev, "event", NULL))
			return 0;
		json_object_put(*ev);
	}
}
