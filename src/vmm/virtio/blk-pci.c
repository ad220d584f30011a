// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --disk: open the disk, make a virtio-blk device with one queue per vCPU
 * and put it on the VM's PCI bus. Kept apart from virtio/blk.c so that the
 * device itself needs no transport (and is unit-tested without one).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "vmm/vm-disks.h"
#include "vmm/disk/disk.h"
#include "vmm/virtio/blk.h"
#include "vmm/virtio/virtio-pci.h"
#include "vmm/vm.h"

#define DISK_MAX_DEPTH 1024

/* Name the disk for the control socket. Returns 0 or -errno after one line. */
static int list_disk(struct vm *vm, const struct disk_opts *o, struct disk *k)
{
	unsigned int n = vm_disks_count(vm);
	int r = vm_disks_add(vm, o->id, k);
	char dflt[32];

	snprintf(dflt, sizeof(dflt), "virtio%u", n);
	return vm_disks_report(r, o->path, o->id, dflt);
}

int virtio_blk_create(struct vm *vm, const struct disk_opts *op)
{
	unsigned int nq = vm->ncpus ? vm->ncpus : 1;
	const struct disk_opts o = *op;
	char err[DISK_ERR_LEN];
	struct virtio_dev *d;
	struct disk *disk;
	struct vblk *b;
	int r;

	r = disk_open(&disk, &o, MIN(nq * VBLK_QUEUE_SIZE, DISK_MAX_DEPTH), err,
		      sizeof(err));
	if (r) {
		wirt_err("%s", err);
		return r;
	}
	b = vblk_new(disk, nq);
	if (!b) {
		r = -errno;
		wirt_err("disk '%s': %s", o.path, strerror(errno));
		disk_close(disk);
		return r;
	}
	r = virtio_pci_add(vm, vblk_ops(b), b, &d);
	if (r) {
		wirt_err("disk '%s': cannot add its virtio-blk PCI device: %s",
			 o.path, strerror(-r));
		vblk_free(b);
		return r;
	}
	/* from here the transport owns b: ops->destroy frees it */
	r = vblk_attach(b, d);
	if (r)
		wirt_err("disk '%s': cannot start its virtio-blk device: %s",
			 o.path, strerror(-r));
	else
		r = list_disk(vm, &o, disk);
	return r;
}
