/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A backup of a running domain's disks as wirtd runs it (cmd-backup.c),
 * shared by wirt backup, which waits for it, and backup-begin, which
 * lets a thread of its own wait (backup-begin.c).
 */
#ifndef WIRT_WIRTD_BACKUP_H
#define WIRT_WIRTD_BACKUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain/domain.h"
#include "wirtd/cmds.h"

struct backup_def;

/* One backup in progress: its disks, jobs and files. */
struct bplan {
	unsigned int n;
	char disk[DOMAIN_DISKS_MAX][32];
	char id[DOMAIN_DISKS_MAX][48];
	char stage[DOMAIN_DISKS_MAX][PATH_MAX]; /* beside final */
	bool made[DOMAIN_DISKS_MAX]; /* stage[i] made for disk i */
	char staged[DOMAIN_DISKS_MAX][PATH_MAX];
	char final[DOMAIN_DISKS_MAX][PATH_MAX];
	bool inc[DOMAIN_DISKS_MAX]; /* an incremental asked for disk i */
	bool done[DOMAIN_DISKS_MAX];
	char error[512];
	int64_t pause_us;
	int64_t speed; /* bytes per second of each copy, 0: no limit */
	bool want_inc; /* --incremental, <incremental> */
	bool compress; /* --compress: compressed qcow2 clusters */
	char name[DOMAIN_NAME_MAX + 1];
	struct chain ch[DOMAIN_DISKS_MAX];
	struct backup_def *spec; /* backup-begin's XML, or NULL */
};

/* backup_dir - the default directory in dir: to, or LIB/backups/NAME.
 * 0 or -1 with c->err set. */
int backup_dir(struct vmrec *vm, const char *to, char *dir, size_t len,
	       struct cmd_ctx *c);
/*
 * backup_start - plan the backup of vm's writable disks (those p->spec
 * keeps, into its files; others into dir) and start it (vm locked,
 * running). Returns 0, or -1 with c->err set (nothing left).
 */
int backup_start(struct vmrec *vm, const char *dir, struct bplan *p,
		 struct cmd_ctx *c);
/*
 * backup_wait - poll the domain's jobs (args names it) until p's are all
 * concluded. Returns 0 (p->error says whether they failed), or -1 with
 * c->err set when the domain went away.
 */
int backup_wait(struct json_object *args, struct bplan *p, struct cmd_ctx *c);
/* backup_publish - move the copies to their final names and record the
 * chains, or drop them on error. 0 or -1 with c->err set. */
int backup_publish(struct bplan *p, struct cmd_ctx *c);
/* backup_drop - remove whatever the stages hold (the domain went away). */
void backup_drop(struct bplan *p);

#endif
