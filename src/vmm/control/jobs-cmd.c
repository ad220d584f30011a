// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QMP commands shared by the backup jobs (backup-job.c) and the live
 * snapshot, commit and stream jobs (livesnap-cmd.c, blockjob-cmd.c): each
 * request goes to the kind it names.
 */
#include "vmm/control/jobs-cmd.h"

#include <string.h>

#include "vmm/control/backup-job.h"
#include "vmm/control/blockjob-cmd.h"

/*
 * The kind of a transaction's actions: 1 when all are drive-backup, 2
 * when all are blockdev-snapshot-sync, 0 otherwise (or none, or not an
 * array).
 */
static int tx_kind(struct json_object *args)
{
	struct json_object *acts, *t;
	int kind = 0, k;
	size_t i, n;

	if (!json_object_object_get_ex(args, "actions", &acts) ||
	    !json_object_is_type(acts, json_type_array))
		return 0;
	n = json_object_array_length(acts);
	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(
			    json_object_array_get_idx(acts, i), "type", &t))
			return 0;
		k = !strcmp(json_object_get_string(t), "drive-backup") ? 1 :
		    !strcmp(json_object_get_string(t),
			    "blockdev-snapshot-sync") ?
									 2 :
									 0;
		if (!k || (kind && k != kind))
			return 0;
		kind = k;
	}
	return kind;
}

int cmd_transaction(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	switch (tx_kind(args)) {
	case 1:
		return backup_transaction(opaque, args, ret, err);
	case 2:
		return livesnap_transaction(opaque, args, ret, err);
	default:
		return qmp_error_set(
			err, QMP_ERR_GENERIC,
			"a transaction takes a list of drive-backup actions or a list of blockdev-snapshot-sync actions (not mixed, not others)");
	}
}

int cmd_query_block_jobs(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err)
{
	struct json_object *a = json_object_new_array();

	backup_block_jobs(a);
	blockjobs_query(a);
	*ret = a;
	return 0;
}

int cmd_block_job_cancel(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err)
{
	struct json_object *d;

	if (json_object_object_get_ex(args, "device", &d) &&
	    blockjob_exists(json_object_get_string(d)))
		return blockjob_cancel(opaque, args, ret, err);
	return backup_block_job_cancel(opaque, args, ret, err);
}
