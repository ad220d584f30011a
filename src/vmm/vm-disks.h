/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM's disks by name, for the control socket (query-block,
 * query-blockstats). Each --disk gets the name given with id=, or
 * "virtio<N>" (N its position among the --disk options, from 0), which is
 * how QEMU names `-drive if=virtio` disks.
 *
 * The list is filled while the devices are created (before the control
 * socket runs) and freed with the VM after the control socket is gone, so
 * readers need no lock.
 */
#ifndef WIRT_VMM_VM_DISKS_H
#define WIRT_VMM_VM_DISKS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vmm/disk/disk.h"

#define VM_MAX_DISKS 64

struct vm;

struct vm_disk {
	char name[DISK_ID_MAX + 1]; /* QMP "device" */
	bool named; /* given with id= */
	unsigned int index; /* position among the --disk options */
	struct disk *disk;
	bool scsi; /* a virtio-scsi target (bus=scsi), else virtio-blk */
	bool cdrom; /* that target is a CD-ROM (media=cdrom) */
	unsigned int target; /* its target number on the adapter */
};

struct vm_disks {
	unsigned int n;
	struct vm_disk d[VM_MAX_DISKS];
};

/*
 * vm_disks_add - list disk under id (NULL: "virtio<N>"). Returns 0,
 * -EEXIST when another disk has that name, -ENOSPC past VM_MAX_DISKS,
 * or -ENOMEM.
 */
int vm_disks_add(struct vm *vm, const char *id, struct disk *disk);

/*
 * vm_disks_add_scsi - list disk, target number target of the VM's
 * virtio-scsi adapter (a CD-ROM when cdrom), under id (NULL or "":
 * "scsi0-hd<target>" or "scsi0-cd<target>", as QEMU names `-drive
 * if=scsi` disks). Returns what vm_disks_add does.
 */
int vm_disks_add_scsi(struct vm *vm, const char *id, struct disk *disk,
		      unsigned int target, bool cdrom);

/*
 * vm_disks_report - after vm_disks_add or vm_disks_add_scsi returned r for
 * --disk path given id ("" when none; dflt: the default name it would
 * have had): one line saying why the disk could not be listed, when r is
 * an error. Returns r.
 */
int vm_disks_report(int r, const char *path, const char *id, const char *dflt);

/* vm_disks_count - how many disks the VM has. */
unsigned int vm_disks_count(const struct vm *vm);

/* vm_disk_get - disk i (< vm_disks_count()), or NULL. */
const struct vm_disk *vm_disk_get(const struct vm *vm, unsigned int i);

/* vm_disks_free - free the list (with the VM). */
void vm_disks_free(struct vm *vm);

/*
 * vm_disks_grant - disk_grant() every disk of vm to uid:gid (the
 * sandbox's user, before the switch). Returns 0, or -errno with one line
 * in err.
 */
int vm_disks_grant(struct vm *vm, uid_t uid, gid_t gid, char *err, size_t len);

#endif
