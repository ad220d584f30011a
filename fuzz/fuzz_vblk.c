// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: virtio-blk's request parsing and submission against a
 * hostile guest (vdev-fuzz.c) on a real disk: a fresh 1 MiB raw image
 * (io_uring engine) or qcow2 image (block library, thread pool), writable
 * or read-only, as the input's first byte says. Requests complete in the
 * device's evloop thread; the fuzzer waits for them after every kick.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "block/blk.h"
#include "fuzz.h"
#include "vmm/disk/disk.h"
#include "vmm/virtio/blk.h"

#define DISK_BYTES (1 << 20)

static uint8_t *ram;
static struct gmem mem;
static char path[64];

/* Wait until every request the device started has completed. */
static void wait_idle(struct virtio_dev *d)
{
	unsigned long spins = 0;

	while (vblk_inflight(d->priv)) {
		if (++spins > 20000000UL)
			__builtin_trap(); /* a request never completed */
		sched_yield();
	}
}

/* A fresh image at path: raw (zeroes) or an empty qcow2. 0 or -errno. */
static int fresh_image(bool qcow2)
{
	struct blk_create_opts o = { .size = DISK_BYTES, .cluster_size = 4096 };
	int fd;

	unlink(path);
	if (qcow2)
		return blk_create(path, BLK_FMT_QCOW2, &o);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, DISK_BYTES)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct virtqueue vqs[2] = { 0 };
	struct virtio_dev dev = { 0 };
	char spec[160], err[DISK_ERR_LEN];
	struct disk_opts o;
	struct disk *disk;
	struct vblk *b;
	uint8_t mode;

	if (!ram) {
		ram = aligned_alloc(4096, FZ_RAM_SIZE);
		mem.r[0] = (struct gmem_region){ 0, FZ_RAM_SIZE, ram };
		mem.n = 1;
		snprintf(path, sizeof(path), "/dev/shm/wirt-fuzz-vblk-%d",
			 getpid());
	}
	mode = fin_u8(&in);
	if (fresh_image(mode & 1))
		__builtin_trap();
	snprintf(spec, sizeof(spec), "path=%s,format=%s%s,serial=fuzz-%u", path,
		 mode & 1 ? "qcow2" : "raw", mode & 2 ? ",readonly=on" : "",
		 mode);
	if (disk_parse_opts(spec, &o, err, sizeof(err)))
		__builtin_trap();
	if (disk_open(&disk, &o, 64, err, sizeof(err))) {
		fprintf(stderr, "fuzz_vblk: %s\n", err);
		__builtin_trap();
	}
	disk_opts_free(&o);
	b = vblk_new(disk, 1 + (mode >> 7));
	dev = (struct virtio_dev){
		.ops = vblk_ops(b), .priv = b, .mem = &mem, .vqs = vqs
	};
	dev.loop = evloop_new("fuzz-vblk");
	if (!dev.loop || vblk_attach(b, &dev) || evloop_start(dev.loop))
		__builtin_trap();
	fz_vdev_run(&dev, ram, &in, NULL, wait_idle);
	evloop_stop(dev.loop);
	vblk_free(b);
	evloop_free(dev.loop);
	unlink(path);
	return 0;
}
