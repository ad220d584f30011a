/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by blockjob-cmd.c and livesnap-cmd.c. */
#ifndef WIRT_VMM_BLOCKJOB_INT_H
#define WIRT_VMM_BLOCKJOB_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/control/qmp.h"
#include "vmm/vm-disks.h"

struct vm;

/*
 * bj_find_disk - the disk named name (its device name or its format
 * node name "NAME-format"), or NULL after a DeviceNotFound error in err.
 */
const struct vm_disk *bj_find_disk(struct vm *vm, const char *name,
				   struct qmp_error *err);

/* Work done while every vCPU is parked and every device quiesced. */
typedef int (*bj_held_fn)(void *arg, char *err, size_t errlen);

/*
 * bj_quiesced - park the vCPUs, quiesce the devices (no disk request in
 * flight), run fn(arg), and let the VM go on; the time the vCPUs stood
 * still goes to stderr. Refused (-EBUSY) while a migration or snapshot
 * save runs. Returns fn's result, or -errno with why filled.
 */
int bj_quiesced(struct vm *vm, const char *what, bj_held_fn fn, void *arg,
		char *err, size_t errlen);

/* bj_reap - free the block jobs that ended on their own. */
void bj_reap(void);

#endif
