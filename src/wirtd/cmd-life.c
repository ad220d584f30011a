// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Definitions and life cycle: define, undefine, create, start, shutdown,
 * reboot, reset, destroy, suspend, resume, autostart, console.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/snaps.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

/* parse_def - the "xml" argument, parsed and normalized, or NULL. */
static struct domain *parse_def(struct json_object *args, struct cmd_ctx *c)
{
	const char *xml = arg_str(args, "xml");
	const char *origin = arg_str(args, "origin");
	struct domain *d;

	if (!xml) {
		snprintf(c->err, c->errlen, "no \"xml\" argument");
		return NULL;
	}
	if (domain_parse(xml, strlen(xml), origin, &d, c->err, c->errlen))
		return NULL;
	return d;
}

/* uuid_taken - another domain than name has uuid; err says which. */
static bool uuid_taken(const char *name, const char *uuid, struct cmd_ctx *c)
{
	struct vmrec *o = uuid ? vmtab_find(uuid) : NULL;

	if (!o || !strcmp(o->name, name))
		return false;
	snprintf(c->err, c->errlen,
		 "operation failed: domain '%s' already exists with uuid %s",
		 o->name, uuid);
	return true;
}

/* save_live - the running definition, RUN/NAME.xml, for reconnecting a
 * transient VM after a wirtd restart. */
static void save_live(struct vmrec *vm)
{
	char path[PATH_MAX], *xml = domain_format(vm->def);

	if (xml && !path_of(path, sizeof(path), W->paths.run, vm->name, ".xml"))
		store_write(path, xml, strlen(xml), 0600);
	free(xml);
}

struct json_object *cmd_define(struct json_object *args, struct cmd_ctx *c)
{
	struct domain *d = parse_def(args, c);
	const struct dom_def *v;
	struct json_object *o;
	struct vmrec *vm;

	if (!d)
		return NULL;
	v = domain_def(d);
	vm = vmtab_find(v->name);
	if (vm && vm->name[0]) {
		pthread_mutex_lock(&vm->lock);
		if (v->uuid && strcmp(v->uuid, domain_def(vm->def)->uuid)) {
			snprintf(
				c->err, c->errlen,
				"operation failed: domain '%s' is already defined with uuid %s",
				vm->name, domain_def(vm->def)->uuid);
			goto fail_locked;
		}
		if (!v->uuid && domain_set_uuid(d, domain_def(vm->def)->uuid,
						c->err, c->errlen))
			goto fail_locked;
	}
	if (domain_normalize(d, c->err, c->errlen) ||
	    uuid_taken(v->name, domain_def(d)->uuid, c))
		goto fail_locked;
	if (!vm || !vm->name[0]) {
		vm = vmtab_add(domain_def(d)->name, d);
		if (!vm)
			goto fail;
		pthread_mutex_lock(&vm->lock);
	} else {
		domain_free(vm->def);
		vm->def = d;
	}
	vm->persistent = true;
	if (store_save_def(vm, c->err, c->errlen)) {
		pthread_mutex_unlock(&vm->lock);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(vm->name));
	pthread_mutex_unlock(&vm->lock);
	return o;
fail_locked:
	if (vm && vm->name[0])
		pthread_mutex_unlock(&vm->lock);
fail:
	domain_free(d);
	return NULL;
}

/*
 * nvram_undefine - a UEFI domain's variable store at undefine, as libvirt
 * does: removed with nvram, kept with keep_nvram, else the undefine is
 * refused while the file exists. 0 or -1 with c->err set.
 */
static int nvram_undefine(struct vmrec *vm, struct json_object *args,
			  struct cmd_ctx *c)
{
	const struct dom_def *d = domain_def(vm->def);
	char nv[PATH_MAX];

	if (d->boot != DOM_BOOT_EFI ||
	    nvram_path(vm->name, d, nv, sizeof(nv)) || access(nv, F_OK) ||
	    arg_bool(args, "keep_nvram"))
		return 0;
	if (!arg_bool(args, "nvram"))
		return err_set(
			c->err, c->errlen, -1,
			"Requested operation is not valid: cannot undefine domain with nvram: give --nvram to remove '%s' too, or --keep-nvram",
			nv);
	if (unlink(nv))
		return err_set(c->err, c->errlen, -1,
			       "cannot remove the UEFI variable store '%s': %s",
			       nv, strerror(errno));
	return 0;
}

struct json_object *cmd_undefine(struct json_object *args, struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o, *removed;
	const struct dom_def *d;
	char path[PATH_MAX];
	unsigned int i;

	if (!vm)
		return NULL;
	if (!vm->persistent) {
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: cannot undefine transient domain");
		pthread_mutex_unlock(&vm->lock);
		return NULL;
	}
	if (nvram_undefine(vm, args, c) ||
	    snaps_undefine(vm, arg_bool(args, "snapshots_metadata"), c->err,
			   c->errlen)) {
		pthread_mutex_unlock(&vm->lock);
		return NULL;
	}
	o = json_object_new_object();
	removed = json_object_new_array();
	d = domain_def(vm->def);
	for (i = 0; arg_bool(args, "remove_all_storage") && i < d->ndisks; i++)
		if (d->disks[i].type == DOM_DISK_FILE && d->disks[i].source &&
		    !d->disks[i].readonly && !unlink(d->disks[i].source))
			json_object_array_add(
				removed,
				json_object_new_string(d->disks[i].source));
		else if (d->disks[i].type == DOM_DISK_VOLUME &&
			 !d->disks[i].readonly &&
			 !pool_remove_volume(&d->disks[i], path, sizeof(path)))
			json_object_array_add(removed,
					      json_object_new_string(path));
	json_object_object_add(o, "removed", removed);
	store_remove_def(vm);
	vm->persistent = false;
	if (!running(vm, c)) {
		c->err[0] = '\0';
		vmtab_remove(vm);
	}
	pthread_mutex_unlock(&vm->lock);
	return o;
}

/* start_locked - start vm and answer with its warnings. */
static struct json_object *start_locked(struct vmrec *vm, struct cmd_ctx *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *w = json_object_new_array();
	const struct dom_def *d = domain_def(vm->def);
	char err[256];

	if (vm_start(vm, w, c->err, c->errlen)) {
		json_object_put(w);
		json_object_put(o);
		return NULL;
	}
	save_live(vm);
	if (d->balloon && d->current_memory_kib &&
	    d->current_memory_kib < d->memory_kib) {
		struct json_object *a = json_object_new_object();

		json_object_object_add(
			a, "value",
			json_object_new_int64(d->current_memory_kib * 1024));
		if (vm_qmp(vm, "balloon", a, NULL, err, sizeof(err)))
			json_object_array_add(w, json_object_new_string(err));
	}
	json_object_object_add(o, "warnings", w);
	json_object_object_add(o, "id", json_object_new_int(vm->id));
	return o;
}

struct json_object *cmd_start(struct json_object *args, struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o;

	if (!vm)
		return NULL;
	vm->start_paused = arg_bool(args, "paused");
	o = start_locked(vm, c);
	pthread_mutex_unlock(&vm->lock);
	return o;
}

struct json_object *cmd_create(struct json_object *args, struct cmd_ctx *c)
{
	struct domain *d = parse_def(args, c);
	struct json_object *o;
	struct vmrec *vm;

	if (!d)
		return NULL;
	if (domain_normalize(d, c->err, c->errlen))
		goto fail;
	if (vmtab_find(domain_def(d)->name)) {
		snprintf(
			c->err, c->errlen,
			"operation failed: domain '%s' already exists; use start",
			domain_def(d)->name);
		goto fail;
	}
	if (uuid_taken(domain_def(d)->name, domain_def(d)->uuid, c))
		goto fail;
	vm = vmtab_add(domain_def(d)->name, d);
	if (!vm)
		goto fail;
	pthread_mutex_lock(&vm->lock);
	o = start_locked(vm, c);
	if (o)
		json_object_object_add(o, "name",
				       json_object_new_string(vm->name));
	else
		vmtab_remove(vm);
	pthread_mutex_unlock(&vm->lock);
	return o;
fail:
	domain_free(d);
	return NULL;
}

/* qmp_op - run QMP cmd on a running vm; new_state (if not 0) after it. */
static struct json_object *qmp_op(struct json_object *args, struct cmd_ctx *c,
				  const char *cmd, enum vm_state need,
				  enum vm_state new_state, int reason)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o = NULL;

	if (!vm)
		return NULL;
	if (!running(vm, c))
		goto out;
	if (need && vm->state != need) {
		snprintf(c->err, c->errlen,
			 "Requested operation is not valid: domain is %s",
			 need == VM_PAUSED ? "not paused" : "not running");
		goto out;
	}
	if (vm_qmp(vm, cmd, NULL, NULL, c->err, c->errlen))
		goto out;
	if (new_state) {
		vm->state = new_state;
		vm->reason = reason;
		store_save_status(vm);
	}
	if (!strcmp(cmd, "system_powerdown"))
		vm->reboot_pending = arg_bool(args, "reboot");
	o = ok();
out:
	pthread_mutex_unlock(&vm->lock);
	return o;
}

struct json_object *cmd_shutdown(struct json_object *args, struct cmd_ctx *c)
{
	return qmp_op(args, c, "system_powerdown", 0, 0, 0);
}

struct json_object *cmd_reboot(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *a = json_object_get(args);
	struct json_object *o;

	/* ACPI power button, then a fresh start when the guest is off */
	json_object_object_add(a, "reboot", json_object_new_boolean(true));
	o = qmp_op(a, c, "system_powerdown", 0, 0, 0);
	json_object_object_del(a, "reboot");
	json_object_put(a);
	return o;
}

struct json_object *cmd_reset(struct json_object *args, struct cmd_ctx *c)
{
	return qmp_op(args, c, "system_reset", 0, 0, 0);
}

struct json_object *cmd_suspend(struct json_object *args, struct cmd_ctx *c)
{
	return qmp_op(args, c, "stop", VM_RUNNING, VM_PAUSED, R_USER);
}

struct json_object *cmd_resume(struct json_object *args, struct cmd_ctx *c)
{
	return qmp_op(args, c, "cont", VM_PAUSED, VM_RUNNING, R_UNPAUSED);
}

struct json_object *cmd_destroy(struct json_object *args, struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	int r;

	if (!vm)
		return NULL;
	r = vm_destroy(vm, c->err, c->errlen);
	pthread_mutex_unlock(&vm->lock);
	return r ? NULL : ok();
}

struct json_object *cmd_autostart(struct json_object *args, struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	int r;

	if (!vm)
		return NULL;
	if (!vm->persistent) {
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: cannot set autostart for transient domain");
		pthread_mutex_unlock(&vm->lock);
		return NULL;
	}
	r = store_set_autostart(vm, !arg_bool(args, "disable"));
	if (r)
		snprintf(c->err, c->errlen,
			 "cannot change autostart of '%s': %s", vm->name,
			 strerror(-r));
	pthread_mutex_unlock(&vm->lock);
	return r ? NULL : ok();
}

struct json_object *cmd_console(struct json_object *args, struct cmd_ctx *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vmrec *vm = lock_vm(args, c);
	int fd;

	if (!vm)
		return NULL;
	if (!running(vm, c))
		goto fail;
	if (!domain_def(vm->def)->nchardevs ||
	    domain_def(vm->def)->chardevs[0].type != DOM_CHR_PTY) {
		snprintf(
			c->err, c->errlen,
			"operation failed: cannot find a pty console for '%s' (its serial port is not of type pty)",
			vm->name);
		goto fail;
	}
	if (vm->console_owner && vm->console_owner != c->client &&
	    !arg_bool(args, "force")) {
		snprintf(
			c->err, c->errlen,
			"operation failed: Active console session exists for this domain");
		goto fail;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", vm->console);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(
			c->err, c->errlen,
			"operation failed: cannot open the console of '%s': %s",
			vm->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	c->fd = fd;
	vm->console_owner = c->client; /* a new client replaces the old one */
	pthread_mutex_unlock(&vm->lock);
	return ok();
fail:
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

/* is_up - vm runs (running or paused), read under its lock. */
static bool is_up(struct vmrec *vm)
{
	bool up;

	pthread_mutex_lock(&vm->lock);
	up = vm->state == VM_RUNNING || vm->state == VM_PAUSED;
	pthread_mutex_unlock(&vm->lock);
	return up;
}

void guests_shutdown(int timeout_s, struct json_object *report)
{
	struct timespec d = { 0, 200 * 1000 * 1000 };
	unsigned int n, i, left;
	struct vmrec **v = vmtab_snapshot(&n);
	char err[512];
	int waited;

	for (i = 0; v && i < n; i++) {
		pthread_mutex_lock(&v[i]->lock);
		if (v[i]->state == VM_RUNNING || v[i]->state == VM_PAUSED)
			vm_qmp(v[i], "system_powerdown", NULL, NULL, err,
			       sizeof(err));
		pthread_mutex_unlock(&v[i]->lock);
	}
	for (waited = 0; v && waited < timeout_s * 5; waited++) {
		for (i = left = 0; i < n; i++)
			left += is_up(v[i]);
		if (!left)
			break;
		nanosleep(&d, NULL);
	}
	for (i = 0; v && i < n; i++) {
		pthread_mutex_lock(&v[i]->lock);
		if (v[i]->state == VM_RUNNING || v[i]->state == VM_PAUSED) {
			vm_destroy(v[i], err, sizeof(err));
			if (report)
				json_object_array_add(
					report,
					json_object_new_string(v[i]->name));
		}
		pthread_mutex_unlock(&v[i]->lock);
	}
	free(v);
}

/*
 * guests_save - managed save of every running persistent VM, their names
 * in LIB/resume-guests for guests_resume() at the next host boot (what
 * libvirt-guests does with ON_SHUTDOWN=suspend). A VM whose save fails is
 * shut down by guests_shutdown() afterwards.
 */
static void guests_save(struct json_object *saved)
{
	char path[PATH_MAX], list[PATH_MAX], err[512];
	unsigned int n, i;
	struct vmrec **v = vmtab_snapshot(&n);
	char *names = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&names, &len);

	for (i = 0; v && f && i < n; i++) {
		pthread_mutex_lock(&v[i]->lock);
		if ((v[i]->state == VM_RUNNING || v[i]->state == VM_PAUSED) &&
		    v[i]->persistent &&
		    !managed_save_path(v[i], path, sizeof(path)) &&
		    !vm_save(v[i], path, err, sizeof(err))) {
			fprintf(f, "%s\n", v[i]->name);
			json_object_array_add(
				saved, json_object_new_string(v[i]->name));
		}
		pthread_mutex_unlock(&v[i]->lock);
	}
	free(v);
	if (f)
		fclose(f);
	if (names &&
	    !path_of(list, sizeof(list), W->paths.lib, "resume-guests", ""))
		store_write(list, names, len, 0600);
	free(names);
}

void guests_resume(void)
{
	char list[PATH_MAX], err[512], *names, *name, *save = NULL;
	struct vmrec *vm;
	size_t len;

	if (path_of(list, sizeof(list), W->paths.lib, "resume-guests", "") ||
	    store_read(list, &names, &len, 1 << 20))
		return;
	for (name = strtok_r(names, "\n", &save); name;
	     name = strtok_r(NULL, "\n", &save)) {
		vm = vmtab_find(name);
		if (!vm)
			continue;
		pthread_mutex_lock(&vm->lock);
		if (vm->name[0] && vm->state == VM_SHUTOFF &&
		    vm_start(vm, NULL, err, sizeof(err)))
			wirt_err("resuming '%s' after the host's reboot: %s",
				 name, err);
		pthread_mutex_unlock(&vm->lock);
	}
	free(names);
	unlink(list);
}

struct json_object *cmd_shutdown_all(struct json_object *args,
				     struct cmd_ctx *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *destroyed = json_object_new_array(), *t;
	int timeout = 300;

	if (args && json_object_object_get_ex(args, "timeout", &t))
		timeout = json_object_get_int(t);
	if (timeout < 0 || timeout > 86400)
		timeout = 300;
	if (arg_bool(args, "managedsave")) {
		struct json_object *saved = json_object_new_array();

		guests_save(saved);
		json_object_object_add(o, "saved", saved);
	}
	guests_shutdown(timeout, destroyed);
	json_object_object_add(o, "destroyed", destroyed);
	return o;
}
