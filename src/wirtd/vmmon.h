/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Watching a VM's process and QMP events (vmmon.c). */
#ifndef WIRT_WIRTD_VMMON_H
#define WIRT_WIRTD_VMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vmrec;

/*
 * vmmon_adopt - watch wirt-vmm process pid as vm's (vm->lock held): a
 * pidfd for its end, a QMP connection for its events on a thread of its
 * own, the status file written. fresh: it was just spawned (wait for its
 * socket, give it an id, state running (booted)); else it is a VM found
 * running at wirtd's start. Returns 0 or -errno with err set.
 */
int vmmon_adopt(struct vmrec *vm, pid_t pid, bool fresh, char *err,
		size_t errlen);

#endif
