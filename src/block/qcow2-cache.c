// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Metadata cache for qcow2 L2 tables and refcount blocks: a fixed number of
 * cluster-sized slots, least recently used first out, write-back.  Tables
 * are kept in on-disk (big-endian) form.  Writing dirty L2 tables first
 * writes and syncs the refcount cache, so an L2 entry never reaches the
 * disk before the refcount of the cluster it points to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "common/util.h"

struct slot {
	uint64_t off; /* 0: empty */
	uint64_t lru;
	int pin;
	bool dirty;
};

struct qcow2_cache {
	struct qcow2 *q;
	bool is_l2;
	unsigned n;
	struct slot *s;
	uint8_t *mem;
	uint64_t tick;
};

struct qcow2_cache *qcow2_cache_new(struct qcow2 *q, unsigned n, bool is_l2)
{
	struct qcow2_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->q = q;
	c->is_l2 = is_l2;
	c->n = n;
	c->s = calloc(n, sizeof(*c->s));
	c->mem = malloc((size_t)n * q->cs);
	if (!c->s || !c->mem) {
		qcow2_cache_free(c);
		return NULL;
	}
	return c;
}

void qcow2_cache_free(struct qcow2_cache *c)
{
	if (!c)
		return;
	free(c->s);
	free(c->mem);
	free(c);
}

static void *slot_mem(struct qcow2_cache *c, unsigned i)
{
	return c->mem + (size_t)i * c->q->cs;
}

/* Write slot @i to disk (after the refcount cache, for L2 tables). */
static int write_slot(struct qcow2_cache *c, unsigned i)
{
	struct qcow2 *q = c->q;
	ssize_t n;
	int ret;

	if (c->is_l2) {
		ret = qcow2_sync_refcounts(q);
		if (ret < 0)
			return ret;
	}
	ret = qcow2_check_write(
		q, c->is_l2 ? QC_OV_L2 : QC_OV_REFBLOCK, c->s[i].off, q->cs,
		c->is_l2 ? "L2 table write" : "refcount block write");
	if (ret < 0)
		return ret;
	n = blk_io_pwrite(q->fd, slot_mem(c, i), q->cs, c->s[i].off);
	if (n < 0)
		return blk_error(-n, "cannot write metadata of '%s': %s",
				 q->b->filename, strerror(-n));
	c->s[i].dirty = false;
	return 0;
}

/* Find a slot for @off: a hit, or the least recently used unpinned one. */
static int find_slot(struct qcow2_cache *c, uint64_t off, bool *hit)
{
	int victim = -1;
	int ret;

	for (unsigned i = 0; i < c->n; i++) {
		if (c->s[i].off == off) {
			*hit = true;
			return i;
		}
		if (c->s[i].pin)
			continue;
		if (victim < 0 || c->s[i].lru < c->s[victim].lru)
			victim = i;
	}
	*hit = false;
	if (victim < 0)
		return blk_error(ENOMEM, "qcow2 metadata cache exhausted");
	if (c->s[victim].dirty) {
		ret = write_slot(c, victim);
		if (ret < 0)
			return ret;
	}
	c->s[victim].off = 0;
	return victim;
}

static int get(struct qcow2_cache *c, uint64_t off, void **tbl, bool read)
{
	bool hit;
	int i = find_slot(c, off, &hit);
	ssize_t n;

	if (i < 0)
		return i;
	if (!hit) {
		if (read) {
			n = pread_full(c->q->fd, slot_mem(c, i), c->q->cs, off);
			if (n < 0)
				return blk_error(-n,
						 "cannot read metadata of '%s'",
						 c->q->b->filename);
			if ((uint64_t)n < c->q->cs)
				memset((uint8_t *)slot_mem(c, i) + n, 0,
				       c->q->cs - n);
		} else {
			memset(slot_mem(c, i), 0, c->q->cs);
		}
		c->s[i].off = off;
		c->s[i].dirty = false;
	}
	c->s[i].lru = ++c->tick;
	c->s[i].pin++;
	*tbl = slot_mem(c, i);
	return 0;
}

/* Pin the table at @off (reading it on a miss); release with put. */
int qcow2_cache_get(struct qcow2_cache *c, uint64_t off, void **tbl)
{
	return get(c, off, tbl, true);
}

/* Pin a zero-filled table for a newly allocated cluster @off. */
int qcow2_cache_get_empty(struct qcow2_cache *c, uint64_t off, void **tbl)
{
	int ret = get(c, off, tbl, false);

	if (ret == 0)
		memset(*tbl, 0, c->q->cs);
	return ret;
}

static unsigned slot_of(struct qcow2_cache *c, void *tbl)
{
	return ((uint8_t *)tbl - c->mem) / c->q->cs;
}

void qcow2_cache_put(struct qcow2_cache *c, void *tbl)
{
	c->s[slot_of(c, tbl)].pin--;
}

void qcow2_cache_dirty(struct qcow2_cache *c, void *tbl)
{
	c->s[slot_of(c, tbl)].dirty = true;
}

bool qcow2_cache_has_dirty(struct qcow2_cache *c)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->s[i].dirty)
			return true;
	return false;
}

/* Write every dirty table (no sync); returns 0 or -errno. */
int qcow2_cache_write(struct qcow2_cache *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->s[i].dirty) {
			int ret = write_slot(c, i);

			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/* Forget the table at @off (its cluster was freed); unwritten changes go. */
void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->s[i].off == off && !c->s[i].pin) {
			c->s[i].off = 0;
			c->s[i].dirty = false;
			c->s[i].lru = 0;
		}
	}
}

void qcow2_cache_drop_all(struct qcow2_cache *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (!c->s[i].pin) {
			c->s[i].off = 0;
			c->s[i].dirty = false;
		}
	}
}
