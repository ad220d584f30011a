// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirtd's commands: one handler per request "command", a table that says
 * which ones the read-only socket may run. Each handler finds its VM,
 * holds the VM's lock for the whole operation (operations on one VM are
 * serialized, on different VMs they run concurrently), and answers with a
 * JSON object, or an error in virsh's words.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <limits.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/wirtd.h"

/* arg_str - string argument name of args, or NULL. */
const char *arg_str(struct json_object *args, const char *name)
{
	struct json_object *v;

	if (!args || !json_object_object_get_ex(args, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool arg_bool(struct json_object *args, const char *name)
{
	struct json_object *v;

	return args && json_object_object_get_ex(args, name, &v) &&
	       json_object_get_boolean(v);
}

/*
 * lock_vm - the VM named by args' "domain" (name, UUID or id), locked;
 * NULL with err set ("failed to get domain 'X'", as virsh says) when
 * there is none.
 */
struct vmrec *lock_vm(struct json_object *args, struct cmd_ctx *c)
{
	const char *key = arg_str(args, "domain");
	struct vmrec *vm;

	if (!key) {
		snprintf(c->err, c->errlen, "no \"domain\" argument");
		return NULL;
	}
	vm = vmtab_find(key);
	if (vm) {
		pthread_mutex_lock(&vm->lock);
		if (vm->name[0]) /* not undefined meanwhile */
			return vm;
		pthread_mutex_unlock(&vm->lock);
	}
	c->errclass = "DomainNotFound";
	snprintf(c->err, c->errlen, "failed to get domain '%s'", key);
	return NULL;
}

struct json_object *ok(void)
{
	return json_object_new_object();
}

/* running - vm is running or paused; else err says it is not. */
bool running(struct vmrec *vm, struct cmd_ctx *c)
{
	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED)
		return true;
	snprintf(c->err, c->errlen,
		 "Requested operation is not valid: domain is not running");
	return false;
}

static struct json_object *vm_summary(struct vmrec *vm)
{
	struct json_object *o = json_object_new_object();
	const char *uuid = domain_def(vm->def)->uuid;

	json_object_object_add(o, "id", json_object_new_int(vm->id));
	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "uuid", json_object_new_string(uuid ?: ""));
	json_object_object_add(
		o, "state", json_object_new_string(vm_state_name(vm->state)));
	json_object_object_add(
		o, "reason",
		json_object_new_string(vm_reason_name(vm->state, vm->reason)));
	json_object_object_add(o, "persistent",
			       json_object_new_boolean(vm->persistent));
	json_object_object_add(o, "autostart",
			       json_object_new_boolean(vm->autostart));
	return o;
}

static struct json_object *cmd_list(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	unsigned int n, i;
	struct vmrec **v = vmtab_snapshot(&n);

	for (i = 0; v && i < n; i++) {
		pthread_mutex_lock(&v[i]->lock);
		if (v[i]->name[0])
			json_object_array_add(a, vm_summary(v[i]));
		pthread_mutex_unlock(&v[i]->lock);
	}
	free(v);
	json_object_object_add(o, "domains", a);
	return o;
}

/* cmd_domstate - the summary of one domain (state, reason, id, name,
 * UUID): no QMP round trip, unlike dominfo's memory figure. */
static struct json_object *cmd_domstate(struct json_object *args,
					struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o;

	if (!vm)
		return NULL;
	o = vm_summary(vm);
	pthread_mutex_unlock(&vm->lock);
	return o;
}

static struct json_object *cmd_dominfo(struct json_object *args,
				       struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	const struct dom_def *d;
	struct json_object *o;
	char path[PATH_MAX];

	if (!vm)
		return NULL;
	d = domain_def(vm->def);
	o = vm_summary(vm);
	json_object_object_add(o, "os_type", json_object_new_string("hvm"));
	json_object_object_add(o, "vcpus", json_object_new_int(d->vcpus));
	json_object_object_add(o, "cpu_time_ns",
			       json_object_new_uint64(vm_cpu_time_ns(vm)));
	json_object_object_add(o, "max_memory_kib",
			       json_object_new_uint64(d->memory_kib));
	json_object_object_add(o, "used_memory_kib",
			       json_object_new_uint64(current_kib(vm, c)));
	json_object_object_add(
		o, "managed_save",
		json_object_new_boolean(
			!managed_save_path(vm, path, sizeof(path)) &&
			!access(path, F_OK)));
	pthread_mutex_unlock(&vm->lock);
	return o;
}

static struct json_object *cmd_dumpxml(struct json_object *args,
				       struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o;
	char *xml;

	if (!vm)
		return NULL;
	xml = domain_format(vm->def);
	pthread_mutex_unlock(&vm->lock);
	if (!xml)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "xml", json_object_new_string(xml));
	free(xml);
	return o;
}

static const struct cmd {
	const char *name;
	bool readonly; /* allowed on the read-only socket */
	struct json_object *(*fn)(struct json_object *args, struct cmd_ctx *c);
} cmds[] = {
	{ "list", true, cmd_list },
	{ "dominfo", true, cmd_dominfo },
	{ "domstate", true, cmd_domstate },
	{ "domstats", true, cmd_domstats },
	{ "dumpxml", true, cmd_dumpxml },
	{ "devices", true, cmd_devices },
	{ "blockstats", true, cmd_blockstats },
	{ "memstats", true, cmd_memstats },
	{ "ifstats", true, cmd_ifstats },
	{ "net_list", true, cmd_net_list },
	{ "net_info", true, cmd_net_info },
	{ "net_dumpxml", true, cmd_net_dumpxml },
	{ "net_dhcp_leases", true, cmd_net_dhcp_leases },
	{ "net_define", false, cmd_net_define },
	{ "net_create", false, cmd_net_create },
	{ "net_undefine", false, cmd_net_undefine },
	{ "net_start", false, cmd_net_start },
	{ "net_update", false, cmd_net_update },
	{ "net_destroy", false, cmd_net_destroy },
	{ "net_autostart", false, cmd_net_autostart },
	{ "setmem", false, cmd_setmem },
	{ "change_media", false, cmd_change_media },
	{ "clone", false, cmd_clone },
	{ "vol_create", false, cmd_vol_create },
	{ "save", false, cmd_save },
	{ "backup", false, cmd_backup },
	{ "domjobinfo", true, cmd_domjobinfo },
	{ "domjobabort", false, cmd_domjobabort },
	{ "backup_restore", false, cmd_backup_restore },
	{ "backup_verify", false, cmd_backup_verify },
	{ "backup_begin", false, cmd_backup_begin },
	{ "backup_dumpxml", true, cmd_backup_dumpxml },
	{ "restore", false, cmd_restore },
	{ "managedsave", false, cmd_managedsave },
	{ "define", false, cmd_define },
	{ "undefine", false, cmd_undefine },
	{ "create", false, cmd_create },
	{ "start", false, cmd_start },
	{ "shutdown", false, cmd_shutdown },
	{ "reboot", false, cmd_reboot },
	{ "reset", false, cmd_reset },
	{ "destroy", false, cmd_destroy },
	{ "suspend", false, cmd_suspend },
	{ "resume", false, cmd_resume },
	{ "autostart", false, cmd_autostart },
	{ "console", false, cmd_console },
	{ "shutdown_all", false, cmd_shutdown_all },
	/* storage pools and volumes */
	{ "pool_list", true, cmd_pool_list },
	{ "pool_info", true, cmd_pool_info },
	{ "pool_dumpxml", true, cmd_pool_dumpxml },
	{ "vol_list", true, cmd_vol_list },
	{ "vol_info", true, cmd_vol_info },
	{ "vol_dumpxml", true, cmd_vol_dumpxml },
	{ "pool_define", false, cmd_pool_define },
	{ "pool_build", false, cmd_pool_build },
	{ "pool_start", false, cmd_pool_start },
	{ "pool_destroy", false, cmd_pool_destroy },
	{ "pool_undefine", false, cmd_pool_undefine },
	{ "pool_autostart", false, cmd_pool_autostart },
	{ "pool_refresh", false, cmd_pool_refresh },
	{ "vol_create_as", false, cmd_vol_create_as },
	{ "vol_delete", false, cmd_vol_delete },
	{ "vol_resize", false, cmd_vol_resize },
	{ "vol_clone", false, cmd_vol_clone },
	{ "vol_wipe", false, cmd_vol_wipe },
	{ "vol_open", false, cmd_vol_open },
	/* domain snapshots */
	{ "snapshot_list", true, cmd_snapshot_list },
	{ "snapshot_dumpxml", true, cmd_snapshot_dumpxml },
	{ "snapshot_create", false, cmd_snapshot_create },
	{ "blockcommit", false, cmd_blockcommit },
	{ "blockpull", false, cmd_blockpull },
	{ "blockjob_info", true, cmd_blockjob_info },
	{ "blockjob_pivot", false, cmd_blockjob_pivot },
	{ "blockjob_abort", false, cmd_blockjob_abort },
	{ "snapshot_revert", false, cmd_snapshot_revert },
	{ "snapshot_delete", false, cmd_snapshot_delete },
};

void cmds_client_gone(const void *client)
{
	unsigned int n, i;
	struct vmrec **v = vmtab_snapshot(&n);

	for (i = 0; v && i < n; i++) {
		pthread_mutex_lock(&v[i]->lock);
		if (v[i]->console_owner == client)
			v[i]->console_owner = NULL;
		pthread_mutex_unlock(&v[i]->lock);
	}
	free(v);
}

struct json_object *cmd_dispatch(const char *command, struct json_object *args,
				 bool readonly, const void *client,
				 const char **errclass, char *err,
				 size_t errlen, int *fd_out)
{
	struct cmd_ctx c = { err, errlen, "GenericError", -1, client };
	struct json_object *r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, command))
			break;
	if (i == ARRAY_SIZE(cmds)) {
		*errclass = "CommandNotFound";
		snprintf(err, errlen, "unknown command '%s'", command);
		return NULL;
	}
	if (readonly && !cmds[i].readonly) {
		*errclass = "PermissionDenied";
		snprintf(
			err, errlen,
			"operation forbidden: read only access prevents %s; use the read-write socket as root",
			command);
		return NULL;
	}
	if (args && !json_object_is_type(args, json_type_object)) {
		snprintf(err, errlen, "\"arguments\" must be a JSON object");
		return NULL;
	}
	r = cmds[i].fn(args, &c);
	*errclass = c.errclass;
	*fd_out = c.fd;
	if (!r && !err[0])
		snprintf(err, errlen, "%s failed: out of memory", command);
	return r;
}
