/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Backup block jobs over QMP (backup-job.c): drive-backup, transaction
 * of drive-backup actions, query-block-jobs, block-job-cancel,
 * block-job-set-speed, job-cancel; query-jobs and job-dismiss of
 * snapshot-job.c include them.
 */
#ifndef WIRT_VMM_BACKUP_JOB_H
#define WIRT_VMM_BACKUP_JOB_H

#include "vmm/control/qmp.h"

struct vm;

/* QMP handlers (opaque: the struct vm) */
int cmd_drive_backup(void *opaque, struct json_object *args,
		     struct json_object **ret, struct qmp_error *err);
/* backup_transaction - a transaction of drive-backup actions */
int backup_transaction(void *opaque, struct json_object *args,
		       struct json_object **ret, struct qmp_error *err);
/* backup_block_jobs - append the backup jobs (query-block-jobs) to a */
void backup_block_jobs(struct json_object *a);
/* backup_block_job_cancel - block-job-cancel of a backup job */
int backup_block_job_cancel(void *opaque, struct json_object *args,
			    struct json_object **ret, struct qmp_error *err);
int cmd_block_job_set_speed(void *opaque, struct json_object *args,
			    struct json_object **ret, struct qmp_error *err);
int cmd_job_cancel(void *opaque, struct json_object *args,
		   struct json_object **ret, struct qmp_error *err);

/* backup_jobs_query - append the backup jobs' query-jobs entries to a. */
void backup_jobs_query(struct json_object *a);

/*
 * backup_job_dismiss - job-dismiss of backup job id. Returns 0, 1 when
 * there is no backup job of that id, or -1 with err set (not concluded).
 */
int backup_job_dismiss(const char *id, struct qmp_error *err);

/*
 * backup_jobs_stop - the VM is stopping: cancel vm's running backups
 * (their targets removed), wait for them, and free every job of vm.
 */
void backup_jobs_stop(struct vm *vm);

#endif
