/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Power-cut harness: records every write, flush, truncate and fallocate the
 * block library does on a set of image files (through blk_set_io_ops), then
 * rebuilds the files as a disk may have kept them after a power cut at each
 * flush (everything before the last flush of each file, plus a subset of
 * the writes after it) and checks each such image: qemu-img check finds no
 * corruption (leaks allowed), and every guest view (active image or internal
 * snapshot) that was acknowledged reads back.
 */
#ifndef WIRT_TESTS_POWERCUT_H
#define WIRT_TESTS_POWERCUT_H

#include <stdbool.h>
#include <stdint.h>

/* What a guest sees through @file (its backing chain included): the active
 * layer when @snap is NULL, else internal snapshot @snap. */
struct pc_view {
	const char *file;
	const char *snap;
	const uint8_t *data;
	uint64_t len;
};

struct pc_result {
	unsigned states; /* crash states built and checked */
	unsigned failures; /* states that failed a check */
	unsigned copied_clear; /* states with only refcount-1 COPIED-clear */
	unsigned events; /* writes (in 4 KiB units) and flushes recorded */
};

/* Start a scenario in a fresh directory; returns its path (cwd is set). */
const char *pc_begin(const char *name);
/* Track image @file (relative to the scenario directory): its current
 * content is the starting point of every crash state. */
void pc_track(const char *file);
/* Let the crash states see @file (read-only, e.g. a backing file) as is. */
void pc_share(const char *file);
/* Record from now on. */
void pc_record(void);
/* The views listed are what a flush that completed now guarantees. */
void pc_ack(const struct pc_view *v, unsigned n);
/* Stop recording; build at most @max states (seeded by @seed) and check
 * them.  @copied_clear_ok tolerates qemu-img's OFLAG_COPIED report for
 * active entries whose refcount is 1 but whose flag is clear (harmless:
 * the library copies such clusters before writing), counting them. */
void pc_replay(unsigned max, uint64_t seed, bool copied_clear_ok,
	       struct pc_result *r);
/* Free the scenario's recording and remove its directory. */
void pc_end(void);

#endif
