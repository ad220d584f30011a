// SPDX-License-Identifier: GPL-2.0-or-later
/* The VM's disks by QMP device name. */
#include "vmm/vm-disks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "vmm/disk/disk-grant.h"
#include "vmm/vm.h"

/* Frees the list at the end of the VM (its only hook). */
static void list_destroy(struct vm *vm, void *opaque)
{
	vm_disks_free(vm);
}

/* The list of vm, created (with its destroy hook) on first use. */
static struct vm_disks *get_list(struct vm *vm)
{
	struct vm_hook h = { .name = "disk-list", .destroy = list_destroy };
	struct vm_disks *l = vm->disks;

	if (l)
		return l;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	h.opaque = l;
	if (vm_add_hook(vm, &h)) {
		free(l);
		errno = ENOSPC;
		return NULL;
	}
	vm->disks = l;
	return l;
}

/*
 * List disk under id, or under defname when id is NULL or empty; bus
 * and target as vm_disk says. Returns what vm_disks_add does.
 */
static int add(struct vm *vm, const char *id, const char *defname,
	       struct disk *disk, bool scsi, unsigned int target)
{
	struct vm_disks *l = get_list(vm);
	struct vm_disk *e;
	unsigned int i;
	char name[DISK_ID_MAX + 1];

	if (!l)
		return -errno;
	if (l->n >= VM_MAX_DISKS)
		return -ENOSPC;
	snprintf(name, sizeof(name), "%s", id && *id ? id : defname);
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->d[i].name, name))
			return -EEXIST;
	e = &l->d[l->n];
	memcpy(e->name, name, sizeof(name));
	e->named = id && *id;
	e->index = l->n++;
	e->disk = disk;
	e->scsi = scsi;
	e->target = target;
	return 0;
}

int vm_disks_add(struct vm *vm, const char *id, struct disk *disk)
{
	char def[DISK_ID_MAX + 1];

	snprintf(def, sizeof(def), "virtio%u", vm_disks_count(vm));
	return add(vm, id, def, disk, false, 0);
}

int vm_disks_add_scsi(struct vm *vm, const char *id, struct disk *disk,
		      unsigned int target, bool cdrom)
{
	char def[DISK_ID_MAX + 1];
	int r;

	snprintf(def, sizeof(def), "scsi0-%s%u", cdrom ? "cd" : "hd", target);
	r = add(vm, id, def, disk, true, target);
	if (!r)
		vm->disks->d[vm->disks->n - 1].cdrom = cdrom;
	return r;
}

unsigned int vm_disks_count(const struct vm *vm)
{
	return vm->disks ? vm->disks->n : 0;
}

const struct vm_disk *vm_disk_get(const struct vm *vm, unsigned int i)
{
	return i < vm_disks_count(vm) ? &vm->disks->d[i] : NULL;
}

void vm_disks_free(struct vm *vm)
{
	free(vm->disks);
	vm->disks = NULL;
}

int vm_disks_grant(struct vm *vm, uid_t uid, gid_t gid, char *err, size_t len)
{
	unsigned int i, n = vm_disks_count(vm);
	int r;

	for (i = 0; i < n; i++) {
		r = disk_grant(vm_disk_get(vm, i)->disk, uid, gid, err, len);
		if (r)
			return r;
	}
	return 0;
}

int vm_disks_report(int r, const char *path, const char *id, const char *dflt)
{
	if (r == -EEXIST && id[0])
		wirt_err(
			"--disk '%s': id '%s' is already used by another --disk (give each disk its own id=)",
			path, id);
	else if (r == -EEXIST)
		wirt_err(
			"--disk '%s': its default name '%s' is taken by an earlier id= (choose another id there)",
			path, dflt);
	else if (r)
		wirt_err("--disk '%s': cannot list the disk: %s", path,
			 strerror(-r));
	return r;
}
