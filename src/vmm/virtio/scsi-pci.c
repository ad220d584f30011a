// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --disk bus=scsi: open the disk and make it the next target of the VM's
 * virtio-scsi adapter, which the first such disk puts on the PCI bus
 * (one adapter per VM, found again through its VM hook). Kept apart from
 * virtio/scsi.c so that the device needs no transport.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "vmm/disk/disk.h"
#include "vmm/virtio/scsi.h"
#include "vmm/virtio/virtio-pci.h"
#include "vmm/vm-disks.h"
#include "vmm/vm.h"

#define SCSI_HOOK "virtio-scsi-adapter"
#define DISK_MAX_DEPTH 1024

/* The VM's adapter, or NULL before the first bus=scsi disk. */
static struct vscsi *find_adapter(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nhooks; i++)
		if (vm->hooks[i].name && !strcmp(vm->hooks[i].name, SCSI_HOOK))
			return vm->hooks[i].opaque;
	return NULL;
}

/*
 * Add the adapter with one request queue per vCPU to the PCI bus.
 * Returns it, or NULL after one error line naming path.
 */
static struct vscsi *add_adapter(struct vm *vm, const char *path)
{
	struct vm_hook h = { .name = SCSI_HOOK };
	struct virtio_dev *d;
	struct vscsi *s;
	int r;

	s = vscsi_new(vm->ncpus ? vm->ncpus : 1);
	if (!s) {
		wirt_err("disk '%s': cannot create the virtio-scsi adapter: %s",
			 path, strerror(errno));
		return NULL;
	}
	r = virtio_pci_add(vm, vscsi_ops(s), s, &d);
	if (r) {
		wirt_err("disk '%s': cannot add the virtio-scsi PCI device: %s",
			 path, strerror(-r));
		vscsi_free(s);
		return NULL;
	}
	/* from here the transport owns s: ops->destroy frees it */
	vscsi_attach(s, d);
	h.opaque = s;
	r = vm_add_hook(vm, &h);
	if (r) {
		wirt_err(
			"disk '%s': cannot register the virtio-scsi adapter: %s",
			path, strerror(-r));
		return NULL;
	}
	return s;
}

/* Name target t for the control socket. Returns 0 or -errno after a line. */
static int list_disk(struct vm *vm, const struct disk_opts *o, struct disk *k,
		     unsigned int t)
{
	int r = vm_disks_add_scsi(vm, o->id, k, t, o->cdrom);
	char dflt[32];

	snprintf(dflt, sizeof(dflt), "scsi0-%s%u", o->cdrom ? "cd" : "hd", t);
	return vm_disks_report(r, o->path, o->id, dflt);
}

int virtio_scsi_create(struct vm *vm, const struct disk_opts *o)
{
	unsigned int nq = vm->ncpus ? vm->ncpus : 1;
	char err[DISK_ERR_LEN], name[DISK_ID_MAX + 1];
	struct vscsi *s = find_adapter(vm);
	struct disk *disk;
	int t;

	if (s && vscsi_ntargets(s) >= VSCSI_MAX_TARGETS) {
		wirt_err("--disk '%s': more than %d disks with bus=scsi",
			 o->path, VSCSI_MAX_TARGETS);
		return -ENOSPC;
	}
	if (!s && !(s = add_adapter(vm, o->path)))
		return -EIO;
	t = disk_open(&disk, o, MIN(nq * VSCSI_QUEUE_SIZE, DISK_MAX_DEPTH), err,
		      sizeof(err));
	if (t) {
		wirt_err("%s", err);
		return t;
	}
	snprintf(name, sizeof(name), "%s", *o->id ? o->id : "");
	if (!*name)
		snprintf(name, sizeof(name), "scsi0-%s%u",
			 o->cdrom ? "cd" : "hd", vscsi_ntargets(s));
	t = vscsi_add_target(s, disk, name, o->cdrom);
	if (t < 0) {
		wirt_err(
			"disk '%s': cannot add it to the virtio-scsi adapter: %s",
			o->path, strerror(-t));
		disk_close(disk);
		return t;
	}
	return list_disk(vm, o, disk, t);
}
