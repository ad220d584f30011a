/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VM control: pause/resume of the vCPUs (with kvmclock frozen across the
 * pause), the QMP command set of a running VM (--api-socket) and its
 * events. vm.c calls the control_* entry points at the points named below;
 * vcpu.c calls vm_vcpu_park() at the top of its run loop.
 */
#ifndef WIRT_VMM_CONTROL_H
#define WIRT_VMM_CONTROL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

struct vm;
struct vcpu;
struct json_object;

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

/*
 * control_init - with --api-socket: create the QMP server, listen and
 * start its thread (vm_init). Returns 0, or -errno after one error line.
 */
int control_init(struct vm *vm);

/*
 * control_vm_stopping - the vCPUs left for a stop that ends this KVM VM
 * (not a snapshot revert): cancel a running save (migrate, savevm) and
 * wait until it let go of the VM, before its vCPUs are destroyed.
 */
void control_vm_stopping(struct vm *vm);

/*
 * control_vm_stopped - the VM stopped for reason req (enum vm_request):
 * emit SHUTDOWN or RESET with QEMU's "guest" and "reason" fields. Main
 * thread, after the vCPUs are gone.
 */
void control_vm_stopped(struct vm *vm, int req);

/* control_event - broadcast event name (data consumed, may be NULL). */
void control_event(struct vm *vm, const char *name, struct json_object *data);

/* control_free - flush and close the control socket (vm_destroy). */
void control_free(struct vm *vm);

#endif
