// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domain snapshots: snapshot_create, snapshot_list, snapshot_dumpxml,
 * snapshot_current, snapshot_delete (snapshot_revert in cmd-snaprev.c).
 * A running or paused domain's snapshot is a full one (memory and an
 * internal snapshot of every writable qcow2 disk, by wirt-vmm's savevm);
 * a shut-off domain's is of its disks only, made here with the block
 * library. A disk-only snapshot of a shut-off domain puts its disks on
 * new qcow2 overlays (snap-ext.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "block/blk-snap.h"
#include "wirtd/cmds.h"
#include "wirtd/snaps.h"
#include "wirtd/wirtd.h"

/* fill_def - the snapshot s of vm now, named name, its disks sd. */
static int fill_def(struct vmrec *vm, const char *name, const char *desc,
		    const struct snap_disks *sd, struct snap_def *s)
{
	const struct dom_def *d = domain_def(vm->def);
	unsigned int i, k;

	memset(s, 0, sizeof(*s));
	strcpy(s->name, name);
	s->state = vm->state == VM_RUNNING ? SNAP_RUNNING :
		   vm->state == VM_PAUSED  ? SNAP_PAUSED :
					     SNAP_SHUTOFF;
	s->memory = s->state != SNAP_SHUTOFF;
	snap_current(vm, s->parent);
	s->creation_time = time(NULL);
	for (i = 0; i < d->ndisks && s->ndisks < DOMAIN_DISKS_MAX; i++) {
		if (strlen(d->disks[i].target) > SNAP_DISK_NAME_MAX)
			continue;
		strcpy(s->disks[s->ndisks].name, d->disks[i].target);
		for (k = 0; k < sd->n; k++)
			if (!strcmp(sd->target[k], d->disks[i].target))
				s->disks[s->ndisks].internal = true;
		s->ndisks++;
	}
	s->domain = domain_format(vm->def);
	if (desc)
		s->description = strdup(desc);
	return s->domain && (!desc || s->description) ? 0 : -ENOMEM;
}

/* reads_back - s's XML parses back (a description that is not UTF-8
 * would make it unreadable); else err says so. */
static bool reads_back(const struct snap_def *s, struct cmd_ctx *c)
{
	char *x = snap_format(s);
	struct snap_def back;
	char why[256];
	int r = x ? snap_parse(x, strlen(x), &back, why, sizeof(why)) : -ENOMEM;

	free(x);
	if (!r)
		snap_clear(&back);
	else
		snprintf(
			c->err, c->errlen,
			"invalid argument: snapshot '%s' cannot be recorded: %s",
			s->name, r == -ENOMEM ? "out of memory" : why);
	return !r;
}

/* take - the disk (and memory) part of snapshot name; undone by untake. */
static int take(struct vmrec *vm, const struct snap_disks *sd, const char *name,
		struct cmd_ctx *c)
{
	char line[128];

	if (vm->state != VM_RUNNING && vm->state != VM_PAUSED)
		return snap_disks_op(sd, BLK_SNAP_CREATE, name, c->err,
				     c->errlen);
	snprintf(line, sizeof(line), "savevm %s", name);
	return snap_hmp(vm, line, c->err, c->errlen);
}

/* untake - drop snapshot name from vm's disks (and its state file). */
static int untake(struct vmrec *vm, const struct snap_disks *sd,
		  const char *name, char *err, size_t errlen)
{
	char line[128];
	int r;

	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED) {
		snprintf(line, sizeof(line), "delvm %s", name);
		return snap_hmp(vm, line, err, errlen);
	}
	r = snap_disks_op(sd, BLK_SNAP_DELETE, name, err, errlen);
	if (!r)
		snap_state_file_remove(sd, name);
	return r;
}

/* desc_ok - d (may be NULL) fits <description>: text XML can carry. */
static bool desc_ok(const char *d)
{
	size_t i;

	if (!d)
		return true;
	for (i = 0; d[i]; i++)
		if ((unsigned char)d[i] < 0x20 && !strchr("\t\n\r", d[i]))
			return false;
	return i <= SNAP_DESC_MAX;
}

/* create_checks - name free and valid, description fit, no --disk-only. */
static bool create_checks(struct vmrec *vm, struct json_object *args,
			  const char *name, struct cmd_ctx *c)
{
	struct snap_def *v;
	unsigned int n;
	bool taken;

	if (!snap_name_ok(name)) {
		snprintf(
			c->err, c->errlen,
			"invalid argument: snapshot name '%.80s': use 1 to 64 of A-Z a-z 0-9 . _ - (not starting with .)",
			name);
		return false;
	}
	if (!desc_ok(arg_str(args, "description"))) {
		snprintf(
			c->err, c->errlen,
			"invalid argument: the snapshot's description must be at most %d bytes of text (no control characters but tab and newline)",
			SNAP_DESC_MAX);
		return false;
	}
	if (snaps_load(vm, &v, &n, c->err, c->errlen))
		return false;
	taken = snaps_find(v, n, name);
	snaps_free(v, n);
	if (taken)
		snprintf(
			c->err, c->errlen,
			"invalid argument: domain snapshot '%s' already exists (snapshot-delete it first)",
			name);
	return !taken;
}

struct json_object *cmd_snapshot_create(struct json_object *args,
					struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	const char *name = arg_str(args, "name");
	bool ext = arg_bool(args, "disk_only");
	struct snap_disks sd;
	struct snap_def s = { 0 };
	char now[24], ignore[256];
	struct json_object *o = NULL;

	if (!vm)
		return NULL;
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	if (!name || !*name)
		name = now; /* libvirt's default: the time */
	memset(&sd, 0, sizeof(sd));
	if (!create_checks(vm, args, name, c) ||
	    (!ext && snap_disks_get(vm, &sd, c->err, c->errlen)))
		goto out;
	if (fill_def(vm, name, arg_str(args, "description"), &sd, &s)) {
		snprintf(c->err, c->errlen, "out of memory");
		goto out;
	}
	if (!reads_back(&s, c) ||
	    (ext ? snap_ext_create(vm, &s, c->err, c->errlen) :
		   take(vm, &sd, name, c)))
		goto out;
	if (snap_store(vm, &s, c->err, c->errlen) ||
	    snap_set_current(vm, name)) {
		if (ext)
			snap_ext_delete(vm, &s, ignore, sizeof(ignore));
		else
			untake(vm, &sd, name, ignore, sizeof(ignore));
		snap_unstore(vm, name);
		if (!c->err[0])
			snprintf(
				c->err, c->errlen,
				"cannot record the current snapshot of domain '%s'",
				vm->name);
		goto out;
	}
	o = ok();
	json_object_object_add(o, "name", json_object_new_string(name));
out:
	snap_clear(&s);
	pthread_mutex_unlock(&vm->lock);
	return o;
}

/* is_external - s is a disk-only snapshot with overlays. */
static bool is_external(const struct snap_def *s)
{
	unsigned int k;

	for (k = 0; k < s->ndisks; k++)
		if (s->disks[k].file)
			return true;
	return false;
}

/* summary - the fields snapshot-list and snapshot-info show. */
static struct json_object *summary(const struct snap_def *s, bool current)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "parent", json_object_new_string(s->parent));
	json_object_object_add(
		o, "state", json_object_new_string(snap_state_name(s->state)));
	json_object_object_add(o, "creation_time",
			       json_object_new_int64(s->creation_time));
	json_object_object_add(o, "current", json_object_new_boolean(current));
	json_object_object_add(o, "location",
			       json_object_new_string(is_external(s) ?
							      "external" :
							      "internal"));
	return o;
}

struct json_object *cmd_snapshot_list(struct json_object *args,
				      struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	char cur[SNAP_NAME_MAX + 1];
	struct json_object *o = NULL, *a;
	struct snap_def *v;
	unsigned int n, i;

	if (!vm)
		return NULL;
	if (snaps_load(vm, &v, &n, c->err, c->errlen))
		goto out;
	snap_current(vm, cur);
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a,
				      summary(&v[i], !strcmp(cur, v[i].name)));
	snaps_free(v, n);
	o = ok();
	json_object_object_add(o, "snapshots", a);
	json_object_object_add(o, "current", json_object_new_string(cur));
out:
	pthread_mutex_unlock(&vm->lock);
	return o;
}

/*
 * snap_lookup - the snapshot args name ("name", or the current one with
 * "current"), loaded with its siblings into *v[*n] (free them).
 * Returns it, or NULL with err set in libvirt's words.
 */
struct snap_def *snap_lookup(struct vmrec *vm, struct json_object *args,
			     struct snap_def **v, unsigned int *n,
			     struct cmd_ctx *c)
{
	const char *name = arg_str(args, "name");
	char cur[SNAP_NAME_MAX + 1];
	struct snap_def *s;

	if (snaps_load(vm, v, n, c->err, c->errlen))
		return NULL;
	snap_current(vm, cur);
	if (!name && cur[0])
		name = cur;
	s = snaps_find(*v, *n, name);
	c->errclass = "SnapshotNotFound";
	if (!s && name)
		snprintf(
			c->err, c->errlen,
			"Domain snapshot not found: no domain snapshot with matching name '%s'",
			name);
	else if (!s)
		snprintf(
			c->err, c->errlen,
			"Domain snapshot not found: the domain does not have a current snapshot");
	if (!s) {
		snaps_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return s;
}

/* cmd_snapshot_dumpxml - also snapshot_current: its XML and name. */
struct json_object *cmd_snapshot_dumpxml(struct json_object *args,
					 struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o = NULL;
	struct snap_def *v, *s;
	unsigned int n;
	char *xml;

	if (!vm)
		return NULL;
	s = snap_lookup(vm, args, &v, &n, c);
	if (s) {
		xml = snap_format(s);
		o = xml ? ok() : NULL;
		if (o) {
			json_object_object_add(o, "xml",
					       json_object_new_string(xml));
			json_object_object_add(o, "name",
					       json_object_new_string(s->name));
		}
		free(xml);
		snaps_free(v, n);
	}
	pthread_mutex_unlock(&vm->lock);
	return o;
}

/* unlink_snap - s leaves the tree: its children get its parent, the
 * current one becomes its parent when it was s. Returns 0 or -errno. */
static int unlink_snap(struct vmrec *vm, struct snap_def *v, unsigned int n,
		       struct snap_def *s, struct cmd_ctx *c)
{
	char cur[SNAP_NAME_MAX + 1];
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < n; i++)
		if (!strcmp(v[i].parent, s->name)) {
			strcpy(v[i].parent, s->parent);
			r = snap_store(vm, &v[i], c->err, c->errlen);
		}
	snap_current(vm, cur);
	if (!r && !strcmp(cur, s->name))
		r = snap_set_current(vm, s->parent);
	if (!r)
		r = snap_unstore(vm, s->name);
	if (r && !c->err[0])
		snprintf(
			c->err, c->errlen,
			"cannot remove the metadata of snapshot '%s' of domain '%s': %s",
			s->name, vm->name, strerror(-r));
	return r;
}

struct json_object *cmd_snapshot_delete(struct json_object *args,
					struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o = NULL;
	struct snap_disks sd;
	struct snap_def *v, *s;
	unsigned int n;
	int r;

	if (!vm)
		return NULL;
	s = snap_lookup(vm, args, &v, &n, c);
	if (!s)
		goto out;
	c->errclass = "GenericError";
	if (is_external(s))
		r = snap_ext_delete(vm, s, c->err, c->errlen);
	else
		r = snap_disks_get(vm, &sd, c->err, c->errlen) ?:
			    untake(vm, &sd, s->name, c->err, c->errlen);
	if (!r && !unlink_snap(vm, v, n, s, c)) {
		o = ok();
		json_object_object_add(o, "name",
				       json_object_new_string(s->name));
	}
	snaps_free(v, n);
out:
	pthread_mutex_unlock(&vm->lock);
	return o;
}
