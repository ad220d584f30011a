// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Power-cut harness, the checks of one crash state (see powercut.h):
 * qemu-img check (leaks allowed), the acknowledged active views read back
 * sector by sector, and each snapshot's data unchanged after the active
 * layer is overwritten through the library.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "block/blk.h"
#include "block/qcow2.h"
#include "common/util.h"
#include "powercut-int.h"

#define SECTOR 512

static const struct pc_view *find_view(int ack, const char *file,
				       const char *snap)
{
	if (ack < 0 || (unsigned)ack >= pc_nacks())
		return NULL;
	for (unsigned i = 0; i < pc_get_ack(ack)->n; i++) {
		const struct pc_view *v = &pc_get_ack(ack)->v[i];

		if (!strcmp(v->file, file) &&
		    ((!snap && !v->snap) ||
		     (snap && v->snap && !strcmp(snap, v->snap))))
			return v;
	}
	return NULL;
}

static bool all_zero(const uint8_t *p, uint64_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/*
 * Is every sector of @got (@len bytes) as in @a or in @b (either NULL)?
 * When @b is a shrink of @a, what lies past @b's end may read as zeroes.
 */
static bool sectors_match(const uint8_t *got, uint64_t len,
			  const struct pc_view *a, const struct pc_view *b,
			  uint64_t *bad)
{
	for (uint64_t o = 0; o < len; o += SECTOR) {
		uint64_t n = MIN((uint64_t)SECTOR, len - o);

		if (a && o + n <= a->len && !memcmp(got + o, a->data + o, n))
			continue;
		if (b && o + n <= b->len && !memcmp(got + o, b->data + o, n))
			continue;
		if (a && b && b->len < a->len && o >= b->len &&
		    all_zero(got + o, n))
			continue;
		*bad = o;
		return false;
	}
	return true;
}

/*
 * qemu-img check of crash/@file: 0 when clean or leaking, 1 when the only
 * corruptions are active entries with refcount 1 and COPIED clear, else -1
 * (its report printed).
 */
static int qemu_check(const char *file)
{
	char cmd[512], line[512];
	unsigned long long corr = 0, cc = 0, errs = 0;
	int st;
	FILE *f;

	snprintf(
		cmd, sizeof(cmd),
		"qemu-img check --output=json -f qcow2 'crash/%s' >crash/out 2>crash/err",
		file);
	st = system(cmd);
	f = fopen("crash/out", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "\"corruptions\":");

		if (p)
			corr = strtoull(p + 14, NULL, 10);
		p = strstr(line, "\"check-errors\":");
		if (p)
			errs = strtoull(p + 15, NULL, 10);
	}
	if (f)
		fclose(f);
	f = fopen("crash/err", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "_entry=");

		if (strstr(line, "OFLAG_COPIED") && p &&
		    strstr(line, "refcount=1\n") &&
		    !(strtoull(p + 7, NULL, 16) & QC_COPIED))
			cc++;
	}
	if (f)
		fclose(f);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if ((st == 0 || st == 3) && !corr && !errs)
		return 0;
	if (st == 2 && !errs && corr == cc)
		return 1;
	fprintf(stderr, "qemu-img check of %s: exit %d, %llu corruptions\n",
		file, st, corr);
	if (system("head -5 crash/err >&2") < 0)
		fprintf(stderr, "(no report)\n");
	return -1;
}

/* Read @len bytes of what @file shows (its active layer); NULL on error. */
static uint8_t *read_view(const char *file, uint64_t *len, unsigned flags)
{
	char p[128];
	struct blk *b;
	uint8_t *buf;

	snprintf(p, sizeof(p), "crash/%s", file);
	if (blk_open(&b, p, BLK_FMT_PROBE, flags | BLK_O_NO_PROBE_WARN) < 0) {
		fprintf(stderr, "cannot open %s: %s\n", p, blk_last_error());
		return NULL;
	}
	*len = blk_getlength(b);
	buf = pc_xmalloc(*len);
	if (blk_pread(b, 0, buf, *len) < 0) {
		fprintf(stderr, "cannot read %s: %s\n", p, blk_last_error());
		free(buf);
		buf = NULL;
	}
	blk_close(b);
	return buf;
}

/* Check the active views of acks @k and @k+1 in the crash image. */
static bool check_active(int k)
{
	for (int a = MAX(k, 0); a <= k + 1 && (unsigned)a < pc_nacks(); a++) {
		for (unsigned i = 0; i < pc_get_ack(a)->n; i++) {
			const struct pc_view *v = &pc_get_ack(a)->v[i];
			uint64_t len, bad;
			uint8_t *got;
			bool ok;

			if (v->snap ||
			    (a == k + 1 && find_view(k, v->file, NULL)))
				continue;
			got = read_view(v->file, &len, 0);
			if (!got)
				return false;
			ok = sectors_match(
				got, len, find_view(k, v->file, NULL),
				find_view(k + 1, v->file, NULL), &bad);
			free(got);
			if (!ok) {
				fprintf(stderr,
					"%s: acknowledged data lost at guest offset %llu\n",
					v->file, (unsigned long long)bad);
				return false;
			}
		}
	}
	return true;
}

/*
 * Overwrite the active layer of crash/@file (through the library, as a
 * later guest would): every cluster, or for big images an even sample of
 * 512 of them, so that a snapshot sharing clusters it should not share
 * shows the damage.
 */
static bool scribble(const char *file)
{
	uint64_t size, cs, n, stride;
	char p[128];
	struct blk *b;
	uint8_t *buf;
	int ret = 0;

	snprintf(p, sizeof(p), "crash/%s", file);
	if (blk_open(&b, p, BLK_FMT_QCOW2, BLK_O_RDWR | BLK_O_UNSAFE) < 0) {
		fprintf(stderr, "cannot open %s: %s\n", p, blk_last_error());
		return false;
	}
	size = blk_getlength(b);
	cs = blk_cluster_size(b);
	n = (size + cs - 1) / cs;
	stride = MAX(n / 512, 1ULL);
	buf = pc_xmalloc(cs);
	memset(buf, 0xee, cs);
	for (uint64_t c = 0; c < n && !ret; c += stride)
		ret = blk_pwrite(b, c * cs, buf, MIN(cs, size - c * cs));
	if (!ret)
		ret = blk_flush(b);
	if (ret < 0)
		fprintf(stderr, "write to %s: %s\n", p, blk_last_error());
	free(buf);
	return blk_close(b) == 0 && ret == 0;
}

/* Revert crash/@file to @snap; 1 done, 0 no such snapshot, -1 error. */
static int revert(const char *file, const char *snap)
{
	char p[128];
	struct blk *b;
	struct qcow2 *q;
	int ret;

	snprintf(p, sizeof(p), "crash/%s", file);
	if (blk_open(&b, p, BLK_FMT_QCOW2, BLK_O_RDWR | BLK_O_UNSAFE) < 0)
		return -1;
	q = blk_opaque(b);
	pthread_mutex_lock(&q->lock);
	ret = qcow2_snapshot_find(q, snap) < 0 ?
		      0 :
		      (qcow2_snapshot_apply(q, snap) < 0 ? -1 : 1);
	pthread_mutex_unlock(&q->lock);
	if (blk_close(b) < 0)
		ret = -1;
	return ret;
}

/* One snapshot view @v (of ack @k or @k+1) after the active was scribbled. */
static bool check_snap(int k, const struct pc_view *v)
{
	const struct pc_view *a = find_view(k, v->file, v->snap);
	const struct pc_view *b = find_view(k + 1, v->file, v->snap);
	uint64_t len, bad;
	uint8_t *got;
	bool ok;
	int r = revert(v->file, v->snap);

	if (r < 0) {
		fprintf(stderr, "cannot revert %s to %s: %s\n", v->file,
			v->snap, blk_last_error());
		return false;
	}
	if (!r) {
		if (a && (b || (unsigned)k + 1 >= pc_nacks())) {
			fprintf(stderr,
				"%s: acknowledged snapshot %s is gone\n",
				v->file, v->snap);
			return false;
		}
		return true;
	}
	got = read_view(v->file, &len, 0);
	if (!got)
		return false;
	/* a snapshot's data never changes: old and new ack agree */
	ok = sectors_match(got, len, a ? a : b, NULL, &bad);
	free(got);
	if (!ok)
		fprintf(stderr,
			"%s: snapshot %s changed at guest offset %llu after a write to the active layer\n",
			v->file, v->snap, (unsigned long long)bad);
	return ok;
}

static bool check_snaps(int k)
{
	bool scribbled[PC_MAX_FILES] = { 0 };

	for (int a = MAX(k, 0); a <= k + 1 && (unsigned)a < pc_nacks(); a++) {
		for (unsigned i = 0; i < pc_get_ack(a)->n; i++) {
			const struct pc_view *v = &pc_get_ack(a)->v[i];
			unsigned f = 0;

			if (!v->snap ||
			    (a == k + 1 && find_view(k, v->file, v->snap)))
				continue;
			while (f < pc_nfiles() &&
			       strcmp(pc_file_name(f), v->file))
				f++;
			if (f < pc_nfiles() && !scribbled[f]) {
				if (!scribble(v->file))
					return false;
				scribbled[f] = true;
			}
			if (!check_snap(k, v))
				return false;
		}
	}
	return true;
}

int pc_check_built(int k, bool cc_ok)
{
	int ret = 0;

	for (unsigned i = 0; i < pc_nfiles(); i++) {
		int r;

		if (!pc_file_is_qcow2(i))
			continue;
		r = qemu_check(pc_file_name(i));
		if (r < 0 || (r == 1 && !cc_ok))
			return -1;
		ret |= r;
	}
	if (!check_active(k) || !check_snaps(k))
		return -1;
	return ret;
}
