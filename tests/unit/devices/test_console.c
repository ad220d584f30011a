// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the console backends: parse, file, socket, stdio escapes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/devices/console.h"

/* A sink that records input; optionally takes one byte per call or blocks. */
struct rec {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t buf[65536];
	size_t len;
	int quits;
	int wakeups;
	bool one_at_a_time;
	bool block; /* input() waits until wakeup */
	bool blocked; /* input() is waiting */
};

static size_t rec_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct rec *r = opaque;

	pthread_mutex_lock(&r->lock);
	if (r->block) {
		r->blocked = true;
		pthread_cond_broadcast(&r->cond);
		while (!r->wakeups)
			pthread_cond_wait(&r->cond, &r->lock);
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	if (r->one_at_a_time && len > 1)
		len = 1;
	if (len > sizeof(r->buf) - r->len)
		len = sizeof(r->buf) - r->len;
	memcpy(r->buf + r->len, buf, len);
	r->len += len;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return len;
}

static void rec_quit(void *opaque)
{
	struct rec *r = opaque;

	pthread_mutex_lock(&r->lock);
	r->quits++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void rec_wakeup(void *opaque)
{
	struct rec *r = opaque;

	pthread_mutex_lock(&r->lock);
	r->wakeups++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static struct rec *rec_new(struct console_sink *sink)
{
	struct rec *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	sink->input = rec_input;
	sink->quit = rec_quit;
	sink->wakeup = rec_wakeup;
	sink->opaque = r;
	return r;
}

static void rec_free(struct rec *r)
{
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* Wait up to 5 s until the sink holds at least len bytes or quits >= q. */
static void rec_wait(struct rec *r, size_t len, int quits)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&r->lock);
	while (r->len < len || r->quits < quits) {
		if (pthread_cond_timedwait(&r->cond, &r->lock, &ts))
			break;
	}
	pthread_mutex_unlock(&r->lock);
	assert_true(r->len >= len);
	assert_true(r->quits >= quits);
}

static void make_tmpdir(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/wirt-console-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void test_parse(void **state)
{
	static const char *bad[] = { "",	"tty",	  "file",  "file=",
				     "socket=", "stdio2", "Stdio", "socket",
				     "none=x",	"pty" };
	struct console_config cfg;
	char *longspec;
	unsigned int i;

	(void)state;
	assert_int_equal(console_parse("stdio", &cfg), 0);
	assert_int_equal(cfg.kind, CONSOLE_STDIO);
	assert_int_equal(console_parse("none", &cfg), 0);
	assert_int_equal(cfg.kind, CONSOLE_NONE);
	assert_int_equal(console_parse("file=/var/log/vm.log", &cfg), 0);
	assert_int_equal(cfg.kind, CONSOLE_FILE);
	assert_string_equal(cfg.path, "/var/log/vm.log");
	assert_int_equal(console_parse("socket=/run/vm.sock", &cfg), 0);
	assert_int_equal(cfg.kind, CONSOLE_SOCKET);
	assert_string_equal(cfg.path, "/run/vm.sock");
	assert_int_equal(console_parse("file=a=b", &cfg), 0);
	assert_string_equal(cfg.path, "a=b");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(console_parse(bad[i], &cfg), -EINVAL);
	assert_int_equal(console_parse(NULL, &cfg), -EINVAL);

	longspec = malloc(5 + 4096 + 1);
	assert_non_null(longspec);
	memcpy(longspec, "file=", 5);
	memset(longspec + 5, 'a', 4096);
	longspec[5 + 4096] = 0;
	assert_int_equal(console_parse(longspec, &cfg), -EINVAL);
	longspec[5 + 4095] = 0; /* 4095 chars: fits with the NUL */
	assert_int_equal(console_parse(longspec, &cfg), 0);
	free(longspec);

	assert_non_null(strstr(console_parse_help(), "socket=PATH"));
	assert_non_null(strstr(console_parse_help(), "file=PATH"));
	assert_null(strchr(console_parse_help(), '\n'));
}

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = 0;
	close(fd);
}

static void test_file(void **state)
{
	struct console_config cfg = { .kind = CONSOLE_FILE };
	struct console *c;
	char dir[64], buf[64];
	struct stat st;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	snprintf(cfg.path, sizeof(cfg.path), "%s/serial.log", dir);
	assert_int_equal(console_open(&c, &cfg, NULL), 0);
	assert_int_equal(console_start(c), 0); /* no input: no thread */
	console_write(c, (const uint8_t *)"boot\r\n", 6);
	console_close(c);
	assert_int_equal(stat(cfg.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* appends */
	assert_int_equal(console_open(&c, &cfg, NULL), 0);
	console_write(c, (const uint8_t *)"again", 5);
	console_close(c);
	read_file(cfg.path, buf, sizeof(buf));
	assert_string_equal(buf, "boot\r\nagain");
	unlink(cfg.path);

	/* missing directory */
	snprintf(cfg.path, sizeof(cfg.path), "%s/nodir/serial.log", dir);
	assert_int_equal(console_open(&c, &cfg, NULL), -ENOENT);
	cfg.path[0] = 0;
	assert_int_equal(console_open(&c, &cfg, NULL), -EINVAL);
	rmdir(dir);
}

static void test_none(void **state)
{
	struct console_config cfg = { .kind = CONSOLE_NONE };
	struct console *c;

	(void)state;
	assert_int_equal(console_open(&c, &cfg, NULL), 0);
	assert_int_equal(console_start(c), 0);
	console_write(c, (const uint8_t *)"dropped", 7);
	console_close(c);
	cfg.kind = (enum console_kind)42;
	assert_int_equal(console_open(&c, &cfg, NULL), -EINVAL);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Read exactly len bytes from fd within 5 s. */
static void read_exact(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&p, 1, 5000), 1);
		n = read(fd, buf + got, len - got);
		assert_true(n > 0);
		got += n;
	}
}

/* Send a marker and wait for the sink, so the console has the client. */
static void send_and_wait(int fd, struct rec *r, const char *s)
{
	size_t before = r->len;

	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	rec_wait(r, before + strlen(s), 0);
	assert_memory_equal(r->buf + before, s, strlen(s));
}

static void test_socket(void **state)
{
	struct console_config cfg = { .kind = CONSOLE_SOCKET };
	struct console_sink sink;
	struct rec *r = rec_new(&sink);
	struct console *c;
	char dir[64], buf[64];
	struct stat st;
	int a, b;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	snprintf(cfg.path, sizeof(cfg.path), "%s/console.sock", dir);
	assert_int_equal(console_open(&c, &cfg, &sink), 0);
	assert_int_equal(stat(cfg.path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(console_start(c), 0);
	assert_int_equal(console_start(c), -EBUSY);

	console_write(c, (const uint8_t *)"nobody", 6); /* dropped */
	a = connect_to(cfg.path);
	send_and_wait(a, r, "uname -a\r");
	console_write(c, (const uint8_t *)"Linux\r\n", 7);
	read_exact(a, buf, 7);
	assert_memory_equal(buf, "Linux\r\n", 7);

	/* a second server on the same path is refused while we listen */
	{
		struct console *c2;

		assert_int_equal(console_open(&c2, &cfg, &sink), -EADDRINUSE);
	}

	/* a new client replaces the old one, which sees EOF */
	b = connect_to(cfg.path);
	send_and_wait(b, r, "from b");
	read_exact(b, buf, 0);
	{
		struct pollfd p = { .fd = a, .events = POLLIN };

		assert_int_equal(poll(&p, 1, 5000), 1);
		assert_int_equal(read(a, buf, sizeof(buf)), 0);
	}
	close(a);
	console_write(c, (const uint8_t *)"to b", 4);
	read_exact(b, buf, 4);
	assert_memory_equal(buf, "to b", 4);

	/* disconnect is not fatal: reconnect and go on */
	close(b);
	console_write(c, (const uint8_t *)"lost", 4);
	a = connect_to(cfg.path);
	send_and_wait(a, r, "back");
	console_write(c, (const uint8_t *)"ok", 2);
	read_exact(a, buf, 2);
	assert_memory_equal(buf, "ok", 2);
	close(a);
	assert_int_equal(r->quits, 0);

	console_close(c);
	assert_int_equal(lstat(cfg.path, &st), -1); /* removed */
	rec_free(r);
	rmdir(dir);
}

/* A client that never reads must not block output for long. */
static void test_socket_stalled_client(void **state)
{
	struct console_config cfg = { .kind = CONSOLE_SOCKET };
	struct console_sink sink;
	struct rec *r = rec_new(&sink);
	static uint8_t big[1 << 20];
	struct timespec t0, t1;
	struct console *c;
	char dir[64];
	double secs;
	int a, i;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	snprintf(cfg.path, sizeof(cfg.path), "%s/s", dir);
	assert_int_equal(console_open(&c, &cfg, &sink), 0);
	assert_int_equal(console_start(c), 0);
	a = connect_to(cfg.path);
	send_and_wait(a, r, "x");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 16; i++)
		console_write(c, big, sizeof(big));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 2.0); /* one 100 ms stall, then dropped */
	close(a);
	console_close(c);
	rec_free(r);
	rmdir(dir);
}

static void test_socket_path_checks(void **state)
{
	struct console_config cfg = { .kind = CONSOLE_SOCKET };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct console_sink sink;
	struct rec *r = rec_new(&sink);
	struct console *c;
	char dir[64];
	struct stat st;
	int fd;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	/* a regular file is never clobbered */
	snprintf(cfg.path, sizeof(cfg.path), "%s/file", dir);
	fd = open(cfg.path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(console_open(&c, &cfg, &sink), -EEXIST);
	assert_int_equal(stat(cfg.path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(cfg.path);

	/* a stale socket (no listener) is replaced */
	snprintf(cfg.path, sizeof(cfg.path), "%s/stale", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, cfg.path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(console_open(&c, &cfg, &sink), 0);
	assert_int_equal(console_start(c), 0);
	fd = connect_to(cfg.path);
	send_and_wait(fd, r, "alive");
	close(fd);
	console_close(c);

	/* too long for sun_path */
	memset(cfg.path, 'p', 200);
	cfg.path[0] = '/';
	cfg.path[200] = 0;
	assert_int_equal(console_open(&c, &cfg, &sink), -ENAMETOOLONG);
	rec_free(r);
	rmdir(dir);
}

struct pipes {
	int in[2], out[2];
};

static void open_pipes(struct pipes *p)
{
	assert_int_equal(pipe2(p->in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(p->out, O_CLOEXEC), 0);
}

static void close_pipes(struct pipes *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (p->in[i] >= 0)
			close(p->in[i]);
		if (p->out[i] >= 0)
			close(p->out[i]);
	}
}

static void feed(struct pipes *p, const char *s, size_t len)
{
	assert_int_equal(write(p->in[1], s, len), (ssize_t)len);
}

static void test_stdio_escape(void **state)
{
	static const char want[] = "ab\x01"
				   "c\x01zd\x01";
	struct console_sink sink;
	struct rec *r = rec_new(&sink);
	struct console *c;
	struct pipes p;
	char buf[16];

	(void)state;
	open_pipes(&p);
	assert_int_equal(console_open_fds(&c, p.in[0], p.out[1], &sink), 0);
	assert_int_equal(console_start(c), 0);

	/* Ctrl-A Ctrl-A -> Ctrl-A; Ctrl-A other -> both bytes */
	feed(&p,
	     "ab\x01\x01"
	     "c\x01zd",
	     8);
	rec_wait(r, 7, 0);
	/* an escape split across reads */
	feed(&p, "\x01", 1);
	usleep(20 * 1000);
	feed(&p, "\x01", 1);
	rec_wait(r, 8, 0);
	assert_memory_equal(r->buf, want, 8);
	/* Ctrl-A Ctrl-A then 'x' is a literal Ctrl-A and 'x' */
	feed(&p, "\x01\x01x", 3);
	rec_wait(r, 10, 0);
	assert_int_equal(r->quits, 0);
	assert_memory_equal(r->buf + 8, "\x01x", 2);

	/* Ctrl-A x quits and is not delivered; later input still is */
	feed(&p, "q\x01xw", 4);
	rec_wait(r, 12, 1);
	assert_int_equal(r->len, 12);
	assert_memory_equal(r->buf + 10, "qw", 2);
	assert_int_equal(r->quits, 1);

	/* output goes to out_fd unchanged */
	console_write(c, (const uint8_t *)"~ # \r\n", 6);
	read_exact(p.out[0], buf, 6);
	assert_memory_equal(buf, "~ # \r\n", 6);

	/* EOF on input stops reading but does not quit */
	close(p.in[1]);
	p.in[1] = -1;
	usleep(50 * 1000);
	assert_int_equal(r->quits, 1);
	console_write(c, (const uint8_t *)"still", 5);
	read_exact(p.out[0], buf, 5);
	assert_memory_equal(buf, "still", 5);
	console_close(c);
	close_pipes(&p);
	rec_free(r);
}

static void test_stdio_help(void **state)
{
	struct console_sink sink;
	struct rec *r = rec_new(&sink);
	struct console *c;
	struct pipes p;
	int err[2], saved;
	char buf[256];
	ssize_t n;

	(void)state;
	open_pipes(&p);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(err[1], STDERR_FILENO), STDERR_FILENO);
	assert_int_equal(console_open_fds(&c, p.in[0], p.out[1], &sink), 0);
	assert_int_equal(console_start(c), 0);
	feed(&p, "\x01h!", 3);
	rec_wait(r, 1, 0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = read(err[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(buf, "Ctrl-A x"));
	assert_int_equal(r->len, 1); /* the help keys are not delivered */
	assert_int_equal(r->buf[0], '!');
	console_close(c);
	close(err[0]);
	close(err[1]);
	close_pipes(&p);
	rec_free(r);
}

/* A sink that accepts one byte per call still gets everything in order. */
static void test_stdio_partial_sink(void **state)
{
	struct console_sink sink;
	struct rec *r = rec_new(&sink);
	struct console *c;
	struct pipes p;
	char data[3000];
	size_t i;

	(void)state;
	r->one_at_a_time = true;
	for (i = 0; i < sizeof(data); i++)
		data[i] = 'a' + i % 26;
	open_pipes(&p);
	assert_int_equal(console_open_fds(&c, p.in[0], p.out[1], &sink), 0);
	assert_int_equal(console_start(c), 0);
	feed(&p, data, sizeof(data));
	rec_wait(r, sizeof(data), 0);
	assert_memory_equal(r->buf, data, sizeof(data));
	console_close(c);
	close_pipes(&p);
	rec_free(r);
}

/* console_close must not hang on a sink blocked waiting for room. */
static void test_close_blocked_sink(void **state)
{
	struct console_sink sink;
	struct rec *r = rec_new(&sink);
	struct console *c;
	struct pipes p;

	(void)state;
	r->block = true;
	open_pipes(&p);
	assert_int_equal(console_open_fds(&c, p.in[0], p.out[1], &sink), 0);
	assert_int_equal(console_start(c), 0);
	feed(&p, "x", 1);
	pthread_mutex_lock(&r->lock);
	while (!r->blocked)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	console_close(c); /* returns only if the wakeup reached the sink */
	assert_int_equal(r->wakeups, 1);
	close_pipes(&p);
	rec_free(r);
}

/* Raw mode on a terminal, restored by close and by the signal-safe call. */
static void test_stdio_tty_raw(void **state)
{
	struct console_sink sink;
	struct rec *r = rec_new(&sink);
	struct termios orig, t;
	struct console *c;
	int m, s;

	(void)state;
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0) {
		rec_free(r);
		skip(); /* no pseudo-terminals here: reported as skipped */
	}
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	assert_int_equal(tcgetattr(s, &orig), 0);
	assert_true(orig.c_lflag & ICANON);

	assert_int_equal(console_open_fds(&c, s, s, &sink), 0);
	assert_int_equal(tcgetattr(s, &t), 0);
	assert_int_equal(t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0);
	assert_int_equal(t.c_iflag & (ICRNL | IXON), 0);
	assert_int_equal(t.c_oflag, orig.c_oflag);
	assert_int_equal(t.c_cc[VMIN], 1);

	/* typed bytes arrive unprocessed, escape works on the tty */
	assert_int_equal(console_start(c), 0);
	assert_int_equal(write(m, "\x03\r\x01x", 4), 4);
	rec_wait(r, 2, 1);
	assert_memory_equal(r->buf, "\x03\r", 2);

	console_restore_terminal(); /* what a fatal signal handler does */
	assert_int_equal(tcgetattr(s, &t), 0);
	assert_int_equal(t.c_lflag, orig.c_lflag);
	assert_int_equal(t.c_iflag, orig.c_iflag);

	console_close(c);
	assert_int_equal(tcgetattr(s, &t), 0);
	assert_int_equal(t.c_lflag, orig.c_lflag);
	assert_int_equal(t.c_cflag, orig.c_cflag);

	/* after close the saved state is forgotten: a new console saves anew */
	t.c_lflag &= ~ECHO;
	assert_int_equal(tcsetattr(s, TCSANOW, &t), 0);
	assert_int_equal(console_open_fds(&c, s, s, &sink), 0);
	console_close(c);
	assert_int_equal(tcgetattr(s, &t), 0);
	assert_int_equal(t.c_lflag, orig.c_lflag & ~ECHO);
	close(s);
	close(m);
	rec_free(r);
}

/*
 * Started in the background ("wirt-vmm ... &") on its controlling terminal:
 * the console must not touch the terminal (that would stop the process
 * with SIGTTOU) and must not read it.
 */
static void test_stdio_tty_background(void **state)
{
	pid_t pid;
	int m, st;

	(void)state;
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0)
		skip(); /* no pseudo-terminals here: reported as skipped */
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* session leader with the pty as controlling terminal */
		struct console_sink sink = { 0 };
		struct console *c;
		pid_t job;
		int s, jst;

		setsid();
		s = open(ptsname(m), O_RDWR); /* becomes the ctty */
		if (s < 0 || tcgetpgrp(s) != getpgrp())
			_exit(10);
		job = fork();
		if (job == 0) {
			setpgid(0, 0); /* a background job */
			if (console_open_fds(&c, s, s, &sink))
				_exit(11);
			if (console_start(c))
				_exit(12);
			console_write(c, (const uint8_t *)"bg", 2);
			console_close(c);
			_exit(0);
		}
		setpgid(job, job);
		if (waitpid(job, &jst, WUNTRACED) != job)
			_exit(13);
		if (WIFSTOPPED(jst)) {
			kill(job, SIGKILL);
			_exit(14); /* stopped by SIGTTOU: the bug */
		}
		_exit(WIFEXITED(jst) ? WEXITSTATUS(jst) : 15);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_socket_stalled_client),
		cmocka_unit_test(test_socket_path_checks),
		cmocka_unit_test(test_stdio_escape),
		cmocka_unit_test(test_stdio_help),
		cmocka_unit_test(test_stdio_partial_sink),
		cmocka_unit_test(test_close_blocked_sink),
		cmocka_unit_test(test_stdio_tty_raw),
		cmocka_unit_test(test_stdio_tty_background),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
