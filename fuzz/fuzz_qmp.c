// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the QMP server (src/vmm/control/qmp.c): JSON framing,
 * parse-error recovery, capabilities negotiation, request shape checks,
 * argument type checks and dispatch, replies, events and deferred work.
 * The input is one client's byte stream on a connected socket; the server
 * runs in its own thread as in wirt-vmm, and the fuzzer reads every reply
 * until the server, having seen the end of the stream, closes the client.
 * The command table has wirt-vmm's own balloon and QOM commands
 * (balloon-cmd.c, on a fake VM with a virtio-balloon) and commands of
 * every other argument shape, an event and deferred work.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "vmm/control/ctl.h"
#include "vmm/control/qmp.h"
#include "vmm/virtio/balloon.h"

static struct qmp_server *srv;
static struct vm vm;
static unsigned long deferred;

/* Echo the arguments back (every type passes through the reply). */
static int cmd_echo(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	*ret = json_object_get(args);
	return 0;
}

/* Fail with the given message, as a handler refusing its arguments. */
static int cmd_fail(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	struct json_object *m;

	json_object_object_get_ex(args, "msg", &m);
	return qmp_error_set(err, QMP_ERR_DEV_NOT_FOUND, "no device '%s'",
			     json_object_get_string(m));
}

/* Broadcast an event with the arguments as data. */
static int cmd_event(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err)
{
	qmp_server_event(srv, "FUZZ", json_object_get(args));
	return 0;
}

static void defer_fn(void *arg)
{
	deferred++;
}

/* Run something after the reply, as quit does. */
static int cmd_defer(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err)
{
	qmp_server_defer(srv, defer_fn, NULL);
	return 0;
}

static const struct qmp_cmd cmds[] = {
	{ .name = "query-status", .fn = cmd_echo },
	{ "balloon", cmd_balloon, { { "value", QMP_T_INT, 1 } } },
	{ .name = "query-balloon", .fn = cmd_query_balloon },
	{ "qom-list", cmd_qom_list, { { "path", QMP_T_STR, 1 } } },
	{ "qom-get",
	  cmd_qom_get,
	  { { "path", QMP_T_STR, 1 }, { "property", QMP_T_STR, 1 } } },
	{ "qom-set",
	  cmd_qom_set,
	  { { "path", QMP_T_STR, 1 },
	    { "property", QMP_T_STR, 1 },
	    { "value", QMP_T_ANY, 1 } } },
	{ "migrate",
	  cmd_echo,
	  { { "uri", QMP_T_STR, 1 },
	    { "detach", QMP_T_BOOL, 0 },
	    { "blk", QMP_T_BOOL, 0 } } },
	{ "device-fail", cmd_fail, { { "msg", QMP_T_STR, 1 } } },
	{ "event", cmd_event, { { "data", QMP_T_ANY, 0 } } },
	{ .name = "quit", .fn = cmd_defer },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[65536];
	size_t off = 0;
	int sv[2], idle = 0;

	if (!srv) {
		static struct vmm_config cfg;

		fz_vm_init(&vm, &cfg, FZ_RAM_SIZE);
		if (virtio_balloon_create(&vm, ""))
			__builtin_trap();
		srv = qmp_server_new(cmds, sizeof(cmds) / sizeof(cmds[0]), &vm);
		if (!srv || qmp_server_start(srv))
			__builtin_trap();
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	if (qmp_server_add_client(srv, sv[1]))
		__builtin_trap();
	if (!size)
		shutdown(sv[0], SHUT_WR);
	/* write the stream while reading replies, then wait for the close */
	for (;;) {
		struct pollfd p = { sv[0], POLLIN | (off < size ? POLLOUT : 0),
				    0 };
		int r = poll(&p, 1, 1000);
		ssize_t n;

		/* libFuzzer's -timeout SIGALRM interrupts poll(): not a hang */
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (!r && ++idle >= 30))
			__builtin_trap(); /* the server hangs */
		if (!r)
			continue;
		idle = 0;
		if (p.revents & POLLOUT) {
			n = send(sv[0], data + off, size - off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				off += n;
			else if (n < 0 && errno == EPIPE)
				off = size; /* the server dropped us */
			if (off == size)
				shutdown(sv[0], SHUT_WR);
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN))
				break;
		}
	}
	close(sv[0]);
	while (qmp_server_nclients(srv))
		usleep(10);
	return 0;
}
