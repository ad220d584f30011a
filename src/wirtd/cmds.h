/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wirtd's command handlers (cmds.c, cmd-life.c, cmd-stats.c). */
#ifndef WIRT_WIRTD_CMDS_H
#define WIRT_WIRTD_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct vmrec;

/* What a handler reports besides its result. */
struct cmd_ctx {
	char *err;
	size_t errlen;
	const char *errclass; /* QMP-style error class */
	int fd; /* a descriptor to pass to the client, or -1 */
	const void *client; /* the connection asking (console sessions) */
};

typedef struct json_object *cmd_fn(struct json_object *args, struct cmd_ctx *c);

cmd_fn cmd_define, cmd_undefine, cmd_create, cmd_start, cmd_shutdown,
	cmd_reboot, cmd_reset, cmd_destroy, cmd_suspend, cmd_resume,
	cmd_autostart, cmd_console, cmd_domstats, cmd_shutdown_all, cmd_devices,
	cmd_blockstats, cmd_memstats, cmd_setmem, cmd_clone, cmd_vol_create,
	cmd_save, cmd_restore, cmd_managedsave, cmd_ifstats;
/* cmd-net.c */
cmd_fn cmd_net_list, cmd_net_info, cmd_net_dumpxml, cmd_net_define,
	cmd_net_create, cmd_net_undefine, cmd_net_start, cmd_net_destroy,
	cmd_net_autostart, cmd_net_dhcp_leases, cmd_net_update;

const char *arg_str(struct json_object *args, const char *name);
bool arg_bool(struct json_object *args, const char *name);
struct vmrec *lock_vm(struct json_object *args, struct cmd_ctx *c);
bool running(struct vmrec *vm, struct cmd_ctx *c);
struct json_object *ok(void);
/* current_kib - the guest's memory now: the balloon's size when it runs
 * with one, else <currentMemory>. vm->lock held. */
uint64_t current_kib(struct vmrec *vm, struct cmd_ctx *c);

#endif
