/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --cdrom: a SATA CD-ROM drive (AHCI controller, ATAPI device) holding a
 * read-only ISO 9660 image. See ahci.h and atapi.h.
 */
#ifndef WIRT_VMM_SATA_CDROM_H
#define WIRT_VMM_SATA_CDROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct cdrom;

/* The --cdrom argument of a drive without a medium (its tray open). */
#define CDROM_EMPTY "none"

/*
 * cdrom_create - open the image at path (CDROM_EMPTY: none, the drive is
 * empty), check it, and put a SATA controller with the drive on the VM's
 * PCI bus. Before the vCPUs run. Returns 0 or -errno after printing one
 * line naming the file.
 */
int cdrom_create(struct vm *vm, const char *path);

/* cdrom_find - the VM's CD-ROM drive, or NULL. */
struct cdrom *cdrom_find(struct vm *vm);

/*
 * cdrom_eject - open the tray: the medium is gone for the guest (a media
 * event, then NOT READY), unless the guest locked it and force is false.
 * Any thread. Returns 0 or -EBUSY.
 */
int cdrom_eject(struct cdrom *c, bool force);

/*
 * cdrom_change - load the ISO image at path instead (checked as at
 * start; the guest gets a unit attention and a new-media event). Any
 * thread but a vCPU's. Returns 0, or -errno with a phrase in err.
 */
int cdrom_change(struct cdrom *c, const char *path, char *err, size_t errlen);

#endif
