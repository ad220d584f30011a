// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What wirt prints as virsh prints it: tables (a leading space, columns
 * padded to their widest cell and separated by three spaces, a line of
 * dashes as wide as the padded row), and the console relay.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "wirt/wirt.h"

#define COLS_MAX 8

struct table {
	unsigned int ncols, nrows;
	char **cells; /* (nrows + 1) * ncols, the header first */
};

struct table *table_new(unsigned int ncols, const char *const *heads)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t || ncols > COLS_MAX)
		return NULL;
	t->ncols = ncols;
	table_add(t, heads);
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	char **c;
	unsigned int i;

	if (!t)
		return;
	c = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*c));
	if (!c)
		return;
	t->cells = c;
	for (i = 0; i < t->ncols; i++)
		c[t->nrows * t->ncols + i] = strdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

/* width - display columns of a UTF-8 string (its bytes when invalid). */
static size_t width(const char *s)
{
	wchar_t w[512];
	size_t n = mbstowcs(w, s, 511);
	int cols;

	if (n == (size_t)-1)
		return strlen(s);
	w[n] = 0;
	cols = wcswidth(w, n);
	return cols < 0 ? strlen(s) : (size_t)cols;
}

void table_print(struct table *t)
{
	size_t w[COLS_MAX] = { 0 }, total = 0, x;
	unsigned int r, i;
	char line[4096];
	int off;

	if (!t)
		return;
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++) {
			x = width(t->cells[r * t->ncols + i]);
			w[i] = x > w[i] ? x : w[i];
		}
	for (i = 0; i < t->ncols; i++)
		total += w[i] + 3;
	for (r = 0; r < t->nrows; r++) {
		off = 0;
		for (i = 0; i < t->ncols && off < (int)sizeof(line); i++) {
			const char *c = t->cells[r * t->ncols + i];

			/* the last column unpadded: an empty one leaves the
			 * separator's spaces, as virsh does */
			if (i + 1 == t->ncols)
				off += snprintf(line + off, sizeof(line) - off,
						" %s", c);
			else
				off += snprintf(line + off, sizeof(line) - off,
						" %s%*s  ", c,
						(int)(w[i] - width(c)), "");
		}
		puts(line);
		if (r == 0) {
			memset(line, '-',
			       total < sizeof(line) ? total : sizeof(line) - 1);
			line[total < sizeof(line) ? total : sizeof(line) - 1] =
				0;
			puts(line);
		}
	}
	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	free(t);
}

int console_relay(int fd, const char *name)
{
	struct pollfd p[2] = { { .fd = 0, .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };
	struct termios saved, raw;
	bool tty = isatty(0) && !tcgetattr(0, &saved);
	char buf[4096];
	ssize_t n;

	printf("Connected to domain '%s'\nEscape character is ^] (Ctrl + ])\n",
	       name);
	fflush(stdout);
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0 || write(1, buf, n) != n)
				break;
		}
		if (p[0].revents) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				p[0].fd =
					-1; /* input ended: keep showing output */
				continue;
			}
			if (tty && memchr(buf, 0x1d, n))
				break;
			if (write(fd, buf, n) != n)
				break;
		}
	}
	if (tty) {
		tcsetattr(0, TCSANOW, &saved);
		putchar('\n');
	}
	return 0;
}
