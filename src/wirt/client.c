// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The client side of wirtd's socket protocol: connect, send one request,
 * read one reply line (with a file descriptor passed along it, for
 * `console`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirt/wirt.h"

#define REPLY_MAX (16 << 20)

int wc_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		snprintf(
			err, errlen,
			"failed to connect to the wirtd socket '%s': %s (is wirtd running? start it with 'systemctl start wirtd' or 'wirtd --root DIR')",
			path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

/* recv_line - one reply line into a malloc'd string; a descriptor that
 * came with it into *fd_out. NULL at EOF or on error. */
static char *recv_line(int sock, int *fd_out)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	size_t len = 0, cap = 0;
	char *buf = NULL, *nl, *p;
	struct cmsghdr *c;
	struct msghdr m;
	struct iovec iov;
	ssize_t n;

	for (;;) {
		if (len + 4096 > cap) {
			if (cap >= REPLY_MAX)
				break;
			cap = cap ? cap * 2 : 8192;
			p = realloc(buf, cap);
			if (!p)
				break;
			buf = p;
		}
		iov = (struct iovec){ buf + len, cap - len - 1 };
		m = (struct msghdr){ .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_RIGHTS && fd_out)
				memcpy(fd_out, CMSG_DATA(c), sizeof(int));
		len += n;
		buf[len] = '\0';
		nl = strchr(buf, '\n');
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

struct json_object *wc_call(int sock, const char *cmd, struct json_object *args,
			    int *fd_out, char *err, size_t errlen)
{
	struct json_object *req = json_object_new_object(), *rep, *v, *d;
	const char *s;
	char *line;
	size_t len;

	if (fd_out)
		*fd_out = -1;
	json_object_object_add(req, "command", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", args);
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	if (write_full(sock, s, len) != (ssize_t)len ||
	    write_full(sock, "\n", 1) != 1) {
		snprintf(err, errlen, "cannot send to wirtd: %s",
			 strerror(errno));
		json_object_put(req);
		return NULL;
	}
	json_object_put(req);
	line = recv_line(sock, fd_out);
	rep = line ? json_tokener_parse(line) : NULL;
	free(line);
	if (!rep) {
		snprintf(err, errlen,
			 "wirtd closed the connection without an answer");
		return NULL;
	}
	if (json_object_object_get_ex(rep, "return", &v)) {
		v = json_object_get(v);
		json_object_put(rep);
		return v;
	}
	if (json_object_object_get_ex(rep, "error", &v) &&
	    json_object_object_get_ex(v, "desc", &d))
		snprintf(err, errlen, "%s", json_object_get_string(d));
	else
		snprintf(err, errlen, "wirtd gave a malformed answer");
	json_object_put(rep);
	return NULL;
}
