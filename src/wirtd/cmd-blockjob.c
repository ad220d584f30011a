// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block jobs of a running domain (virsh's blockcommit, blockpull,
 * blockjob): wirtd starts them in the domain's wirt-vmm (QMP block-commit
 * of the active layer, block-stream), reports their progress
 * (blockjob_info), pivots a ready commit (blockjob_pivot: the definition's
 * disk then names the base image) and cancels (blockjob_abort). The
 * client polls blockjob_info for --wait and --verbose.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "block/blk.h"
#include "wirtd/cmds.h"
#include "wirtd/snaps.h"
#include "wirtd/wirtd.h"

/*
 * The running domain of args (locked) and the index of its disk named by
 * "disk" (target or source path) in *idx; NULL with the error set.
 */
static struct vmrec *vm_disk(struct json_object *args, struct cmd_ctx *c,
			     int *idx)
{
	struct vmrec *vm = lock_vm(args, c);
	const char *disk = arg_str(args, "disk");
	const struct dom_def *d;
	unsigned int i;

	if (!vm)
		return NULL;
	if (!running(vm, c)) {
		pthread_mutex_unlock(&vm->lock);
		return NULL;
	}
	d = domain_def(vm->def);
	for (i = 0; disk && i < d->ndisks; i++)
		if (!strcmp(d->disks[i].target, disk) ||
		    (d->disks[i].source && !strcmp(d->disks[i].source, disk))) {
			*idx = (int)i;
			return vm;
		}
	snprintf(c->err, c->errlen,
		 "invalid argument: disk '%s' not found in domain",
		 disk ? disk : "");
	c->errclass = "GenericError";
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

/* {"device": target}, the QMP arguments naming a job. */
static struct json_object *dev_arg(const char *target)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "device", json_object_new_string(target));
	return a;
}

/* Start QMP job cmd on disk idx of vm (the image must have a backing). */
static struct json_object *start(struct vmrec *vm, int idx, const char *cmd,
				 struct json_object *args, struct cmd_ctx *c)
{
	const struct dom_disk *k = &domain_def(vm->def)->disks[idx];
	struct json_object *a = dev_arg(k->target);
	char base[PATH_MAX], fmt[16];

	if (!k->source ||
	    snap_backing(k->source, BLK_FMT_PROBE, base, sizeof(base), fmt,
			 sizeof(fmt), c->err, c->errlen)) {
		snprintf(
			c->err, c->errlen,
			"invalid argument: top '%s' in chain for '%s' has no backing file",
			k->source ? k->source : "", arg_str(args, "disk"));
		json_object_put(a);
		return NULL;
	}
	json_object_object_add(a, "job-id", json_object_new_string(k->target));
	if (!strcmp(cmd, "block-commit"))
		json_object_object_add(a, "base", json_object_new_string(base));
	if (vm_qmp(vm, cmd, a, NULL, c->err, c->errlen))
		return NULL;
	return ok();
}

struct json_object *cmd_blockcommit(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *r = NULL;
	int idx;
	struct vmrec *vm = vm_disk(args, c, &idx);

	if (!vm)
		return NULL;
	if (!arg_bool(args, "active"))
		snprintf(
			c->err, c->errlen,
			"invalid argument: commit of '%s' active layer requires active flag",
			domain_def(vm->def)->disks[idx].target);
	else
		r = start(vm, idx, "block-commit", args, c);
	pthread_mutex_unlock(&vm->lock);
	return r;
}

struct json_object *cmd_blockpull(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *r;
	int idx;
	struct vmrec *vm = vm_disk(args, c, &idx);

	if (!vm)
		return NULL;
	r = start(vm, idx, "block-stream", args, c);
	pthread_mutex_unlock(&vm->lock);
	return r;
}

/* The QMP job of disk target (a new reference) or NULL. */
static struct json_object *job_of(struct vmrec *vm, const char *target,
				  struct cmd_ctx *c, int *failed)
{
	struct json_object *r = NULL, *v, *job = NULL;
	size_t i;

	*failed = vm_qmp(vm, "query-block-jobs", NULL, &r, c->err, c->errlen);
	for (i = 0; r && i < json_object_array_length(r); i++) {
		struct json_object *j = json_object_array_get_idx(r, i);

		if (json_object_object_get_ex(j, "device", &v) &&
		    !strcmp(json_object_get_string(v), target))
			job = json_object_get(j);
	}
	json_object_put(r);
	return job;
}

struct json_object *cmd_blockjob_info(struct json_object *args,
				      struct cmd_ctx *c)
{
	struct json_object *o = NULL, *j, *v;
	int idx, failed;
	struct vmrec *vm = vm_disk(args, c, &idx);

	if (!vm)
		return NULL;
	j = job_of(vm, domain_def(vm->def)->disks[idx].target, c, &failed);
	pthread_mutex_unlock(&vm->lock);
	if (failed)
		return NULL;
	o = json_object_new_object();
	if (!j)
		return o;
	json_object_object_get_ex(j, "type", &v);
	json_object_object_add(
		o, "type",
		json_object_new_string(
			strcmp(json_object_get_string(v), "commit") ?
				"Block Pull" :
				"Active Block Commit"));
	json_object_object_get_ex(j, "offset", &v);
	json_object_object_add(o, "cur", json_object_get(v));
	json_object_object_get_ex(j, "len", &v);
	json_object_object_add(o, "end", json_object_get(v));
	json_object_object_get_ex(j, "ready", &v);
	json_object_object_add(o, "ready", json_object_get(v));
	json_object_put(j);
	return o;
}

struct json_object *cmd_blockjob_pivot(struct json_object *args,
				       struct cmd_ctx *c)
{
	char base[PATH_MAX], fmt[16];
	const struct dom_disk *k;
	int idx, r;
	struct vmrec *vm = vm_disk(args, c, &idx);

	if (!vm)
		return NULL;
	k = &domain_def(vm->def)->disks[idx];
	r = snap_backing(k->source, BLK_FMT_PROBE, base, sizeof(base), fmt,
			 sizeof(fmt), c->err, c->errlen);
	if (r)
		snprintf(
			c->err, c->errlen,
			"invalid argument: disk '%s' has no overlay to pivot from",
			k->target);
	r = r	  ?:
		    vm_qmp(vm, "block-job-complete", dev_arg(k->target), NULL,
			   c->err, c->errlen);
	r = r ?: domain_set_disk(vm->def, idx, base, fmt, c->err, c->errlen);
	if (!r && vm->persistent)
		r = store_save_def(vm, c->err, c->errlen);
	pthread_mutex_unlock(&vm->lock);
	return r ? NULL : ok();
}

struct json_object *cmd_blockjob_abort(struct json_object *args,
				       struct cmd_ctx *c)
{
	int idx, r;
	struct vmrec *vm = vm_disk(args, c, &idx);

	if (!vm)
		return NULL;
	r = vm_qmp(vm, "block-job-cancel",
		   dev_arg(domain_def(vm->def)->disks[idx].target), NULL,
		   c->err, c->errlen);
	pthread_mutex_unlock(&vm->lock);
	return r ? NULL : ok();
}
