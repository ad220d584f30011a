// SPDX-License-Identifier: GPL-2.0-or-later
/* Small helpers shared by every wirt program: sizes, numbers, messages, I/O. */
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *progname = "wirt";

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	}
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

void wirt_set_progname(const char *name)
{
	progname = name;
}

const char *wirt_progname(void)
{
	return progname;
}

/*
 * stamp - "YYYY-MM-DD HH:MM:SS.mmm+0000: " into buf when the environment
 * has WIRT_LOG_TIMESTAMPS=1 (wirtd sets it for the VMs whose stderr goes
 * to a log file), else "". Returns the length written.
 */
static int stamp(char *buf, size_t len)
{
	static int on = -1;
	struct timespec ts;
	struct tm tm;
	const char *e;

	if (on < 0) {
		e = getenv("WIRT_LOG_TIMESTAMPS");
		on = e && !strcmp(e, "1");
	}
	if (!on || clock_gettime(CLOCK_REALTIME, &ts) ||
	    !gmtime_r(&ts.tv_sec, &tm))
		return 0;
	return snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%03ld+0000: ",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	char buf[1024];
	int n, t;

	t = stamp(buf, sizeof(buf));
	n = t + snprintf(buf + t, sizeof(buf) - t, "%s: %s", progname, kind);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	/* One write per line so lines from several threads never interleave. */
	n = strlen(buf);
	if (n && buf[n - 1] != '\n' && (size_t)n < sizeof(buf) - 1)
		buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
}

void wirt_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void wirt_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void wirt_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = read(fd, (char *)buf + done, len - done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

ssize_t write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = write(fd, (const char *)buf + done, len - done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += r;
	}
	return done;
}

ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r =
			pread(fd, (char *)buf + done, len - done, off + done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

ssize_t pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done,
				   off + done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += r;
	}
	return done;
}

const char *unix_socket_hint(int err)
{
	switch (err < 0 ? -err : err) {
	case EEXIST:
		return " (a file that is not a socket is there: remove it or choose another path)";
	case EADDRINUSE:
		return " (another process serves this socket: stop it or choose another path)";
	case ENAMETOOLONG:
		return " (unix socket paths are limited to 107 bytes)";
	case ENOENT:
		return " (its directory does not exist)";
	}
	return "";
}

void fput_xml(FILE *f, const char *s, bool quotes)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '\'':
			fputs(quotes ? "&apos;" : "'", f);
			break;
		case '"':
			fputs(quotes ? "&quot;" : "\"", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

int thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	int r;

	r = pthread_attr_init(&a);
	if (r)
		return -r;
	r = pthread_attr_setstacksize(&a, 1U << 20);
	if (!r)
		r = pthread_create(t, &a, fn, arg);
	pthread_attr_destroy(&a);
	return -r;
}

int err_set(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}
