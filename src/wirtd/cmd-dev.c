// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A domain's devices and their counters: devices (for domblklist and
 * domiflist), blockstats (domblkstat), memstats (dommemstat) and setmem
 * (the balloon's target).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/vmtaps.h"
#include "wirtd/wirtd.h"

static void add_s(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : "-"));
}

struct json_object *cmd_devices(struct json_object *args, struct cmd_ctx *c)
{
	static const char *const dtype[] = { "file", "block", "-", "volume" };
	static const char *const dev[] = { "disk", "cdrom", "-" };
	static const char *const ntype[] = { "user", "ethernet", "network",
					     "bridge", "-" };
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o, *disks, *nics, *e;
	const struct dom_def *d;
	unsigned int i;

	if (!vm)
		return NULL;
	d = domain_def(vm->def);
	o = json_object_new_object();
	disks = json_object_new_array();
	nics = json_object_new_array();
	for (i = 0; i < d->ndisks; i++) {
		e = json_object_new_object();
		add_s(e, "type", dtype[d->disks[i].type]);
		add_s(e, "device", dev[d->disks[i].device]);
		add_s(e, "target", d->disks[i].target);
		add_s(e, "source", d->disks[i].source);
		json_object_array_add(disks, e);
	}
	for (i = 0; i < d->nnics; i++) {
		e = json_object_new_object();
		add_s(e, "interface", vm_nic_tap(vm, i) ?: d->nics[i].target);
		add_s(e, "type", ntype[d->nics[i].type]);
		add_s(e, "source", d->nics[i].source);
		add_s(e, "model", d->nics[i].model);
		add_s(e, "mac", d->nics[i].mac);
		json_object_array_add(nics, e);
	}
	pthread_mutex_unlock(&vm->lock);
	json_object_object_add(o, "disks", disks);
	json_object_object_add(o, "interfaces", nics);
	return o;
}

/* qmp_running - a QMP query on a running VM; NULL (err set) otherwise. */
static struct json_object *qmp_running(struct json_object *args,
				       struct cmd_ctx *c, const char *cmd,
				       struct json_object *qargs)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *r = NULL;

	if (!vm) {
		json_object_put(qargs);
		return NULL;
	}
	if (running(vm, c))
		vm_qmp(vm, cmd, qargs, &r, c->err, c->errlen);
	else
		json_object_put(qargs);
	pthread_mutex_unlock(&vm->lock);
	return r;
}

struct json_object *cmd_blockstats(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *r = qmp_running(args, c, "query-blockstats", NULL);
	struct json_object *o;

	if (!r)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "devices", r);
	return o;
}

struct json_object *cmd_memstats(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *q = json_object_new_object(), *st, *bal;
	struct json_object *o;

	json_object_object_add(
		q, "path",
		json_object_new_string("/machine/peripheral/balloon0"));
	json_object_object_add(q, "property",
			       json_object_new_string("guest-stats"));
	bal = qmp_running(args, c, "query-balloon", NULL);
	if (!bal) {
		json_object_put(q);
		return NULL;
	}
	st = qmp_running(args, c, "qom-get", q);
	o = json_object_new_object();
	json_object_object_add(o, "balloon", bal);
	if (st)
		json_object_object_add(o, "guest", st);
	c->err[0] = '\0';
	return o;
}

struct json_object *cmd_setmem(struct json_object *args, struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *a, *v;
	const struct dom_def *d;
	uint64_t kib = 0;

	if (!vm)
		return NULL;
	d = domain_def(vm->def);
	if (args && json_object_object_get_ex(args, "kib", &v))
		kib = (uint64_t)json_object_get_int64(v);
	if (!running(vm, c))
		goto fail;
	if (!d->balloon) {
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: Unable to change memory of active domain without the balloon device");
		goto fail;
	}
	if (!kib || kib > d->memory_kib) {
		snprintf(
			c->err, c->errlen,
			"invalid argument: cannot set memory higher than max memory (%llu KiB)",
			(unsigned long long)d->memory_kib);
		goto fail;
	}
	a = json_object_new_object();
	json_object_object_add(a, "value", json_object_new_int64(kib * 1024));
	if (vm_qmp(vm, "balloon", a, NULL, c->err, c->errlen))
		goto fail;
	pthread_mutex_unlock(&vm->lock);
	return ok();
fail:
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}
