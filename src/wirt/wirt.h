/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wirt, the command-line client of wirtd: virsh's commands and output. */
#ifndef WIRT_WIRT_WIRT_H
#define WIRT_WIRT_WIRT_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* ---- client.c ---- */
/* wc_connect - connect to wirtd's socket at path. Returns the fd or
 * -errno with err set (naming the socket and how to start wirtd). */
int wc_connect(const char *path, char *err, size_t errlen);
/*
 * wc_call - one request (args: its reference is taken; may be NULL).
 * Returns the "return" object, or NULL with err set to wirtd's message.
 * *fd_out (may be NULL) gets a descriptor passed with the reply, or -1.
 */
struct json_object *wc_call(int sock, const char *cmd, struct json_object *args,
			    int *fd_out, char *err, size_t errlen);

/* ---- output.c: virsh's table layout ---- */
struct table;
struct table *table_new(unsigned int ncols, const char *const *heads);
void table_add(struct table *t, const char *const *cells);
/* table_print - header, dashes, rows as virsh prints them; frees t. */
void table_print(struct table *t);
/* console_relay - copy between the terminal and the console fd until the
 * console closes or (on a terminal) Ctrl-] is typed. Returns 0. */
int console_relay(int fd, const char *name);

#endif
