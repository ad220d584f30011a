// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * change-media: eject, insert or replace the medium of a domain's CD-ROM
 * drive, as virsh does. wirtd keeps one definition per domain, so on a
 * running domain the drive (wirt-vmm's QMP eject and
 * blockdev-change-medium on "cdrom0") and the definition change together;
 * on a shut-off one the definition alone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/iso9660.h"
#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/wirtd.h"

#define VMM_CDROM "cdrom0" /* wirt-vmm's name of its drive */

enum media_op { MEDIA_EJECT, MEDIA_INSERT, MEDIA_UPDATE };

/* check_iso - path is an absolute path to a readable ISO 9660 image (or
 * a block device holding one). 0 or -1 with c->err set. */
static int check_iso(const char *path, struct cmd_ctx *c)
{
	char why[256];
	uint64_t size;
	int fd;

	if (path[0] != '/')
		return err_set(
			c->err, c->errlen, -1,
			"invalid argument: '%s': give the image's absolute path",
			path);
	fd = iso_open(path, &size, why, sizeof(why));
	if (fd == -EINVAL)
		return err_set(c->err, c->errlen, -1,
			       "invalid argument: '%s': %s", path, why);
	if (fd < 0)
		return err_set(c->err, c->errlen, -1, "cannot open '%s': %s",
			       path, why);
	close(fd);
	return 0;
}

/* the_drive - the CD-ROM drive that path (a target or an image) names,
 * with libvirt's messages when it names none or a fixed disk. */
static int the_drive(const struct dom_def *d, const char *path,
		     struct cmd_ctx *c)
{
	int i = domain_cdrom(d, path);
	unsigned int k;

	if (i >= 0)
		return i;
	for (k = 0; k < d->ndisks; k++)
		if (!strcmp(d->disks[k].target, path) ||
		    (d->disks[k].source && !strcmp(d->disks[k].source, path)))
			return err_set(
				c->err, c->errlen, -1,
				"The disk device '%s' is not removable: change-media works on the CD-ROM drive (<disk device='cdrom'>)",
				d->disks[k].target);
	return err_set(c->err, c->errlen, -1,
		       "No disk found whose source path or target is %s", path);
}

/* check_op - op against the drive's state; 0 or -1 with c->err set. */
static int check_op(enum media_op op, const struct dom_disk *k,
		    const char *source, struct cmd_ctx *c)
{
	if (op == MEDIA_EJECT && !k->source)
		return err_set(c->err, c->errlen, -1,
			       "The disk device '%s' doesn't have media",
			       k->target);
	if (op == MEDIA_INSERT && k->source)
		return err_set(
			c->err, c->errlen, -1,
			"The disk device '%s' already has media: eject it first, or use --update",
			k->target);
	if (op == MEDIA_INSERT && !source)
		return err_set(c->err, c->errlen, -1,
			       "No source is specified for inserting media");
	return source ? check_iso(source, c) : 0;
}

/* live_change - the running drive: eject, or load source. 0 or -errno. */
static int live_change(struct vmrec *vm, const char *source, bool force,
		       struct cmd_ctx *c)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "id", json_object_new_string(VMM_CDROM));
	if (!source) {
		json_object_object_add(a, "force",
				       json_object_new_boolean(force));
		return vm_qmp(vm, "eject", a, NULL, c->err, c->errlen);
	}
	json_object_object_add(a, "filename", json_object_new_string(source));
	json_object_object_add(a, "format", json_object_new_string("raw"));
	return vm_qmp(vm, "blockdev-change-medium", a, NULL, c->err, c->errlen);
}

struct json_object *cmd_change_media(struct json_object *args,
				     struct cmd_ctx *c)
{
	const char *path = arg_str(args, "path"),
		   *src = arg_str(args, "source");
	const char *action = arg_str(args, "action") ?: "update";
	enum media_op op = !strcmp(action, "eject")  ? MEDIA_EJECT :
			   !strcmp(action, "insert") ? MEDIA_INSERT :
						       MEDIA_UPDATE;
	struct vmrec *vm = lock_vm(args, c);
	bool live;
	int i, r;

	if (!vm)
		return NULL;
	live = vm->state == VM_RUNNING || vm->state == VM_PAUSED;
	if (op == MEDIA_EJECT)
		src = NULL;
	i = path ? the_drive(domain_def(vm->def), path, c) : -1;
	if (!path)
		err_set(c->err, c->errlen, -1,
			"give the drive: its target (sda) or image");
	r = i < 0 ? -1 : check_op(op, &domain_def(vm->def)->disks[i], src, c);
	if (!r && arg_bool(args, "live") && !live)
		r = err_set(
			c->err, c->errlen, -1,
			"Requested operation is not valid: domain is not running");
	if (!r && live)
		r = live_change(vm, src, arg_bool(args, "force"), c);
	if (!r)
		r = domain_set_media(vm->def, path, src, c->err, c->errlen);
	if (!r && vm->persistent)
		r = store_save_def(vm, c->err, c->errlen);
	pthread_mutex_unlock(&vm->lock);
	return r ? NULL : ok();
}
