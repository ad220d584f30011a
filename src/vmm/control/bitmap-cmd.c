// SPDX-License-Identifier: GPL-2.0-or-later
/* QMP dirty bitmap commands and their part of query-block. */
#include "vmm/control/bitmap-cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/disk/disk.h"
#include "vmm/vm-disks.h"
#include "vmm/vm.h"

struct json_object *bitmap_list_json(struct disk *d)
{
	struct disk_bitmap_info *l;
	struct json_object *a;
	int n = disk_bitmap_list(d, &l);

	if (n <= 0) {
		disk_bitmap_list_free(l, 0);
		return NULL;
	}
	a = json_object_new_array();
	for (int i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name",
				       json_object_new_string(l[i].name));
		json_object_object_add(
			o, "count", json_object_new_int64((int64_t)l[i].count));
		json_object_object_add(
			o, "granularity",
			json_object_new_int64((int64_t)l[i].granularity));
		json_object_object_add(o, "recording",
				       json_object_new_boolean(l[i].recording));
		json_object_object_add(o, "busy", json_object_new_boolean(0));
		json_object_object_add(
			o, "persistent",
			json_object_new_boolean(l[i].persistent ||
						l[i].inconsistent));
		if (l[i].inconsistent)
			json_object_object_add(o, "inconsistent",
					       json_object_new_boolean(1));
		json_object_array_add(a, o);
	}
	disk_bitmap_list_free(l, n);
	return a;
}

/*
 * The disk args "node" names (its device name or "<device>-format") and
 * the bitmap name in *name; NULL after an error in err.
 */
static struct disk *target(struct vm *vm, struct json_object *args,
			   const char **name, struct qmp_error *err)
{
	struct json_object *v;
	const char *node;
	char fmt[DISK_ID_MAX + 16];

	json_object_object_get_ex(args, "node", &v);
	node = json_object_get_string(v);
	json_object_object_get_ex(args, "name", &v);
	*name = json_object_get_string(v);
	for (unsigned int i = 0; i < vm_disks_count(vm); i++) {
		const struct vm_disk *e = vm_disk_get(vm, i);

		snprintf(fmt, sizeof(fmt), "%s-format", e->name);
		if (!strcmp(node, e->name) || !strcmp(node, fmt))
			return e->disk;
	}
	qmp_error_set(err, QMP_ERR_GENERIC,
		      "Cannot find device=%s nor node_name=%s", node, node);
	return NULL;
}

/* The optional argument @key of args (a bool), or @dflt. */
static bool opt_bool(struct json_object *args, const char *key, bool dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(args, key, &v) ?
		       json_object_get_boolean(v) :
		       dflt;
}

int cmd_bitmap_add(void *opaque, struct json_object *args,
		   struct json_object **ret, struct qmp_error *err)
{
	const char *name;
	struct disk *d = target(opaque, args, &name, err);
	struct json_object *v;
	int64_t gran = 0;
	char msg[256];

	if (!d)
		return -1;
	if (json_object_object_get_ex(args, "granularity", &v)) {
		gran = json_object_get_int64(v);
		if (gran <= 0)
			return qmp_error_set(
				err, QMP_ERR_GENERIC,
				"Granularity must be power of 2, and at least 512");
	}
	if (disk_bitmap_add(d, name, (uint64_t)gran,
			    opt_bool(args, "persistent", false),
			    opt_bool(args, "disabled", false), msg,
			    sizeof(msg)) < 0)
		return qmp_error_set(err, QMP_ERR_GENERIC, "%s", msg);
	return 0;
}

/* remove (or clear) the bitmap args name on its disk; 0 or -1 (err). */
static int remove_or_clear(void *opaque, struct json_object *args, bool clear,
			   struct qmp_error *err)
{
	const char *name;
	struct disk *d = target(opaque, args, &name, err);
	char msg[256];

	if (!d)
		return -1;
	if ((clear ? disk_bitmap_clear(d, name, msg, sizeof(msg)) :
		     disk_bitmap_remove(d, name, msg, sizeof(msg))) < 0)
		return qmp_error_set(err, QMP_ERR_GENERIC, "%s", msg);
	return 0;
}

int cmd_bitmap_remove(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err)
{
	return remove_or_clear(opaque, args, false, err);
}

int cmd_bitmap_clear(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err)
{
	return remove_or_clear(opaque, args, true, err);
}
