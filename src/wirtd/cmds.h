/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wirtd's command handlers (cmds.c, cmd-life.c, cmd-stats.c). */
#ifndef WIRT_WIRTD_CMDS_H
#define WIRT_WIRTD_CMDS_H

#include <limits.h>
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
	cmd_blockstats, cmd_memstats, cmd_setmem, cmd_change_media, cmd_clone,
	cmd_vol_create, cmd_save, cmd_restore, cmd_managedsave, cmd_ifstats;
/* storage pools and volumes (cmd-pool.c, cmd-vol.c) */
cmd_fn cmd_pool_list, cmd_pool_info, cmd_pool_dumpxml, cmd_pool_define,
	cmd_pool_build, cmd_pool_start, cmd_pool_destroy, cmd_pool_undefine,
	cmd_pool_autostart, cmd_pool_refresh, cmd_vol_list, cmd_vol_info,
	cmd_vol_dumpxml, cmd_vol_create_as, cmd_vol_delete, cmd_vol_resize,
	cmd_vol_clone, cmd_vol_wipe, cmd_vol_open;
/* cmd-snap.c, cmd-snaprev.c: domain snapshots */
cmd_fn cmd_snapshot_create, cmd_snapshot_list, cmd_snapshot_dumpxml,
	cmd_snapshot_delete, cmd_snapshot_revert;
struct snap_def;
struct snap_def *snap_lookup(struct vmrec *vm, struct json_object *args,
			     struct snap_def **v, unsigned int *n,
			     struct cmd_ctx *c);
/* cmd-blockjob.c: blockcommit, blockpull, blockjob */
cmd_fn cmd_blockcommit, cmd_blockpull, cmd_blockjob_info, cmd_blockjob_pivot,
	cmd_blockjob_abort;
/* cmd-net.c */
cmd_fn cmd_net_list, cmd_net_info, cmd_net_dumpxml, cmd_net_define,
	cmd_net_create, cmd_net_undefine, cmd_net_start, cmd_net_destroy,
	cmd_net_autostart, cmd_net_dhcp_leases, cmd_net_update;
/* cmd-backup.c */
cmd_fn cmd_backup, cmd_domjobinfo, cmd_domjobabort;
/* backup-lvm.c: backup_lvm - backup --method=lvm-snapshot (compress:
 * compressed clusters) of vm (locked:
 * unlocked on return) into the directory dir. The result as cmd_backup
 * gives it, or NULL with c->err set (no file or snapshot left). */
struct json_object *backup_lvm(struct vmrec *vm, const char *dir, bool compress,
			       struct cmd_ctx *c);

/* backup-chain.c: incremental backups, per disk */
#define CHAIN_BITMAP "wirt-backup" /* the dirty bitmap wirtd keeps */
enum chain_mode {
	CHAIN_NONE, /* a raw disk: full copies, no bitmap */
	CHAIN_FULL, /* a full copy that starts a chain */
	CHAIN_INC, /* only what changed, over the recorded last backup */
};
struct chain {
	enum chain_mode mode;
	char backing[PATH_MAX]; /* CHAIN_INC: the previous backup */
	char note[192]; /* why a full copy when an incremental was asked */
};
struct vmrec;
/*
 * chain_prepare - before a backup of the running vm's disk: make sure its
 * bitmap exists and is usable (an inconsistent one is replaced), and
 * choose the mode (incremental only when want_inc and the chain is
 * sound). Returns 0 or -errno with err set.
 */
int chain_prepare(struct vmrec *vm, const char *disk, bool want_inc,
		  struct chain *ch, char *err, size_t errlen);
/*
 * chain_record - after a backup of name's disk into file: the record
 * becomes the chain so far and file when append (an incremental), else
 * file alone (a full backup starts a chain). 0 or -errno.
 */
int chain_record(const char *name, const char *disk, const char *file,
		 bool append);
/* The files of a chain, the full backup first (malloc'ed strings). */
#define CHAIN_LINKS_MAX 4096
struct chain_list {
	unsigned int n;
	char **file;
};
/* chain_read - the record of name's disk into *l. 0 or -errno. */
int chain_read(const char *name, const char *disk, struct chain_list *l);
/* chain_list_add - append a copy of file to *l. 0 or -errno. */
int chain_list_add(struct chain_list *l, const char *file);
/* chain_list_free - free *l's files; it is empty after. */
void chain_list_free(struct chain_list *l);
/*
 * chain_walk - the chain of backup images under top, following each
 * one's backing file, into *l (top first, the full backup last): every
 * link must be a regular file holding a qcow2 image. Returns 0, or
 * -errno with err naming the link that is missing or bad.
 */
int chain_walk(const char *top, struct chain_list *l, char *err, size_t errlen);
/*
 * chain_bitmap_running - the state of CHAIN_BITMAP on the running vm's
 * disk: 0 absent, 1 usable, 2 inconsistent; -errno (err) when the disk
 * cannot be asked.
 */
int chain_bitmap_running(struct vmrec *vm, const char *disk, char *err,
			 size_t errlen);
/* chain_dir - the directory of name's chain records. 0 or -errno. */
int chain_dir(const char *name, char *dir, size_t len);
/* backup-restore.c, backup-verify.c, backup-begin.c */
cmd_fn cmd_backup_restore, cmd_backup_verify, cmd_backup_begin,
	cmd_backup_dumpxml;

const char *arg_str(struct json_object *args, const char *name);
bool arg_bool(struct json_object *args, const char *name);
struct vmrec *lock_vm(struct json_object *args, struct cmd_ctx *c);
bool running(struct vmrec *vm, struct cmd_ctx *c);
struct json_object *ok(void);
/* current_kib - the guest's memory now: the balloon's size when it runs
 * with one, else <currentMemory>. vm->lock held. */
uint64_t current_kib(struct vmrec *vm, struct cmd_ctx *c);

#endif
