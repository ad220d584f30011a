/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host side of the guest console: stdio (raw terminal, Ctrl-A x quits,
 * Ctrl-A Ctrl-A sends Ctrl-A), an output file, or a unix socket server.
 * An input thread delivers bytes to a sink; output is written by callers.
 */
#ifndef WIRT_VMM_CONSOLE_H
#define WIRT_VMM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

enum console_kind {
	CONSOLE_STDIO,
	CONSOLE_FILE, /* output appended to a file, no input */
	CONSOLE_SOCKET, /* unix stream socket server, one client at a time */
	CONSOLE_NONE,
};

struct console_config {
	enum console_kind kind;
	char path[4096];
};

struct console_sink {
	/* deliver input; may block until the guest has room; returns accepted */
	size_t (*input)(void *opaque, const uint8_t *buf, size_t len);
	/* the user asked to quit (Ctrl-A x on stdio); input thread */
	void (*quit)(void *opaque);
	void *opaque;
	/*
	 * optional (may be NULL): make a blocked input() return promptly;
	 * console_close calls it after marking the console closing, e.g.
	 * with uart8250_wakeup().
	 */
	void (*wakeup)(void *opaque);
};

struct console;

/*
 * console_parse - parse "stdio", "file=PATH", "socket=PATH", "none".
 * Returns 0 or -EINVAL (with an error message naming the bad value printed
 * by the caller using console_parse_help()).
 */
int console_parse(const char *spec, struct console_config *cfg);
const char *console_parse_help(void);

/*
 * console_open - open the backend (terminal to raw mode when stdin is a tty,
 * file opened for appending and created 0600 when missing, socket bound
 * (mode 0600) and listening; a stale socket file is replaced, any other
 * existing file is refused with -EEXIST, a live server with -EADDRINUSE).
 * Returns 0 and the console in *out, or -errno; prints nothing, the caller
 * reports. The socket backend serves one client at a time: a new client
 * replaces (disconnects) the previous one.
 */
int console_open(struct console **out, const struct console_config *cfg,
		 const struct console_sink *sink);

/*
 * console_open_fds - a stdio-style console (Ctrl-A escapes) reading in_fd
 * and writing out_fd; raw mode when in_fd is a terminal. When in_fd is
 * the controlling terminal and the process is a background job, the
 * terminal is neither changed nor read (no SIGTTOU stop, output only).
 * The fds remain the caller's. console_open uses it for "stdio"; tests use it with pipes.
 * Returns 0 or -errno.
 */
int console_open_fds(struct console **out, int in_fd, int out_fd,
		     const struct console_sink *sink);

/*
 * Start the input thread (none for file and none). EOF on stdin ends input,
 * not the VM. Returns 0 or -errno.
 */
int console_start(struct console *c);

/*
 * Write guest output; thread-safe. Drops output when nobody listens
 * (socket without client, or a client not reading for 100 ms; none).
 * stdout and files are written with blocking writes.
 */
void console_write(struct console *c, const uint8_t *buf, size_t len);

/*
 * Stop the input thread, restore the terminal, close everything and remove
 * the socket file. No console_write may run concurrently.
 */
void console_close(struct console *c);

/*
 * console_restore_terminal - put a terminal the console made raw back as it
 * was. Async-signal-safe; called from fatal signal handlers and atexit.
 */
void console_restore_terminal(void);

#endif
