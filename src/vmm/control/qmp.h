/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A QMP-compatible control socket server (QEMU Machine Protocol subset).
 *
 * Protocol: on connect the server sends a greeting
 *   {"QMP": {"version": {...}, "capabilities": []}}
 * and waits for {"execute": "qmp_capabilities"}; then it runs commands
 *   {"execute": NAME, "arguments": {...}, "id": ANY}
 * and answers {"return": ...} or {"error": {"class": C, "desc": D}}, echoing
 * "id". Events {"event": NAME, "data": {...}, "timestamp": {...}} go to
 * every client that finished negotiation.
 *
 * The server runs in its own event loop thread; command handlers run there,
 * one at a time. Output is written without blocking into a bounded queue
 * per client: a client that stops reading is dropped, never waited for.
 * Nothing in here knows about the VM: commands come from a table.
 */
#ifndef WIRT_VMM_QMP_H
#define WIRT_VMM_QMP_H

#include <json-c/json.h>
#include <stddef.h>

/* QMP error classes (QEMU's names). */
#define QMP_ERR_GENERIC "GenericError"
#define QMP_ERR_NOT_FOUND "CommandNotFound"
#define QMP_ERR_NOT_ACTIVE "DeviceNotActive"
#define QMP_ERR_DEV_NOT_FOUND "DeviceNotFound"

/* Limits applied to every client. */
#define QMP_MAX_CLIENTS 16
#define QMP_MAX_MSG (64 * 1024) /* one JSON request */
#define QMP_MAX_DEPTH 32 /* nesting of one request */
#define QMP_MAX_OUTQ (1024 * 1024) /* unread output before a drop */

struct qmp_error {
	const char *cls; /* one of QMP_ERR_* */
	char desc[256];
};

/* Fill e with class cls and a printf-style description; returns -1. */
int qmp_error_set(struct qmp_error *e, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Argument types a command declares (checked before its handler runs). */
enum qmp_type {
	QMP_T_STR,
	QMP_T_INT,
	QMP_T_BOOL,
	QMP_T_ANY,
};

struct qmp_arg {
	const char *name;
	enum qmp_type type;
	int required;
};

#define QMP_MAX_ARGS 8

/*
 * A command handler: args is the validated "arguments" object (never NULL;
 * an empty object when absent). Return 0 and optionally set *ret (owned by
 * the server; NULL means {}), or -1 after qmp_error_set(err...).
 */
typedef int (*qmp_handler)(void *opaque, struct json_object *args,
			   struct json_object **ret, struct qmp_error *err);

struct qmp_cmd {
	const char *name;
	qmp_handler fn;
	struct qmp_arg args[QMP_MAX_ARGS]; /* ends at name == NULL */
};

struct qmp_server;

/*
 * qmp_server_new - a server for the command table cmds (n entries, kept by
 * pointer) calling handlers with opaque. Returns NULL with errno set.
 */
struct qmp_server *qmp_server_new(const struct qmp_cmd *cmds, size_t n,
				  void *opaque);

/*
 * qmp_server_listen - listen on a new unix socket at path (mode 0600). A
 * stale socket file nobody serves is replaced; a live one is -EADDRINUSE,
 * any other file -EEXIST. Returns 0 or -errno.
 */
int qmp_server_listen(struct qmp_server *s, const char *path);

/*
 * qmp_server_add_client - serve an already connected stream socket (the
 * server owns fd from now on, also on failure). Sends the greeting.
 * Returns 0 or -errno (-EMFILE above QMP_MAX_CLIENTS).
 */
int qmp_server_add_client(struct qmp_server *s, int fd);

/* qmp_server_start - run the server thread. Returns 0 or -errno. */
int qmp_server_start(struct qmp_server *s);

/*
 * qmp_server_event - broadcast event name with data (may be NULL; the
 * server takes ownership) to every negotiated client. Any thread,
 * including a command handler. Never blocks on a client.
 */
void qmp_server_event(struct qmp_server *s, const char *name,
		      struct json_object *data);

/*
 * qmp_server_defer - from inside a command handler: call fn(arg) in the
 * server thread right after this command's reply is queued (e.g. quit
 * answers first, then stops the VM). One per command.
 */
void qmp_server_defer(struct qmp_server *s, void (*fn)(void *), void *arg);

/* Number of clients connected now (for tests). */
unsigned int qmp_server_nclients(struct qmp_server *s);

/*
 * qmp_server_free - stop the thread, give each client's queued output a
 * short last chance (at most ~200 ms in all), close everything and remove
 * the socket file. NULL is fine.
 */
void qmp_server_free(struct qmp_server *s);

#endif
