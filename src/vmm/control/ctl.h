/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal state of the control module shared by its files. */
#ifndef WIRT_VMM_CTL_H
#define WIRT_VMM_CTL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/control/qmp.h"
#include "vmm/vm.h"

struct vm_control {
	struct vm *vm;
	struct qmp_server *srv;
	/* reason of a host-requested stop for the SHUTDOWN/RESET event */
	const char *host_reason;
	/* run state shown instead of running/paused (inmigrate...) */
	const char *state_override;

	/* migration (migrate.c), guarded by mig_lock */
	pthread_mutex_t mig_lock;
	bool migrating; /* a migrate thread is running */
	bool mig_thread; /* a thread to join exists */
	pthread_t mig_tid;
	volatile bool mig_cancel;
	const char *mig_status; /* QEMU MigrationStatus, NULL before any */
	char mig_error[512];
	char mig_path[4096];
	uint64_t mig_total, mig_done, mig_zero; /* bytes of guest RAM */
	uint64_t mig_ms; /* duration of the last migration */
	char snap_tag[72]; /* loadvm: the snapshot being reverted to */
};

/*
 * control_vm_event - the event sink control_init installs in the VM
 * (opaque: its struct vm_control).
 */
void control_vm_event(void *opaque, struct vm *vm, enum vm_event ev,
		      uint64_t arg);

/* ctl_of - the control state of vm, or NULL without --api-socket. */
static inline struct vm_control *ctl_of(const struct vm *vm)
{
	return vm->events.event == control_vm_event ? vm->events.opaque : NULL;
}

/* QMP handlers of migrate.c */
int cmd_migrate(void *opaque, struct json_object *args,
		struct json_object **ret, struct qmp_error *err);
int cmd_query_migrate(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err);
int cmd_migrate_cancel(void *opaque, struct json_object *args,
		       struct json_object **ret, struct qmp_error *err);

/* QMP handlers of balloon-cmd.c (the virtio-balloon and its QOM view) */
int cmd_balloon(void *opaque, struct json_object *args,
		struct json_object **ret, struct qmp_error *err);
int cmd_query_balloon(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err);
int cmd_qom_list(void *opaque, struct json_object *args,
		 struct json_object **ret, struct qmp_error *err);
int cmd_qom_get(void *opaque, struct json_object *args,
		struct json_object **ret, struct qmp_error *err);
int cmd_qom_set(void *opaque, struct json_object *args,
		struct json_object **ret, struct qmp_error *err);

/* QMP handlers of cdrom-cmd.c (the SATA CD-ROM's medium) */
int cmd_eject(void *opaque, struct json_object *args, struct json_object **ret,
	      struct qmp_error *err);
int cmd_change_medium(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err);

/*
 * snapshot_save/load/delete - savevm, loadvm, delvm of tag (snapshot.c;
 * tag checked with snapshot_tag_ok). Return 0, or -errno with one phrase
 * in err. load returns once the reverted VM runs.
 */
int snapshot_save(struct vm *vm, const char *tag, char *err, size_t errlen);
int snapshot_load(struct vm *vm, const char *tag, char *err, size_t errlen);
int snapshot_delete(struct vm *vm, const char *tag, char *err, size_t errlen);
bool snapshot_tag_ok(const char *tag);

/* QMP snapshot jobs (snapshot-job.c) */
int cmd_snapshot_save(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err);
int cmd_snapshot_load(void *opaque, struct json_object *args,
		      struct json_object **ret, struct qmp_error *err);
int cmd_snapshot_delete(void *opaque, struct json_object *args,
			struct json_object **ret, struct qmp_error *err);
int cmd_query_jobs(void *opaque, struct json_object *args,
		   struct json_object **ret, struct qmp_error *err);
int cmd_job_dismiss(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err);

/* QMP human-monitor-command: savevm, loadvm, delvm, info snapshots */
int cmd_hmp(void *opaque, struct json_object *args, struct json_object **ret,
	    struct qmp_error *err);

/* migrate_wait - join a finished or running migration thread. */
void migrate_wait(struct vm *vm);

#endif
