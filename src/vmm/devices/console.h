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
	/* the user asked to quit (Ctrl-A x on stdio) */
	void (*quit)(void *opaque);
	void *opaque;
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
 * file created/truncated, socket bound and listening). Returns 0 and the
 * console in *out, or -errno; prints nothing, the caller reports.
 */
int console_open(struct console **out, const struct console_config *cfg,
		 const struct console_sink *sink);

/* Start the input thread. Returns 0 or -errno. */
int console_start(struct console *c);

/* Write guest output; drops output when nobody listens (socket). */
void console_write(struct console *c, const uint8_t *buf, size_t len);

/* Stop the input thread, restore the terminal, close everything. */
void console_close(struct console *c);

/*
 * console_restore_terminal - put a terminal the console made raw back as it
 * was. Async-signal-safe; called from fatal signal handlers and atexit.
 */
void console_restore_terminal(void);

#endif
