// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QMP commands of the SATA CD-ROM drive (--cdrom), as QEMU names them:
 * eject and blockdev-change-medium. The drive is named "cdrom0" (given
 * as "device" or "id").
 */
#include <errno.h>
#include <string.h>

#include "vmm/control/ctl.h"
#include "vmm/control/qmp.h"
#include "vmm/sata/cdrom.h"
#include "vmm/vm.h"

#define CDROM_NAME "cdrom0"

/* The drive args name, or NULL after setting QEMU's DeviceNotFound. */
static struct cdrom *drive_of(struct vm *vm, struct json_object *args,
			      struct qmp_error *err)
{
	const char *name =
		json_object_get_string(json_object_object_get(args, "id"));
	struct cdrom *c = cdrom_find(vm);

	if (!name)
		name = json_object_get_string(
			json_object_object_get(args, "device"));
	if (!name) {
		qmp_error_set(err, QMP_ERR_GENERIC,
			      "Parameter 'id' is missing: give \"" CDROM_NAME
			      "\"");
		return NULL;
	}
	if (!c || strcmp(name, CDROM_NAME)) {
		qmp_error_set(err, QMP_ERR_DEV_NOT_FOUND,
			      "Device '%s' not found%s", name,
			      c ? " (the CD-ROM drive is " CDROM_NAME ")" :
				  " (no --cdrom drive)");
		return NULL;
	}
	return c;
}

int cmd_eject(void *opaque, struct json_object *args, struct json_object **ret,
	      struct qmp_error *err)
{
	struct cdrom *c = drive_of(opaque, args, err);
	bool force =
		json_object_get_boolean(json_object_object_get(args, "force"));

	(void)ret;
	if (!c)
		return -1;
	if (cdrom_eject(c, force))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Device '" CDROM_NAME
			"' is locked and force was not specified, wait for tray to open and try again");
	return 0;
}

int cmd_change_medium(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err)
{
	struct cdrom *c = drive_of(opaque, args, err);
	const char *path = json_object_get_string(
		json_object_object_get(args, "filename"));
	const char *fmt =
		json_object_get_string(json_object_object_get(args, "format"));
	char why[200];

	(void)ret;
	if (!c)
		return -1;
	if (fmt && strcmp(fmt, "raw"))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"format '%s': the CD-ROM reads raw ISO images only",
			fmt);
	if (cdrom_change(c, path, why, sizeof(why)))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Could not open '%s': %s", path, why);
	return 0;
}
