/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * I/O accounting of one disk, as QMP's query-blockstats reports it
 * (QEMU's BlockDeviceStats): bytes, operations, failed and invalid
 * operations and total time per kind of request, the highest offset
 * written and the time of the last request.
 *
 * Counters are atomics: the device's evloop thread accounts, the QMP
 * thread reads them with blk_stats_read() at any time.
 */
#ifndef WIRT_VMM_DISK_STATS_H
#define WIRT_VMM_DISK_STATS_H

#include <stdbool.h>
#include <stdint.h>

enum blk_acct_op {
	BLK_ACCT_READ,
	BLK_ACCT_WRITE, /* writes and write-zeroes */
	BLK_ACCT_FLUSH,
	BLK_ACCT_UNMAP, /* discard */
	BLK_ACCT_NR,
	BLK_ACCT_NONE = BLK_ACCT_NR, /* not accounted (GET_ID...) */
};

enum blk_acct_res {
	BLK_ACCT_OK,
	BLK_ACCT_FAILED, /* the backend returned an error */
	BLK_ACCT_INVALID, /* refused before any I/O (range, alignment, ro) */
};

struct blk_stats {
	_Atomic uint64_t bytes[BLK_ACCT_NR];
	_Atomic uint64_t ops[BLK_ACCT_NR];
	_Atomic uint64_t failed[BLK_ACCT_NR];
	_Atomic uint64_t invalid[BLK_ACCT_NR];
	_Atomic uint64_t total_ns[BLK_ACCT_NR];
	_Atomic uint64_t wr_highest; /* end of the highest write, bytes */
	_Atomic uint64_t last_ns; /* blk_stats_now() of the last one, 0 none */
};

/* A consistent-enough copy of struct blk_stats (plain values). */
struct blk_stats_snap {
	uint64_t bytes[BLK_ACCT_NR];
	uint64_t ops[BLK_ACCT_NR];
	uint64_t failed[BLK_ACCT_NR];
	uint64_t invalid[BLK_ACCT_NR];
	uint64_t total_ns[BLK_ACCT_NR];
	uint64_t wr_highest;
	bool has_idle; /* a request was accounted */
	uint64_t idle_ns; /* since the last one */
};

/* blk_stats_now - CLOCK_MONOTONIC in nanoseconds (never 0). */
uint64_t blk_stats_now(void);

/*
 * blk_stats_account - count one request of kind op covering bytes, whose
 * highest byte touched ends at byte offset hi_end, started at start_ns and
 * ended at end_ns (blk_stats_now() values), with result res. Like QEMU
 * with account_failed and account_invalid on: successful requests add
 * bytes and an operation; failed ones a failed operation (time counted,
 * bytes not); invalid ones an invalid operation only. A successful write
 * raises wr_highest to hi_end. Every request sets the last-request time
 * to end_ns. BLK_ACCT_NONE does nothing. Any thread.
 */
void blk_stats_account(struct blk_stats *s, enum blk_acct_op op, uint64_t bytes,
		       uint64_t hi_end, uint64_t start_ns, uint64_t end_ns,
		       enum blk_acct_res res);

/* blk_stats_read - copy s into *out, idle time measured at now_ns. */
void blk_stats_read(struct blk_stats *s, uint64_t now_ns,
		    struct blk_stats_snap *out);

#endif
