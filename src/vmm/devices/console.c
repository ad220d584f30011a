// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host side of the guest console. Backends:
 *   stdio        input from stdin (raw terminal when it is a tty) with the
 *                Ctrl-A escape, output to stdout;
 *   file=PATH    output appended to PATH, no input;
 *   socket=PATH  unix stream socket server, one client at a time: a new
 *                client replaces (disconnects) the previous one;
 *   none         output dropped, no input.
 * One input thread per console polls its input and a wakeup eventfd, and
 * hands bytes to the sink. Output is written by the caller's thread
 * (vCPUs) under the console lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/devices/console.h"

#define ESCAPE_CHAR 0x01 /* Ctrl-A */
#define INPUT_CHUNK 512
#define SOCKET_STALL_MS 100 /* how long output waits for a slow client */

struct console {
	enum console_kind kind;
	struct console_sink sink;
	char path[sizeof(((struct console_config *)0)->path)];

	int in_fd; /* stdio input, -1 when none */
	int out_fd; /* stdio output or the file, -1 when none */
	bool own_out; /* out_fd is ours to close (file) */
	int listen_fd; /* socket server, -1 when none */
	int wake_fd; /* eventfd, readable once closing */

	pthread_mutex_t lock; /* serialises output; guards client_fd */
	int client_fd; /* socket client, -1 when none */
	bool client_stalled; /* last output to the client timed out */

	pthread_t thread;
	bool started;
	atomic_bool closing;
	bool escape_pending; /* input thread: Ctrl-A seen */
	bool made_raw; /* this console put the terminal in raw mode */
};

/* The terminal as it was before any console made it raw. */
static struct termios term_saved;
static volatile int term_fd = -1;
static volatile sig_atomic_t term_saved_valid;

static const char escape_help[] =
	"\r\nwirt console escapes: Ctrl-A x  quit | Ctrl-A Ctrl-A  send Ctrl-A | Ctrl-A h  this help\r\n";

/*
 * console_parse - parse a console spec into cfg.
 * Returns 0, or -EINVAL for an unknown kind or a missing/too long path.
 */
int console_parse(const char *spec, struct console_config *cfg)
{
	static const struct {
		const char *prefix;
		enum console_kind kind;
	} with_path[] = {
		{ "file=", CONSOLE_FILE },
		{ "socket=", CONSOLE_SOCKET },
	};
	unsigned int i;

	if (!spec || !cfg)
		return -EINVAL;
	memset(cfg, 0, sizeof(*cfg));
	if (!strcmp(spec, "stdio")) {
		cfg->kind = CONSOLE_STDIO;
		return 0;
	}
	if (!strcmp(spec, "none")) {
		cfg->kind = CONSOLE_NONE;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(with_path); i++) {
		size_t plen = strlen(with_path[i].prefix);
		const char *path = spec + plen;

		if (strncmp(spec, with_path[i].prefix, plen))
			continue;
		if (!*path || strlen(path) >= sizeof(cfg->path))
			return -EINVAL;
		cfg->kind = with_path[i].kind;
		strcpy(cfg->path, path);
		return 0;
	}
	return -EINVAL;
}

/* One line naming the accepted console specs. */
const char *console_parse_help(void)
{
	return "expected stdio, file=PATH, socket=PATH or none";
}

/*
 * console_restore_terminal - put back the termios saved before raw mode.
 * Async-signal-safe (only tcsetattr on saved state).
 */
void console_restore_terminal(void)
{
	if (term_saved_valid && term_fd >= 0)
		tcsetattr(term_fd, TCSANOW, &term_saved);
}

/*
 * Put terminal fd in raw mode for a guest console: no echo, no line
 * editing, no signals, no flow control or CR/NL translation on input, 8 bit.
 * Output processing is left as it was: the guest already sends "\r\n"
 * (an extra CR is invisible) and host messages keep their line breaks.
 * Saves the original termios the first time. Returns 0 or -errno.
 */
static int term_make_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t))
		return -errno;
	if (!term_saved_valid) {
		term_saved = t;
		term_fd = fd;
		atomic_signal_fence(memory_order_seq_cst);
		term_saved_valid = 1;
	}
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
		       ICRNL | IXON | IXOFF);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t))
		return -errno;
	return 0;
}

/* Restore the saved termios and forget it (console_close path). */
static void term_restore(void)
{
	console_restore_terminal();
	term_saved_valid = 0;
	term_fd = -1;
}

/* Allocate a console with every fd closed. Returns it or NULL. */
static struct console *console_alloc(enum console_kind kind,
				     const struct console_sink *sink)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->kind = kind;
	if (sink)
		c->sink = *sink;
	c->in_fd = -1;
	c->out_fd = -1;
	c->listen_fd = -1;
	c->client_fd = -1;
	atomic_init(&c->closing, false);
	pthread_mutex_init(&c->lock, NULL);
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	return c;
}

/* Close everything the console owns and free it (thread not running). */
static void console_free(struct console *c)
{
	if (c->made_raw)
		term_restore();
	if (c->client_fd >= 0)
		close(c->client_fd);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->path);
	}
	if (c->own_out && c->out_fd >= 0)
		close(c->out_fd);
	close(c->wake_fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/*
 * True when fd is our controlling terminal and we are not in its
 * foreground process group (started with "&"): changing its modes would
 * stop the process with SIGTTOU, and reading it would fail with EIO.
 */
static bool tty_in_background(int fd)
{
	pid_t fg = tcgetpgrp(fd);

	return fg >= 0 && fg != getpgrp();
}

/*
 * console_open_fds - a stdio-style console on in_fd/out_fd (Ctrl-A
 * escapes on input; raw mode when in_fd is a terminal, except that the
 * controlling terminal of a background job is left alone and not read).
 * The fds stay the caller's: console_close does not close them.
 * Returns 0 or -errno.
 */
int console_open_fds(struct console **out, int in_fd, int out_fd,
		     const struct console_sink *sink)
{
	struct console *c;
	int r;

	if (!out)
		return -EINVAL;
	c = console_alloc(CONSOLE_STDIO, sink);
	if (!c)
		return -ENOMEM;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	if (in_fd >= 0 && isatty(in_fd) && tty_in_background(in_fd)) {
		c->in_fd = -1; /* leave the shell's terminal alone */
	} else if (in_fd >= 0 && isatty(in_fd)) {
		r = term_make_raw(in_fd);
		if (r) {
			console_free(c);
			return r;
		}
		c->made_raw = true;
	}
	*out = c;
	return 0;
}

/* Open PATH for appending, mode 0600 when created. Returns fd or -errno. */
static int open_output_file(const char *path)
{
	int fd =
		open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
		     0600);

	return fd < 0 ? -errno : fd;
}

/*
 * Make sure path is free for a new socket: absent, or a socket nobody
 * listens on (removed). Returns 0, -EEXIST for another kind of file,
 * -EADDRINUSE when a server answers there, or -errno.
 */
static int socket_path_free(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	if (!r || errno == EAGAIN || errno == EINPROGRESS)
		r = -EADDRINUSE;
	else if (errno == ECONNREFUSED)
		r = unlink(sa->sun_path) && errno != ENOENT ? -errno : 0;
	else
		r = -errno;
	close(fd);
	return r;
}

/* Bind and listen on a unix socket at path (mode 0600). Returns fd or -errno. */
static int socket_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	r = socket_path_free(&sa);
	if (r)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	if (chmod(path, 0600) || listen(fd, 4)) {
		r = -errno;
		unlink(path);
		close(fd);
		return r;
	}
	return fd;
fail:
	r = -errno;
	close(fd);
	return r;
}

/*
 * console_open - open the backend of cfg. Returns 0 and the console in
 * *out, or -errno (-EINVAL bad config, -ENOENT missing directory, -EEXIST
 * socket path is another kind of file, -EADDRINUSE a live server owns the
 * socket path, -ENAMETOOLONG socket path too long). Prints nothing.
 */
int console_open(struct console **out, const struct console_config *cfg,
		 const struct console_sink *sink)
{
	struct console *c;
	int fd;

	if (!out || !cfg)
		return -EINVAL;
	switch (cfg->kind) {
	case CONSOLE_STDIO:
		return console_open_fds(out, STDIN_FILENO, STDOUT_FILENO, sink);
	case CONSOLE_NONE:
		c = console_alloc(cfg->kind, sink);
		break;
	case CONSOLE_FILE:
	case CONSOLE_SOCKET:
		if (!cfg->path[0] || !memchr(cfg->path, 0, sizeof(cfg->path)))
			return -EINVAL;
		fd = cfg->kind == CONSOLE_FILE ? open_output_file(cfg->path) :
						 socket_listen(cfg->path);
		if (fd < 0)
			return fd;
		c = console_alloc(cfg->kind, sink);
		if (!c) {
			close(fd);
			if (cfg->kind == CONSOLE_SOCKET)
				unlink(cfg->path);
			break;
		}
		strcpy(c->path, cfg->path);
		if (cfg->kind == CONSOLE_FILE) {
			c->out_fd = fd;
			c->own_out = true;
		} else {
			c->listen_fd = fd;
		}
		break;
	default:
		return -EINVAL;
	}
	if (!c)
		return -ENOMEM;
	*out = c;
	return 0;
}

static bool is_closing(struct console *c)
{
	return atomic_load(&c->closing);
}

/* Sleep up to ms milliseconds or until the console is closing. */
static void wait_wake(struct console *c, int ms)
{
	struct pollfd p = { .fd = c->wake_fd, .events = POLLIN };

	poll(&p, 1, ms);
}

/*
 * Hand buf to the sink, retrying until all of it is accepted or the
 * console is closing. A sink without input discards.
 */
static void deliver(struct console *c, const uint8_t *buf, size_t len)
{
	while (len && !is_closing(c)) {
		size_t n;

		if (!c->sink.input)
			return;
		n = c->sink.input(c->sink.opaque, buf, len);
		if (n > len)
			n = len;
		if (!n) {
			wait_wake(c, 10); /* a sink that does not block */
			continue;
		}
		buf += n;
		len -= n;
	}
}

/*
 * Apply the Ctrl-A escape to one chunk of stdio input and deliver the rest.
 * The escape state carries over chunk boundaries.
 */
static void stdio_input(struct console *c, const uint8_t *in, size_t len)
{
	uint8_t out[2 * INPUT_CHUNK];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		uint8_t b = in[i];

		if (!c->escape_pending) {
			if (b == ESCAPE_CHAR)
				c->escape_pending = true;
			else
				out[n++] = b;
			continue;
		}
		c->escape_pending = false;
		if (b == 'x') {
			deliver(c, out, n);
			n = 0;
			if (c->sink.quit)
				c->sink.quit(c->sink.opaque);
		} else if (b == 'h') {
			if (write(STDERR_FILENO, escape_help,
				  sizeof(escape_help) - 1) < 0) {
				/* nowhere to report it */
			}
		} else if (b == ESCAPE_CHAR) {
			out[n++] = ESCAPE_CHAR;
		} else {
			out[n++] = ESCAPE_CHAR;
			out[n++] = b;
		}
	}
	deliver(c, out, n);
}

/* Input thread of the stdio backend; EOF or an error ends input only. */
static void stdio_loop(struct console *c)
{
	struct pollfd p[2] = {
		{ .fd = c->wake_fd, .events = POLLIN },
		{ .fd = c->in_fd, .events = POLLIN },
	};
	uint8_t buf[INPUT_CHUNK];

	while (!is_closing(c)) {
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (!p[1].revents)
			continue;
		n = read(c->in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			p[1].fd = -1; /* EOF: stop reading, keep running */
			continue;
		}
		stdio_input(c, buf, n);
	}
}

/* Replace the socket client by fd (-1: none). Input thread only. */
static void set_client(struct console *c, int fd)
{
	pthread_mutex_lock(&c->lock);
	if (c->client_fd >= 0)
		close(c->client_fd);
	c->client_fd = fd;
	c->client_stalled = false;
	pthread_mutex_unlock(&c->lock);
}

/* Input thread of the socket backend: accept clients, read their input. */
static void socket_loop(struct console *c)
{
	struct pollfd p[3] = {
		{ .fd = c->wake_fd, .events = POLLIN },
		{ .fd = c->listen_fd, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
	};
	uint8_t buf[INPUT_CHUNK];

	while (!is_closing(c)) {
		ssize_t n;
		int fd;

		p[2].fd = c->client_fd; /* only this thread changes it */
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents) {
			fd = accept4(c->listen_fd, NULL, NULL,
				     SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd >= 0) {
				set_client(c, fd); /* newest client wins */
				continue;
			}
		}
		if (p[2].fd < 0 || !p[2].revents)
			continue;
		n = read(p[2].fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			set_client(c, -1); /* client left: wait for another */
			continue;
		}
		deliver(c, buf, n);
	}
}

static void *input_thread(void *arg)
{
	struct console *c = arg;

	if (c->kind == CONSOLE_SOCKET)
		socket_loop(c);
	else
		stdio_loop(c);
	return NULL;
}

/*
 * console_start - start the input thread (stdio and socket backends; the
 * others have no input). The thread runs with all signals blocked.
 * Returns 0, -EBUSY when already started, or -errno.
 */
int console_start(struct console *c)
{
	sigset_t all, old;
	int r;

	if (!c)
		return -EINVAL;
	if (c->started)
		return -EBUSY;
	if (c->kind != CONSOLE_SOCKET &&
	    (c->kind != CONSOLE_STDIO || c->in_fd < 0))
		return 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -thread_start(&c->thread, input_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return -r;
	c->started = true;
	return 0;
}

/*
 * Send buf to the socket client without blocking the vCPU for long: a
 * client that does not read for SOCKET_STALL_MS loses output until it
 * reads again. Caller holds the lock.
 */
static void socket_write(struct console *c, const uint8_t *buf, size_t len)
{
	while (len && c->client_fd >= 0) {
		struct pollfd p = { .fd = c->client_fd, .events = POLLOUT };
		ssize_t n = send(c->client_fd, buf, len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->client_stalled = false;
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN || c->client_stalled)
			return; /* gone or stalled: drop; the thread reaps */
		if (poll(&p, 1, SOCKET_STALL_MS) <= 0) {
			c->client_stalled = true;
			return;
		}
	}
}

/*
 * console_write - send guest output to the backend. Output is dropped for
 * "none", for a socket without a (reading) client, and on write errors.
 */
void console_write(struct console *c, const uint8_t *buf, size_t len)
{
	if (!c || !len || c->kind == CONSOLE_NONE)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->kind == CONSOLE_SOCKET)
		socket_write(c, buf, len);
	else if (c->out_fd >= 0 && write_full(c->out_fd, buf, len) < 0) {
		/* nowhere to report it: the console is the output */
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * console_close - stop the input thread (waking a blocked sink through
 * sink->wakeup), restore the terminal, close what the console opened and
 * remove its socket.
 */
void console_close(struct console *c)
{
	uint64_t one = 1;

	if (!c)
		return;
	atomic_store(&c->closing, true);
	if (write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow with one write */
	}
	if (c->sink.wakeup)
		c->sink.wakeup(c->sink.opaque);
	if (c->started)
		pthread_join(c->thread, NULL);
	console_free(c);
}
