// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pause and resume: vCPU threads park between KVM_RUN calls while a pause
 * is requested; kvmclock is read at the pause and written back at the
 * resume, so the guest does not see the paused time pass.
 */
#include "vmm/vm-pause.h"

#include <errno.h>
#include <sys/ioctl.h>

#include "vmm/kvm/vcpu.h"
#include "vmm/vm.h"

void vm_pause_init(struct vm *vm)
{
	pthread_cond_init(&vm->pause.cond, NULL);
}

/* Number of vCPU threads started (lock held). */
static unsigned int started(struct vm *vm)
{
	unsigned int i, n = 0;

	for (i = 0; vm->vcpus && i < vm->ncpus; i++)
		n += !!vm->vcpus[i].started;
	return n;
}

static bool stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->request, __ATOMIC_ACQUIRE) != VM_RUNNING;
}

bool vm_pause(struct vm *vm)
{
	unsigned int i;

	pthread_mutex_lock(&vm->lock);
	if (vm->pause.req) {
		pthread_mutex_unlock(&vm->lock);
		return false;
	}
	vm->pause.req = true;
	for (i = 0; vm->vcpus && i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	while (!stopping(vm) && vm->pause.parked < started(vm))
		pthread_cond_wait(&vm->pause.cond, &vm->lock);
	vm->pause.clock_valid = false;
	if (vm->vm_fd >= 0 && !stopping(vm) &&
	    !ioctl(vm->vm_fd, KVM_GET_CLOCK, &vm->pause.clock))
		vm->pause.clock_valid = true;
	pthread_mutex_unlock(&vm->lock);
	return true;
}

bool vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->pause.req) {
		pthread_mutex_unlock(&vm->lock);
		return false;
	}
	if (vm->pause.clock_valid && vm->vm_fd >= 0) {
		struct kvm_clock_data c = { .clock = vm->pause.clock.clock };

		ioctl(vm->vm_fd, KVM_SET_CLOCK, &c);
	}
	vm->pause.clock_valid = false;
	vm->pause.req = false;
	pthread_cond_broadcast(&vm->pause.cond);
	pthread_mutex_unlock(&vm->lock);
	return true;
}

void vm_pause_hold_clock(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->pause.req && vm->vm_fd >= 0 &&
	    !ioctl(vm->vm_fd, KVM_GET_CLOCK, &vm->pause.clock))
		vm->pause.clock_valid = true;
	pthread_mutex_unlock(&vm->lock);
}

bool vm_paused(struct vm *vm)
{
	bool p;

	pthread_mutex_lock(&vm->lock);
	p = vm->pause.req;
	pthread_mutex_unlock(&vm->lock);
	return p;
}

void vm_vcpu_park(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (!__atomic_load_n(&vm->pause.req, __ATOMIC_ACQUIRE))
		return;
	/*
	 * An I/O or MMIO exit is only complete (registers consistent) after
	 * the next KVM_RUN: enter once with immediate_exit so KVM finishes
	 * it and returns at once.
	 */
	v->run->immediate_exit = 1;
	ioctl(v->fd, KVM_RUN, 0);
	v->run->immediate_exit = 0;
	pthread_mutex_lock(&vm->lock);
	if (vm->pause.req && !stopping(vm)) {
		vm->pause.parked++;
		pthread_cond_broadcast(&vm->pause.cond);
		while (vm->pause.req && !stopping(vm))
			pthread_cond_wait(&vm->pause.cond, &vm->lock);
		vm->pause.parked--;
	}
	pthread_mutex_unlock(&vm->lock);
}
