/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Split virtqueue memory layout (virtio 1.2, 2.7): the descriptor table,
 * the available ring and the used ring as the driver lays them out in guest
 * RAM. All fields are little-endian; x86 hosts read them directly.
 */
#ifndef WIRT_VMM_VIRTIO_RING_H
#define WIRT_VMM_VIRTIO_RING_H

#include <stdint.h>

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* size entries, then used_event */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* size entries, then avail_event */
};

/* Byte sizes of the three parts for a queue of size entries. */
#define VIRTQ_DESC_BYTES(size) (16ULL * (size))
#define VIRTQ_AVAIL_BYTES(size) (6ULL + 2ULL * (size))
#define VIRTQ_USED_BYTES(size) (6ULL + 8ULL * (size))

#endif
