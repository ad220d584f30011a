/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the qcow2 check shared by qcow2-check.c (counting and
 * comparing references) and qcow2-check-fix.c (COPIED flags, rebuilding
 * the refcount structure).  Not for use outside src/block/.
 */
#ifndef WIRT_BLOCK_QCOW2_CHECK_H
#define WIRT_BLOCK_QCOW2_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "block/qcow2.h"

/* One check run: the computed references and what was found. */
struct ck {
	struct qcow2 *q;
	struct blk_check_result *r;
	void (*log)(const char *msg);
	uint32_t *ref;
	uint64_t nb; /* clusters tracked */
	uint64_t fsize;
	uint64_t budget; /* L1 entries that may still be read */
	uint64_t *l2s; /* L2 tables referenced: offset | 1 if active */
	size_t nl2s;
};

/* Log one line of the check's report (when a log was given). */
void qcow2_ck_say(struct ck *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The largest refcount the image's refcount width holds. */
uint64_t qcow2_rc_limit(struct qcow2 *q);
/* Check (repair >= BLK_REPAIR_ALL: fix) the COPIED flags of the active tables. */
int qcow2_ck_check_copied(struct ck *c, enum blk_repair repair);
/* Report the refcount blocks open set aside (BLK_O_CHECK). */
void qcow2_ck_report_bad_refblocks(struct ck *c);
/* Write new refcount structures from the computed counts; switch to them. */
int qcow2_ck_rebuild_refcounts(struct ck *c);

#endif
