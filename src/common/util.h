/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by every wirt program. */
#ifndef WIRT_COMMON_UTIL_H
#define WIRT_COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

/*
 * parse_size - parse a size such as "512M", "2G", "4096", "1.5G" is refused.
 * Suffixes K, M, G, T (powers of 1024, optional trailing "iB" or "B").
 * Returns 0 and stores the byte count in *out, or -EINVAL for a malformed
 * string, -ERANGE when it does not fit in 64 bits.
 */
int parse_size(const char *s, uint64_t *out);

/*
 * parse_uint - parse a decimal unsigned integer in [min, max].
 * Returns 0, -EINVAL when not a number, -ERANGE when out of range.
 */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Message helpers: every line starts with the program name set here. */
void wirt_set_progname(const char *name);
const char *wirt_progname(void);
void wirt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* err_set - format one message into err (errlen bytes); returns ret, a
 * negative errno, so that "return err_set(err, errlen, -EINVAL, ...)". */
int err_set(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void wirt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wirt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * read_full / write_full - loop over short transfers and EINTR.
 * Return the number of bytes moved (short only at EOF for reads) or -errno.
 */
ssize_t read_full(int fd, void *buf, size_t len);
ssize_t write_full(int fd, const void *buf, size_t len);
ssize_t pread_full(int fd, void *buf, size_t len, off_t off);
ssize_t pwrite_full(int fd, const void *buf, size_t len, off_t off);

/*
 * fput_xml - s into f with XML's special characters escaped (<, >, &, and
 * with quotes also ' and ", as an attribute value needs).
 */
void fput_xml(FILE *f, const char *s, bool quotes);

/*
 * unix_socket_hint - for an error binding a unix socket at a path: a
 * parenthesised hint naming the fix (" (its directory does not
 * exist)"), or "" when there is none to give.
 */
const char *unix_socket_hint(int err);

/*
 * thread_start - pthread_create() with a 1 MiB stack instead of glibc's
 * 8 MiB: a stack that small cannot hold a 2 MiB-aligned range, so the
 * kernel never backs it with a transparent huge page (2 MiB resident for a
 * thread that uses a few KiB). Returns 0 or -errno.
 */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
