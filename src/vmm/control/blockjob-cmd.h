/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP live external snapshots and block jobs on a running VM, in QEMU's
 * shapes (what libvirt sends): blockdev-snapshot-sync, transaction (of
 * blockdev-snapshot-sync actions, all disks switched at one instant or
 * none), block-commit (active commit), block-stream, query-block-jobs,
 * block-job-cancel, block-job-complete; events BLOCK_JOB_READY,
 * BLOCK_JOB_COMPLETED, BLOCK_JOB_CANCELLED. The copying runs in
 * vmm/disk/blockjob.c; this file names disks and jobs and quiesces the
 * devices for the switches.
 */
#ifndef WIRT_VMM_BLOCKJOB_CMD_H
#define WIRT_VMM_BLOCKJOB_CMD_H

#include <stdbool.h>

#include "vmm/control/qmp.h"

struct vm;

int cmd_blockdev_snapshot_sync(void *opaque, struct json_object *args,
			       struct json_object **ret, struct qmp_error *err);
/* livesnap_transaction - a transaction of blockdev-snapshot-sync actions */
int livesnap_transaction(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err);
int cmd_block_commit(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err);
int cmd_block_stream(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err);
/* blockjobs_query - append the running commit and stream jobs to a */
void blockjobs_query(struct json_object *a);
/* blockjob_exists - whether a commit or stream job named id runs */
bool blockjob_exists(const char *id);
/* blockjob_cancel - block-job-cancel of a commit or stream job */
int blockjob_cancel(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err);
int cmd_block_job_complete(void *opaque, struct json_object *args,
			   struct json_object **ret, struct qmp_error *err);

/*
 * blockjobs_stop_all - cancel every block job of vm (before its disks
 * close, at vm_destroy).
 */
void blockjobs_stop_all(struct vm *vm);

#endif
