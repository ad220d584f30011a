/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP block-dirty-bitmap-add, -remove and -clear on the VM's disks (a disk
 * is named by its device name or its format node-name, "<device>-format"),
 * and the "dirty-bitmaps" list query-block shows for each disk.
 */
#ifndef WIRT_VMM_BITMAP_CMD_H
#define WIRT_VMM_BITMAP_CMD_H

#include "vmm/control/qmp.h"

struct disk;

/*
 * bitmap_list_json - the BlockDirtyInfo array of disk d, or NULL when it
 * has no bitmaps (QEMU then leaves "dirty-bitmaps" out).
 */
struct json_object *bitmap_list_json(struct disk *d);

/* QMP handlers (opaque is the struct vm) */
int cmd_bitmap_add(void *opaque, struct json_object *args,
		   struct json_object **ret, struct qmp_error *err);
int cmd_bitmap_remove(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err);
int cmd_bitmap_clear(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err);

#endif
