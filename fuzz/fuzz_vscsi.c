// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: virtio-scsi's control and request queues and the
 * SCSI command layer against a hostile guest (vdev-fuzz.c), on two real
 * disks: target 0 a fresh 1 MiB raw image (io_uring engine) or qcow2
 * image (block library, thread pool), read-only or not as the input's
 * first byte says, target 1 a raw image probed as raw (block 0 guarded),
 * a CD-ROM (media=cdrom) when bit 2 of that byte is set.
 * Requests complete in the device's evloop thread; the fuzzer waits for
 * them after every kick. Queues: 0 control, 1 event, 2.. requests.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "block/blk.h"
#include "fuzz.h"
#include "vmm/disk/disk.h"
#include "vmm/virtio/scsi.h"

#define DISK_BYTES (1 << 20)

static uint8_t *ram;
static struct gmem mem;
static char path[2][64];

/* Wait until every request the device started has completed. */
static void wait_idle(struct virtio_dev *d)
{
	unsigned long spins = 0;

	while (vscsi_inflight(d->priv)) {
		if (++spins > 20000000UL)
			__builtin_trap(); /* a request never completed */
		sched_yield();
	}
}

/* A fresh image at path[i]: raw (zeroes) or an empty qcow2. 0 or -1. */
static int fresh_image(int i, bool qcow2)
{
	struct blk_create_opts o = { .size = DISK_BYTES, .cluster_size = 4096 };
	int fd;

	unlink(path[i]);
	if (qcow2)
		return blk_create(path[i], BLK_FMT_QCOW2, &o);
	fd = open(path[i], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, DISK_BYTES)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Open disk i of spec and make it the next target of s. */
static void add_disk(struct vscsi *s, const char *spec, bool cdrom)
{
	char err[DISK_ERR_LEN];
	struct disk_opts o;
	struct disk *disk;

	if (disk_parse_opts(spec, &o, err, sizeof(err)))
		__builtin_trap();
	if (disk_open(&disk, &o, 64, err, sizeof(err))) {
		fprintf(stderr, "fuzz_vscsi: %s\n", err);
		__builtin_trap();
	}
	disk_opts_free(&o);
	if (vscsi_add_target(s, disk, "fuzz", cdrom) < 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct virtqueue vqs[4] = { 0 };
	struct virtio_dev dev = { 0 };
	char spec[160];
	struct vscsi *s;
	uint8_t mode;

	if (!ram) {
		ram = aligned_alloc(4096, FZ_RAM_SIZE);
		mem.r[0] = (struct gmem_region){ 0, FZ_RAM_SIZE, ram };
		mem.n = 1;
		snprintf(path[0], sizeof(path[0]),
			 "/dev/shm/wirt-fuzz-vscsi-%d-0", getpid());
		snprintf(path[1], sizeof(path[1]),
			 "/dev/shm/wirt-fuzz-vscsi-%d-1", getpid());
	}
	mode = fin_u8(&in);
	if (fresh_image(0, mode & 1) || fresh_image(1, false))
		__builtin_trap();
	s = vscsi_new(1 + (mode >> 7));
	dev = (struct virtio_dev){
		.ops = vscsi_ops(s), .priv = s, .mem = &mem, .vqs = vqs
	};
	dev.loop = evloop_new("fuzz-vscsi");
	if (!dev.loop)
		__builtin_trap();
	vscsi_attach(s, &dev);
	snprintf(spec, sizeof(spec), "path=%s,format=%s%s,serial=fuzz", path[0],
		 mode & 1 ? "qcow2" : "raw", mode & 2 ? ",readonly=on" : "");
	add_disk(s, spec, false);
	snprintf(spec, sizeof(spec), "path=%s", path[1]);
	add_disk(s, spec, mode & 4);
	if (evloop_start(dev.loop))
		__builtin_trap();
	fz_vdev_run(&dev, ram, &in, NULL, wait_idle);
	evloop_stop(dev.loop);
	vscsi_free(s);
	evloop_free(dev.loop);
	unlink(path[0]);
	unlink(path[1]);
	return 0;
}
