/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP commands that several kinds of block job share: transaction
 * (of drive-backup actions, or of blockdev-snapshot-sync actions),
 * query-block-jobs (backup, commit and stream jobs in one list) and
 * block-job-cancel (whichever kind of job the name belongs to).
 */
#ifndef WIRT_VMM_JOBS_CMD_H
#define WIRT_VMM_JOBS_CMD_H

#include "vmm/control/qmp.h"

int cmd_transaction(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err);
int cmd_query_block_jobs(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err);
int cmd_block_job_cancel(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err);

#endif
