/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Power-cut harness internals shared by its recorder and its checks. */
#ifndef WIRT_TESTS_POWERCUT_INT_H
#define WIRT_TESTS_POWERCUT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "powercut.h"

#define PC_MAX_FILES 4 /* tracked image files per scenario */

/* What a completed flush guaranteed: the views given to pc_ack(). */
struct pc_ack {
	struct pc_view *v;
	unsigned n;
};

/* malloc that aborts the test when memory runs out. */
void *pc_xmalloc(size_t n);
/* The acknowledgements recorded so far. */
unsigned pc_nacks(void);
const struct pc_ack *pc_get_ack(unsigned i);
/* The tracked image files, by index (pc_track order). */
unsigned pc_nfiles(void);
const char *pc_file_name(unsigned i);
bool pc_file_is_qcow2(unsigned i);

/*
 * Check the crash state built in crash/: qemu-img check of each qcow2
 * file, then the views of acknowledgement @k (the last before the cut)
 * and of @k+1 (the operation the cut interrupted).  Returns 0 when good,
 * 1 when good but with refcount-1 COPIED-clear entries (allowed only
 * with @cc_ok), -1 when bad (the reason printed).
 */
int pc_check_built(int k, bool cc_ok);

#endif
