// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Split virtqueue handling against hand-built rings in a fake guest RAM:
 * two adjacent regions with separate host mappings (so a buffer across
 * the boundary is "straddling"), plus a large sparse region for length
 * caps. Hostile rings must give -EINVAL, never a crash (ASan is on).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "vmm/virtio/ring.h"
#include "vmm/virtio/virtio.h"

#define R0_GPA 0x0ULL
#define R0_SIZE 0x40000ULL
#define R1_GPA 0x40000ULL /* right after R0, another host mapping */
#define R1_SIZE 0x10000ULL
#define BIG_GPA 0x10000000ULL
#define BIG_SIZE (256ULL << 20)

#define QSIZE 8
#define DESC_GPA 0x1000ULL
#define AVAIL_GPA 0x2000ULL
#define USED_GPA 0x3000ULL
#define IND_GPA 0x5000ULL
#define BUF_GPA 0x10000ULL

struct fx {
	struct gmem mem;
	uint8_t *r0, *r1, *big;
	struct virtqueue vq;
	struct vq_elem e;
};

static void *gp(struct fx *f, uint64_t gpa)
{
	return gmem_ptr(&f->mem, gpa, 1);
}

static struct virtq_desc *desc(struct fx *f, unsigned int i)
{
	return (struct virtq_desc *)gp(f, DESC_GPA) + i;
}

static struct virtq_desc *ind(struct fx *f, unsigned int i)
{
	return (struct virtq_desc *)gp(f, IND_GPA) + i;
}

static struct virtq_avail *avail(struct fx *f)
{
	return gp(f, AVAIL_GPA);
}

static struct virtq_used *used(struct fx *f)
{
	return gp(f, USED_GPA);
}

static void set_desc(struct virtq_desc *d, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	*d = (struct virtq_desc){ addr, len, flags, next };
}

/* Offer the chain starting at head in the next available slot. */
static void offer(struct fx *f, uint16_t head)
{
	struct virtq_avail *a = avail(f);

	a->ring[a->idx % QSIZE] = head;
	a->idx++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->r0 = calloc(1, R0_SIZE);
	f->r1 = calloc(1, R1_SIZE);
	f->big = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_non_null(f->r0);
	assert_non_null(f->r1);
	assert_true(f->big != MAP_FAILED);
	f->mem.r[0] = (struct gmem_region){ R0_GPA, R0_SIZE, f->r0 };
	f->mem.r[1] = (struct gmem_region){ R1_GPA, R1_SIZE, f->r1 };
	f->mem.r[2] = (struct gmem_region){ BIG_GPA, BIG_SIZE, f->big };
	f->mem.n = 3;
	f->vq = (struct virtqueue){ .mem = &f->mem,
				    .size = QSIZE,
				    .ready = true,
				    .desc_gpa = DESC_GPA,
				    .avail_gpa = AVAIL_GPA,
				    .used_gpa = USED_GPA };
	assert_int_equal(vq_start(&f->vq), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	munmap(f->big, BIG_SIZE);
	free(f->r0);
	free(f->r1);
	free(f);
	return 0;
}

static void test_start_checks(void **state)
{
	struct fx *f = *state;
	struct virtqueue q = f->vq;

	q.size = 6;
	assert_int_equal(vq_start(&q), -EINVAL);
	q.size = 2048;
	assert_int_equal(vq_start(&q), -EINVAL);
	q.size = 0;
	assert_int_equal(vq_start(&q), -EINVAL);
	q = f->vq;
	q.desc_gpa = DESC_GPA + 8; /* misaligned */
	assert_int_equal(vq_start(&q), -EINVAL);
	q = f->vq;
	q.used_gpa = USED_GPA + 2;
	assert_int_equal(vq_start(&q), -EINVAL);
	q = f->vq;
	q.used_gpa = R0_SIZE + R1_SIZE; /* outside RAM */
	assert_int_equal(vq_start(&q), -EINVAL);
	q = f->vq;
	q.desc_gpa = R0_SIZE - 64; /* straddles R0 and R1 */
	assert_int_equal(vq_start(&q), -EINVAL);
	assert_null(q.desc);
	q = f->vq;
	assert_int_equal(vq_start(&q), 0);
	/* a queue that is not live never yields anything */
	q.ready = false;
	offer(f, 0);
	assert_int_equal(vq_pop(&q, &f->e), 0);
}

static void test_chain(void **state)
{
	struct fx *f = *state;
	char msg[] = "hello, world";
	uint8_t back[64];

	memcpy(gp(f, BUF_GPA), "hello, ", 7);
	memcpy(gp(f, BUF_GPA + 0x100), "world", 5);
	set_desc(desc(f, 3), BUF_GPA, 7, VIRTQ_DESC_F_NEXT, 5);
	set_desc(desc(f, 5), BUF_GPA + 0x100, 5, VIRTQ_DESC_F_NEXT, 1);
	set_desc(desc(f, 1), BUF_GPA + 0x200, 32, VIRTQ_DESC_F_WRITE, 0);
	assert_int_equal(vq_pop(&f->vq, &f->e), 0);
	offer(f, 3);
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	assert_int_equal(f->e.head, 3);
	assert_int_equal(f->e.n_out, 2);
	assert_int_equal(f->e.n_in, 1);
	assert_int_equal(f->e.out_len, 12);
	assert_int_equal(f->e.in_len, 32);
	assert_int_equal(iov_to_buf(f->e.out, f->e.n_out, 0, back, 64), 12);
	assert_memory_equal(back, msg, 12);
	assert_int_equal(iov_to_buf(f->e.out, f->e.n_out, 5, back, 4), 4);
	assert_memory_equal(back, ", wo", 4);
	assert_int_equal(iov_from_buf(f->e.in, f->e.n_in, 30, "xyz", 3), 2);
	assert_memory_equal(gp(f, BUF_GPA + 0x200 + 30), "xy", 2);
	vq_push(&f->vq, &f->e, 100); /* more than the buffer: clamped */
	assert_int_equal(used(f)->idx, 1);
	assert_int_equal(used(f)->ring[0].id, 3);
	assert_int_equal(used(f)->ring[0].len, 32);
	assert_int_equal(vq_pop(&f->vq, &f->e), 0);
	/* zero-length descriptors are skipped, not mapped */
	set_desc(desc(f, 2), 0xffffffff00000000ULL, 0, VIRTQ_DESC_F_NEXT, 4);
	set_desc(desc(f, 4), BUF_GPA, 16, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 2);
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	assert_int_equal(f->e.n_out, 0);
	assert_int_equal(f->e.n_in, 1);
}

static void test_indirect(void **state)
{
	struct fx *f = *state;

	set_desc(ind(f, 0), BUF_GPA, 10, VIRTQ_DESC_F_NEXT, 2);
	set_desc(ind(f, 2), BUF_GPA + 0x100, 20, VIRTQ_DESC_F_NEXT, 1);
	set_desc(ind(f, 1), BUF_GPA + 0x200, 30, VIRTQ_DESC_F_WRITE, 0);
	set_desc(desc(f, 0), BUF_GPA + 0x300, 4, VIRTQ_DESC_F_NEXT, 6);
	set_desc(desc(f, 6), IND_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	/* not negotiated: malformed */
	assert_int_equal(vq_pop(&f->vq, &f->e), -EINVAL);
	f->vq.indirect = true;
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	assert_int_equal(f->e.head, 0);
	assert_int_equal(f->e.n_out, 3);
	assert_int_equal(f->e.n_in, 1);
	assert_int_equal(f->e.out_len, 34);
	assert_int_equal(f->e.in_len, 30);
	assert_ptr_equal(f->e.in[0].iov_base, gp(f, BUF_GPA + 0x200));
}

/* Offer a one-descriptor chain and pop it; returns vq_pop's result. */
static int pop_one(struct fx *f, uint16_t head)
{
	offer(f, head);
	return vq_pop(&f->vq, &f->e);
}

static void test_event_idx(void **state)
{
	struct fx *f = *state;
	struct virtq_avail *a = avail(f);
	unsigned int i;

	f->vq.event_idx = true;
	set_desc(desc(f, 0), BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	/* nothing pushed yet: the first call may notify (nothing known) */
	a->ring[QSIZE] = 0; /* used_event */
	assert_int_equal(pop_one(f, 0), 1);
	vq_push(&f->vq, &f->e, 8);
	assert_true(vq_should_notify(&f->vq)); /* first: always */
	assert_false(vq_should_notify(&f->vq)); /* nothing new */
	/* driver wants an interrupt when used idx passes 3 */
	a->ring[QSIZE] = 3;
	for (i = 0; i < 2; i++) {
		assert_int_equal(pop_one(f, 0), 1);
		vq_push(&f->vq, &f->e, 8);
		assert_false(vq_should_notify(&f->vq)); /* used idx 2, 3 */
	}
	assert_int_equal(pop_one(f, 0), 1);
	vq_push(&f->vq, &f->e, 8); /* used idx 4: crossed event 3 */
	assert_true(vq_should_notify(&f->vq));
	/* two pushes at once that jump over the event still notify */
	a->ring[QSIZE] = 4;
	assert_int_equal(pop_one(f, 0), 1);
	vq_push(&f->vq, &f->e, 8);
	assert_int_equal(pop_one(f, 0), 1);
	vq_push(&f->vq, &f->e, 8);
	assert_true(vq_should_notify(&f->vq));
	/* NO_INTERRUPT is ignored with EVENT_IDX */
	a->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	a->ring[QSIZE] = 6;
	assert_int_equal(pop_one(f, 0), 1);
	vq_push(&f->vq, &f->e, 8);
	assert_true(vq_should_notify(&f->vq));
	/* avail_event tells the driver where to kick next */
	assert_false(vq_enable_notify(&f->vq));
	assert_int_equal(*(uint16_t *)&used(f)->ring[QSIZE], 7);
	offer(f, 0);
	assert_true(vq_enable_notify(&f->vq));
	/* disable is a no-op with EVENT_IDX */
	vq_disable_notify(&f->vq);
	assert_int_equal(used(f)->flags, 0);
}

static void test_flags(void **state)
{
	struct fx *f = *state;
	struct virtq_avail *a = avail(f);

	set_desc(desc(f, 0), BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	a->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	assert_int_equal(pop_one(f, 0), 1);
	vq_push(&f->vq, &f->e, 8);
	assert_false(vq_should_notify(&f->vq));
	a->flags = 0;
	assert_int_equal(pop_one(f, 0), 1);
	vq_push(&f->vq, &f->e, 8);
	assert_true(vq_should_notify(&f->vq));
	assert_false(vq_should_notify(&f->vq)); /* nothing new pushed */
	vq_disable_notify(&f->vq);
	assert_int_equal(used(f)->flags, VIRTQ_USED_F_NO_NOTIFY);
	assert_false(vq_enable_notify(&f->vq));
	assert_int_equal(used(f)->flags, 0);
	vq_disable_notify(&f->vq);
	offer(f, 0);
	assert_true(vq_enable_notify(&f->vq)); /* raced: pop again */
}

static void test_wrap(void **state)
{
	struct fx *f = *state;
	struct virtq_avail *a = avail(f);
	unsigned int i;

	f->vq.last_avail = 0xfffe;
	f->vq.used_idx = 0xfffe;
	a->idx = 0xfffe;
	used(f)->idx = 0xfffe;
	for (i = 0; i < 3; i++)
		set_desc(desc(f, i), BUF_GPA + i * 16, 16, VIRTQ_DESC_F_WRITE,
			 0);
	offer(f, 0); /* slot 6 */
	offer(f, 1); /* slot 7 */
	offer(f, 2); /* slot 0, avail idx 1 */
	assert_int_equal(a->idx, 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(vq_pop(&f->vq, &f->e), 1);
		assert_int_equal(f->e.head, i);
		vq_push(&f->vq, &f->e, i);
	}
	assert_int_equal(vq_pop(&f->vq, &f->e), 0);
	assert_int_equal(used(f)->idx, 1);
	assert_int_equal(used(f)->ring[6].id, 0);
	assert_int_equal(used(f)->ring[7].id, 1);
	assert_int_equal(used(f)->ring[0].id, 2);
	assert_int_equal(used(f)->ring[0].len, 2);
	/* a full ring (size pending) is fine, size + 1 is not */
	a->idx = f->vq.last_avail + QSIZE;
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	a->idx = f->vq.last_avail + QSIZE + 1;
	assert_int_equal(vq_pop(&f->vq, &f->e), -EINVAL);
}

/* One hostile case: set up by fn, then vq_pop must give -EINVAL. */
static void expect_bad(struct fx *f, uint16_t head)
{
	offer(f, head);
	assert_int_equal(vq_pop(&f->vq, &f->e), -EINVAL);
	/* nothing consumed: the same chain is still the next one */
	assert_int_equal(vq_pop(&f->vq, &f->e), -EINVAL);
	avail(f)->idx--;
}

static void test_hostile_addresses(void **state)
{
	struct fx *f = *state;

	f->vq.indirect = true;
	set_desc(desc(f, 0), R0_SIZE + R1_SIZE, 16, 0, 0); /* past RAM */
	expect_bad(f, 0);
	set_desc(desc(f, 0), R0_SIZE - 8, 16, 0, 0); /* straddles R0/R1 */
	expect_bad(f, 0);
	set_desc(desc(f, 0), UINT64_MAX - 4, 16, 0, 0); /* wraps */
	expect_bad(f, 0);
	set_desc(desc(f, 0), BUF_GPA, UINT32_MAX, VIRTQ_DESC_F_WRITE, 0);
	expect_bad(f, 0);
	set_desc(desc(f, 0), R0_SIZE - 16, 16, 0, 0); /* last bytes: fine */
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	/* indirect table outside RAM / straddling */
	set_desc(desc(f, 0), R0_SIZE + R1_SIZE + 0x1000, 32,
		 VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(f, 0);
	set_desc(desc(f, 0), R0_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(f, 0);
	/* a buffer in an indirect table outside RAM */
	set_desc(ind(f, 0), BIG_GPA + BIG_SIZE, 1, 0, 0);
	set_desc(desc(f, 0), IND_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(f, 0);
}

static void test_hostile_chains(void **state)
{
	struct fx *f = *state;
	unsigned int i;

	f->vq.indirect = true;
	/* loop: 0 -> 1 -> 0 */
	set_desc(desc(f, 0), BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(desc(f, 1), BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	expect_bad(f, 0);
	/* self loop */
	set_desc(desc(f, 2), BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 2);
	expect_bad(f, 2);
	/* next index beyond the table */
	set_desc(desc(f, 0), BUF_GPA, 4, VIRTQ_DESC_F_NEXT, QSIZE);
	expect_bad(f, 0);
	set_desc(desc(f, 0), BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 0xffff);
	expect_bad(f, 0);
	/* head index beyond the table */
	expect_bad(f, QSIZE);
	expect_bad(f, 0xffff);
	/* readable after writable */
	set_desc(desc(f, 0), BUF_GPA, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		 1);
	set_desc(desc(f, 1), BUF_GPA, 4, 0, 0);
	expect_bad(f, 0);
	/* too many bytes in all: 3 x 60 MiB in the big region */
	set_desc(desc(f, 0), BIG_GPA, 60 << 20, VIRTQ_DESC_F_NEXT, 1);
	set_desc(desc(f, 1), BIG_GPA, 60 << 20, VIRTQ_DESC_F_NEXT, 2);
	set_desc(desc(f, 2), BIG_GPA, 60 << 20, VIRTQ_DESC_F_WRITE, 0);
	expect_bad(f, 0);
	set_desc(desc(f, 2), BIG_GPA, 8 << 20, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	assert_int_equal(f->e.out_len, 120 << 20);
	/* too many segments: 300 in an indirect table */
	for (i = 0; i < 300; i++)
		set_desc(ind(f, i), BUF_GPA, 1, VIRTQ_DESC_F_NEXT, i + 1);
	set_desc(ind(f, 299), BUF_GPA, 1, 0, 0);
	set_desc(desc(f, 0), IND_GPA, 300 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(f, 0);
	set_desc(ind(f, VQ_MAX_SEGS - 1), BUF_GPA, 1, 0, 0);
	set_desc(desc(f, 0), IND_GPA, VQ_MAX_SEGS * 16, VIRTQ_DESC_F_INDIRECT,
		 0);
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	assert_int_equal(f->e.n_out, VQ_MAX_SEGS);
}

static void test_hostile_indirect(void **state)
{
	struct fx *f = *state;

	f->vq.indirect = true;
	set_desc(ind(f, 0), BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(ind(f, 1), BUF_GPA, 4, 0, 0);
	/* length not a multiple of 16, zero, huge */
	set_desc(desc(f, 0), IND_GPA, 17, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(f, 0);
	set_desc(desc(f, 0), IND_GPA, 0, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(f, 0);
	set_desc(desc(f, 0), BIG_GPA, (VIRTQ_MAX_SIZE + 1) * 16,
		 VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(f, 0);
	/* INDIRECT together with NEXT */
	set_desc(desc(f, 0), IND_GPA, 32,
		 VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	set_desc(desc(f, 1), BUF_GPA, 4, 0, 0);
	expect_bad(f, 0);
	/* nested: an indirect descriptor inside the table */
	set_desc(ind(f, 1), IND_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(desc(f, 0), IND_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad(f, 0);
	set_desc(ind(f, 1), IND_GPA + 0x100, 32,
		 VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 0);
	expect_bad(f, 0);
	/* next beyond the table's own length, and a loop inside it */
	set_desc(ind(f, 1), BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 2);
	expect_bad(f, 0);
	set_desc(ind(f, 1), BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	expect_bad(f, 0);
	/* and the fixed table works */
	set_desc(ind(f, 1), BUF_GPA, 4, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->e), 1);
	assert_int_equal(f->e.n_out, 1);
	assert_int_equal(f->e.n_in, 1);
}

/* Random garbage rings: no crash, every result 1, 0 or -EINVAL. */
static void test_garbage(void **state)
{
	struct fx *f = *state;
	unsigned int round, i, n_bad = 0, n_ok = 0;
	uint8_t *d = gp(f, DESC_GPA);

	srandom(42);
	f->vq.indirect = true;
	for (round = 0; round < 20000; round++) {
		int r;

		for (i = 0; i < QSIZE * 16; i++)
			d[i] = random();
		for (i = 0; i < QSIZE; i++) {
			struct virtq_desc *x = desc(f, i);

			x->next %= QSIZE + 2;
			if (random() % 2)
				x->addr = BUF_GPA + random() % 0x40000;
			x->len %= 0x10000;
			x->flags &= 7;
			if (x->flags & VIRTQ_DESC_F_INDIRECT && random() % 2) {
				x->addr = DESC_GPA;
				x->len = 16 * (1 + random() % QSIZE);
			}
		}
		offer(f, random() % (QSIZE + 1));
		r = vq_pop(&f->vq, &f->e);
		assert_true(r == 1 || r == -EINVAL);
		if (r == 1)
			n_ok++;
		else {
			n_bad++;
			f->vq.last_avail = avail(f)->idx;
		}
	}
	assert_true(n_ok > 100);
	assert_true(n_bad > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_addresses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_chains, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_indirect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
