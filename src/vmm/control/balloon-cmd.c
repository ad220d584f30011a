// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QMP commands of the balloon, as QEMU answers them: balloon,
 * query-balloon, and the few QOM operations libvirt uses for the guest's
 * memory statistics.
 *
 * QOM here is a fixed, tiny tree (no other objects are modelled):
 *   /                             machine
 *   /machine                      peripheral
 *   /machine/peripheral           balloon0 (child<virtio-balloon-pci>)
 *   /machine/peripheral/balloon0  type, guest-stats,
 *                                 guest-stats-polling-interval
 * qom-list answers for these paths, so libvirt's walk from "/" or its
 * lookup in /machine/peripheral finds the balloon; qom-get and qom-set
 * accept the full path or the bare "balloon0" (QEMU's partial path).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vmm/control/ctl.h"
#include "vmm/control/qmp.h"
#include "vmm/virtio/balloon.h"
#include "vmm/vm.h"

#define NO_BALLOON "No balloon device has been activated"

/* The VM's balloon, or NULL after setting QEMU's DeviceNotActive error. */
static struct vballoon *balloon_or_err(struct vm *vm, struct qmp_error *err)
{
	struct vballoon *b = virtio_balloon_find(vm);

	if (!b)
		qmp_error_set(err, QMP_ERR_NOT_ACTIVE, NO_BALLOON);
	return b;
}

int cmd_balloon(void *opaque, struct json_object *args,
		struct json_object **ret, struct qmp_error *err)
{
	struct vballoon *b = balloon_or_err(opaque, err);
	int64_t v;

	if (!b)
		return -1;
	v = json_object_get_int64(json_object_object_get(args, "value"));
	if (v <= 0)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Parameter 'value' expects a size");
	virtio_balloon_set_target(b, (uint64_t)v);
	return 0;
}

int cmd_query_balloon(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err)
{
	struct vballoon *b = balloon_or_err(opaque, err);
	struct json_object *o;

	if (!b)
		return -1;
	o = json_object_new_object();
	json_object_object_add(
		o, "actual",
		json_object_new_int64((int64_t)virtio_balloon_actual(b)));
	*ret = o;
	return 0;
}

/* {"name": name, "type": type}: one qom-list entry. */
static struct json_object *entry(const char *name, const char *type)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "type", json_object_new_string(type));
	return o;
}

/* Whether path names the balloon (full path or QEMU's partial "balloon0"). */
static bool is_balloon_path(const char *path)
{
	return !strcmp(path, BALLOON_QOM_PATH) || !strcmp(path, BALLOON_QOM_ID);
}

/* The balloon at path, or NULL with QEMU's DeviceNotFound error. */
static struct vballoon *balloon_at(struct vm *vm, const char *path,
				   struct qmp_error *err)
{
	struct vballoon *b = virtio_balloon_find(vm);

	if (!b || !is_balloon_path(path)) {
		qmp_error_set(err, QMP_ERR_DEV_NOT_FOUND,
			      "Device '%s' not found", path);
		return NULL;
	}
	return b;
}

int cmd_qom_list(void *opaque, struct json_object *args,
		 struct json_object **ret, struct qmp_error *err)
{
	struct vm *vm = opaque;
	const char *path =
		json_object_get_string(json_object_object_get(args, "path"));
	struct json_object *a;
	bool have = virtio_balloon_find(vm) != NULL;

	if (!strcmp(path, "/")) {
		a = json_object_new_array();
		json_object_array_add(a, entry("machine", "child<container>"));
	} else if (!strcmp(path, "/machine")) {
		a = json_object_new_array();
		json_object_array_add(a,
				      entry("peripheral", "child<container>"));
	} else if (!strcmp(path, "/machine/peripheral")) {
		a = json_object_new_array();
		if (have)
			json_object_array_add(a, entry(BALLOON_QOM_ID,
						       "child<" BALLOON_QOM_TYPE
						       ">"));
	} else if (have && is_balloon_path(path)) {
		a = json_object_new_array();
		json_object_array_add(a, entry("type", "string"));
		json_object_array_add(a,
				      entry("guest-stats", "guest-statistics"));
		json_object_array_add(
			a, entry("guest-stats-polling-interval", "int"));
	} else {
		return qmp_error_set(err, QMP_ERR_DEV_NOT_FOUND,
				     "Device '%s' not found", path);
	}
	*ret = a;
	return 0;
}

/* QEMU's guest-stats value: {"stats": {...}, "last-update": seconds}. */
static struct json_object *guest_stats(struct vballoon *b)
{
	struct json_object *o = json_object_new_object();
	struct json_object *st = json_object_new_object();
	struct balloon_stats s;
	unsigned int i;

	virtio_balloon_get_stats(b, &s);
	for (i = 0; i < BALLOON_NR_STATS; i++)
		json_object_object_add(st, balloon_stat_name(i),
				       json_object_new_uint64(s.v[i]));
	json_object_object_add(o, "stats", st);
	json_object_object_add(o, "last-update",
			       json_object_new_int64(s.last_update));
	return o;
}

/* QEMU's message for a property the object does not have. */
static int no_property(struct qmp_error *err, const char *prop)
{
	return qmp_error_set(err, QMP_ERR_GENERIC,
			     "Property '" BALLOON_QOM_TYPE ".%s' not found",
			     prop);
}

int cmd_qom_get(void *opaque, struct json_object *args,
		struct json_object **ret, struct qmp_error *err)
{
	const char *path =
		json_object_get_string(json_object_object_get(args, "path"));
	const char *prop = json_object_get_string(
		json_object_object_get(args, "property"));
	struct vballoon *b = balloon_at(opaque, path, err);

	if (!b)
		return -1;
	if (!strcmp(prop, "guest-stats"))
		*ret = guest_stats(b);
	else if (!strcmp(prop, "guest-stats-polling-interval"))
		*ret = json_object_new_int64(virtio_balloon_interval(b));
	else if (!strcmp(prop, "type"))
		*ret = json_object_new_string(BALLOON_QOM_TYPE);
	else
		return no_property(err, prop);
	return 0;
}

int cmd_qom_set(void *opaque, struct json_object *args,
		struct json_object **ret, struct qmp_error *err)
{
	const char *path =
		json_object_get_string(json_object_object_get(args, "path"));
	const char *prop = json_object_get_string(
		json_object_object_get(args, "property"));
	struct json_object *v = json_object_object_get(args, "value");
	struct vballoon *b = balloon_at(opaque, path, err);
	int64_t secs;
	int r;

	if (!b)
		return -1;
	if (!strcmp(prop, "guest-stats") || !strcmp(prop, "type"))
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "Property '%s' is read-only", prop);
	if (strcmp(prop, "guest-stats-polling-interval"))
		return no_property(err, prop);
	if (!json_object_is_type(v, json_type_int))
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"Invalid parameter type for 'value', expected: integer");
	secs = json_object_get_int64(v);
	if (secs < 0 || secs > UINT32_MAX)
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"guest-stats-polling-interval: give seconds from 0 (off) to %u",
			UINT32_MAX);
	r = virtio_balloon_set_interval(b, (uint32_t)secs);
	if (r)
		return qmp_error_set(err, QMP_ERR_GENERIC,
				     "cannot set the stats timer: %s",
				     strerror(-r));
	return 0;
}
