/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pause and resume of the vCPUs (vm-pause.c), with kvmclock frozen across
 * the pause. The control layer calls vm_pause()/vm_resume() for QMP stop
 * and cont, migration and snapshots; vcpu.c calls vm_vcpu_park() at the
 * top of its run loop.
 */
#ifndef WIRT_VMM_VM_PAUSE_H
#define WIRT_VMM_VM_PAUSE_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

struct vm;
struct vcpu;

/* Pause state, part of struct vm; guarded by vm->lock. */
struct vm_pause {
	bool req; /* vCPUs must stay out of KVM_RUN */
	unsigned int parked; /* vCPU threads parked now */
	pthread_cond_t cond; /* parked count changed / pause released */
	bool clock_valid; /* clock holds this KVM VM's time at the pause */
	struct kvm_clock_data clock;
};

/* vm_pause_init - set up the pause state (vm_prepare). */
void vm_pause_init(struct vm *vm);

/*
 * vm_pause - stop every vCPU outside KVM_RUN (pending I/O completed) and
 * save kvmclock. Waits until each running vCPU has parked. Returns true
 * when this call paused the VM, false when it was paused already.
 */
bool vm_pause(struct vm *vm);

/*
 * vm_resume - set kvmclock back to its paused value (guest time does not
 * jump) and let the vCPUs run. Returns true when this call resumed it.
 */
bool vm_resume(struct vm *vm);

/*
 * vm_pause_hold_clock - for a VM rebuilt from saved state while a pause
 * stays in force (loadvm in a stopped VM): read the restored kvmclock, so
 * that cont gives the guest its time from the restore on, not the time
 * it spent stopped. Does nothing when the VM is not paused.
 */
void vm_pause_hold_clock(struct vm *vm);

/* vm_paused - true while a pause is in force. */
bool vm_paused(struct vm *vm);

/*
 * vm_vcpu_park - called by vCPU v's thread between KVM_RUN calls: when a
 * pause is requested, complete pending I/O in KVM and sleep until resumed
 * or until the VM stops.
 */
void vm_vcpu_park(struct vcpu *v);

#endif
