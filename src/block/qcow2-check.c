// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 consistency check: rebuild every cluster's reference count from the
 * metadata, compare with the stored refcounts, optionally repair.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "common/util.h"

#define MAX_CHECK_CLUSTERS (1ULL << 27)

struct ck {
	struct qcow2 *q;
	struct qcow2_check_result *r;
	void (*log)(const char *msg);
	uint32_t *ref;
	uint64_t nb; /* clusters tracked */
	uint64_t fsize;
};

static void say(struct ck *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct ck *c, const char *fmt, ...)
{
	char m[300];
	va_list ap;

	if (!c->log)
		return;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	c->log(m);
}

/* Count a reference to [off, off+len); false (and an error) if outside. */
static bool ref(struct ck *c, uint64_t off, uint64_t len, const char *what)
{
	struct qcow2 *q = c->q;

	if (!len)
		return true;
	if (off + len > c->nb * q->cs || off + len < off) {
		say(c, "ERROR %s at 0x%llx is past the end of the file", what,
		    (unsigned long long)off);
		c->r->corruptions++;
		return false;
	}
	for (uint64_t i = off >> q->cluster_bits;
	     i <= (off + len - 1) >> q->cluster_bits; i++)
		if (c->ref[i] < UINT32_MAX)
			c->ref[i]++;
	return true;
}

/* Walk one L1 table; @active also checks COPIED flags and counts stats. */
static int walk(struct ck *c, const uint64_t *l1, uint32_t n, bool active)
{
	struct qcow2 *q = c->q;
	uint64_t ents = 1ULL << q->l2_bits, *t = malloc(q->cs), prev = 0;

	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t l2 = l1[i] & QC_OFFSET_MASK;

		if (!l2)
			continue;
		if (l2 & (q->cs - 1)) {
			say(c,
			    "ERROR L2 table offset 0x%llx unaligned (L1 index %u)",
			    (unsigned long long)l2, i);
			c->r->corruptions++;
			continue;
		}
		if (!ref(c, l2, q->cs, "L2 table"))
			continue;
		if (pread_full(q->fd, t, q->cs, l2) != (ssize_t)q->cs) {
			c->r->check_errors++;
			continue;
		}
		prev = 0; /* contiguity is judged within one L2 table */
		for (uint64_t j = 0; j < ents; j++) {
			uint64_t e = qbe64(&t[j]), off, len = q->cs;
			enum qc_type ty = qcow2_entry_type(q, e);

			if (ty == QC_UNALLOC || ty == QC_ZERO_PLAIN)
				continue;
			if (ty == QC_COMP) {
				qcow2_comp_range(q, e, &off, &len);
				if (active)
					c->r->compressed_clusters++;
			} else {
				off = e & QC_OFFSET_MASK;
				if (off & (q->cs - 1)) {
					say(c,
					    "ERROR data cluster offset 0x%llx unaligned",
					    (unsigned long long)off);
					c->r->corruptions++;
					continue;
				}
			}
			if (active) {
				c->r->allocated_clusters++;
				/* compressed clusters always count as fragmented */
				if (ty == QC_COMP || (prev && off != prev))
					c->r->fragmented_clusters++;
				prev = ty == QC_COMP ? 0 : off + len;
			}
			ref(c, off, len, "data cluster");
		}
	}
	free(t);
	return 0;
}

static int read_l1(struct qcow2 *q, uint64_t off, uint32_t n, uint64_t **out)
{
	uint64_t *t = calloc(n + 1ULL, 8);

	if (!t)
		return -ENOMEM;
	if (n && pread_full(q->fd, t, n * 8ULL, off) != n * 8LL) {
		free(t);
		return -EIO;
	}
	for (uint32_t i = 0; i < n; i++)
		t[i] = qbe64(&t[i]);
	*out = t;
	return 0;
}

static int count_refs(struct ck *c)
{
	struct qcow2 *q = c->q;
	int ret;

	ref(c, 0, q->cs, "header");
	ref(c, q->l1_offset, q->l1_size * 8ULL, "L1 table");
	ret = walk(c, q->l1, q->l1_size, true);
	if (ret < 0)
		return ret;
	ref(c, q->rct_offset, (uint64_t)q->rct_clusters * q->cs,
	    "refcount table");
	for (uint64_t i = 0; i < q->rct_entries; i++)
		if (q->rct[i])
			ref(c, q->rct[i], q->cs, "refcount block");
	ref(c, q->snaps_offset, q->snaps_size, "snapshot table");
	for (uint32_t s = 0; s < q->nr_snaps; s++) {
		uint64_t *l1;

		if (!ref(c, q->snaps[s].l1_offset, q->snaps[s].l1_size * 8ULL,
			 "snapshot L1 table"))
			continue;
		ret = read_l1(q, q->snaps[s].l1_offset, q->snaps[s].l1_size,
			      &l1);
		if (ret < 0)
			return ret;
		ret = walk(c, l1, q->snaps[s].l1_size, false);
		free(l1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Compare stored and computed refcounts; repair as allowed. */
static int compare(struct ck *c, int repair)
{
	struct qcow2 *q = c->q;
	uint64_t last = 0, end = MAX(c->nb, q->rct_entries << q->rb_bits);
	int ret;

	for (uint64_t i = 0; i < end; i++) {
		uint64_t rc, want = i < c->nb ? c->ref[i] : 0;
		bool leak, fix;

		if (i >= c->nb && !q->rct[i >> q->rb_bits]) {
			i = (((i >> q->rb_bits) + 1) << q->rb_bits) - 1;
			continue;
		}
		ret = qcow2_get_refcount(q, i, &rc);
		if (ret < 0)
			return ret;
		if (want)
			last = i;
		if (rc == want)
			continue;
		leak = rc > want;
		fix = repair >= (leak ? 1 : 2);
		say(c, "%s cluster %llu refcount=%llu reference=%llu",
		    fix ? "Repairing" : (leak ? "Leaked" : "ERROR"),
		    (unsigned long long)i, (unsigned long long)rc,
		    (unsigned long long)want);
		if (fix) {
			ret = qcow2_set_refcount(q, i, want);
			if (ret < 0)
				return ret;
			if (leak)
				c->r->leaks_fixed++;
			else
				c->r->corruptions_fixed++;
		} else if (leak) {
			c->r->leaks++;
		} else {
			c->r->corruptions++;
		}
	}
	c->r->image_end_offset = (last + 1) * q->cs;
	return 0;
}

/* COPIED flags of the active L1 and L2 tables must match refcount == 1. */
static int check_copied(struct ck *c, int repair)
{
	struct qcow2 *q = c->q;

	for (uint32_t i = 0; i < q->l1_size; i++) {
		uint64_t l2 = q->l1[i] & QC_OFFSET_MASK, rc;

		if (!l2 || l2 >= c->nb * q->cs)
			continue;
		if (qcow2_get_refcount(q, l2 >> q->cluster_bits, &rc) < 0)
			return -EIO;
		if (((q->l1[i] & QC_COPIED) != 0) != (rc == 1)) {
			say(c,
			    "%s OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%llx refcount=%llu",
			    repair >= 2 ? "Repairing" : "ERROR", i,
			    (unsigned long long)q->l1[i],
			    (unsigned long long)rc);
			if (repair >= 2)
				c->r->corruptions_fixed++;
			else
				c->r->corruptions++;
		}
	}
	return repair >= 2 ? qcow2_fix_copied(q) : 0;
}

int qcow2_check(struct qcow2 *q, int repair, struct qcow2_check_result *r,
		void (*log)(const char *msg))
{
	struct ck c = { .q = q, .r = r, .log = log };
	struct stat st;
	int ret;

	memset(r, 0, sizeof(*r));
	r->total_clusters = (q->size + q->cs - 1) >> q->cluster_bits;
	if (fstat(q->fd, &st) < 0)
		return -errno;
	if (q->rw) {
		ret = qcow2_flush_meta(q);
		if (ret < 0)
			return ret;
	}
	c.fsize = MAX((uint64_t)st.st_size, q->host_end);
	c.nb = ALIGN_UP(c.fsize, q->cs) >> q->cluster_bits;
	if (c.nb > MAX_CHECK_CLUSTERS)
		return blk_error(EFBIG, "'%s' has too many clusters to check",
				 q->b->filename);
	c.ref = calloc(c.nb + 1, sizeof(*c.ref));
	if (!c.ref)
		return -ENOMEM;
	ret = count_refs(&c);
	if (!ret)
		ret = compare(&c, q->rw ? repair : 0);
	if (!ret)
		ret = check_copied(&c, q->rw ? repair : 0);
	if (!ret && q->rw && repair) {
		ret = qcow2_flush_meta(q);
		if (!ret)
			ret = qcow2_flush_meta(q);
		if (!ret && !r->corruptions &&
		    (q->incompat & (QC_INCOMPAT_CORRUPT | QC_INCOMPAT_DIRTY))) {
			q->incompat &=
				~(QC_INCOMPAT_CORRUPT | QC_INCOMPAT_DIRTY);
			ret = qcow2_write_header(q);
		}
	}
	free(c.ref);
	return ret;
}
