// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the split virtqueue walker (virtqueue.c) over fake
 * guest memory of two regions (32 KiB at GPA 0 and at GPA 1 MiB). Input:
 *
 *   u16 size, u64 desc, u64 avail, u64 used (guest addresses), u8 flags
 *   (bit 0 EVENT_IDX, bit 1 INDIRECT_DESC), u8 operation count, two
 *   bytes per operation, then the guest RAM (both regions, 64 KiB).
 *
 * Operations pop a chain (and push it back with a chosen length), ask
 * whether to interrupt, switch notifications or poke RAM. Every chain
 * vq_pop returns is checked: each buffer inside guest RAM, the counts and
 * totals consistent and within the limits of virtio.h.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vmm/virtio/ring.h"

#define REGION (32 * 1024)
#define HIGH_GPA (1ULL << 20)

static uint8_t *ram;
static struct gmem mem;
static struct vq_elem elem;

/* Whether [p, p + len) lies inside the fake RAM. */
static bool in_ram(const void *p, size_t len)
{
	const uint8_t *b = p;

	return b >= ram && len <= 2 * REGION &&
	       (size_t)(b - ram) <= 2 * REGION - len;
}

/* Check what vq_pop returned: buffers in RAM, totals, limits. */
static void check_elem(const struct virtqueue *vq, const struct vq_elem *e)
{
	size_t out = 0, in = 0;
	unsigned int i;

	if (e->head >= vq->size || e->n_out > VQ_MAX_SEGS ||
	    e->n_in > VQ_MAX_SEGS)
		__builtin_trap();
	for (i = 0; i < e->n_out; i++) {
		if (!in_ram(e->out[i].iov_base, e->out[i].iov_len))
			__builtin_trap();
		out += e->out[i].iov_len;
	}
	for (i = 0; i < e->n_in; i++) {
		if (!in_ram(e->in[i].iov_base, e->in[i].iov_len))
			__builtin_trap();
		in += e->in[i].iov_len;
	}
	if (out != e->out_len || in != e->in_len ||
	    out + in > VQ_MAX_CHAIN_BYTES)
		__builtin_trap();
}

/* Run operation op (kind, argument) on vq. */
static void run_op(struct virtqueue *vq, uint8_t kind, uint8_t arg)
{
	uint8_t buf[64];
	int r;

	switch (kind % 6) {
	case 0:
	case 1:
		r = vq_pop(vq, &elem);
		if (r == 1) {
			check_elem(vq, &elem);
			iov_to_buf(elem.out, elem.n_out, arg, buf, sizeof(buf));
			iov_from_buf(elem.in, elem.n_in, arg, buf, sizeof(buf));
			vq_push(vq, &elem, kind == 1 ? elem.in_len : arg);
		} else if (r < 0) {
			vq->ready = false; /* as virtio_dev_fail */
		}
		break;
	case 2:
		vq_should_notify(vq);
		break;
	case 3:
		vq_disable_notify(vq);
		break;
	case 4:
		vq_enable_notify(vq);
		break;
	case 5: /* the driver posts the next head */
		if (vq->avail) {
			uint16_t idx = vq->avail->idx;

			vq->avail->ring[idx & (vq->size - 1)] = arg;
			vq->avail->idx = idx + 1;
		}
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct virtqueue vq = { 0 };
	uint8_t flags, ops[128][2];
	unsigned int nops, i;

	if (!ram) {
		ram = aligned_alloc(4096, 2 * REGION);
		mem.r[0] = (struct gmem_region){ 0, REGION, ram };
		mem.r[1] =
			(struct gmem_region){ HIGH_GPA, REGION, ram + REGION };
		mem.n = 2;
	}
	vq.mem = &mem;
	vq.size = fin_u16(&in);
	vq.desc_gpa = fin_u64(&in);
	vq.avail_gpa = fin_u64(&in);
	vq.used_gpa = fin_u64(&in);
	flags = fin_u8(&in);
	vq.event_idx = flags & 1;
	vq.indirect = flags & 2;
	nops = fin_u8(&in) % 129;
	for (i = 0; i < nops; i++)
		fin_bytes(&in, ops[i], 2);
	memset(ram, 0, 2 * REGION);
	fin_bytes(&in, ram, in.n < 2 * REGION ? in.n : 2 * REGION);
	if (vq_start(&vq)) {
		if (vq.desc || vq.avail || vq.used)
			__builtin_trap(); /* refused but left half set up */
		return 0;
	}
	if (!in_ram(vq.desc, VIRTQ_DESC_BYTES(vq.size)) ||
	    !in_ram(vq.avail, VIRTQ_AVAIL_BYTES(vq.size)) ||
	    !in_ram(vq.used, VIRTQ_USED_BYTES(vq.size)))
		__builtin_trap();
	vq.ready = true;
	for (i = 0; i < nops; i++)
		run_op(&vq, ops[i][0], ops[i][1]);
	return 0;
}
