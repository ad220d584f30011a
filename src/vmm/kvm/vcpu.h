/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vCPU threads: set-up for the 64-bit boot entry, the KVM_RUN loop. */
#ifndef WIRT_VMM_VCPU_H
#define WIRT_VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id; /* also the APIC id */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	int started;
	pid_t tid; /* the thread's id (query-cpus-fast), 0 before it runs */
};

/*
 * vcpu_create - create vCPU id in vm's KVM VM and set its CPUID, MSRs,
 * FPU and LAPIC; the boot vCPU (id 0) also gets the 64-bit entry state
 * (entry rip, zero page in rsi, identity page tables). Returns 0 or -errno.
 */
int vcpu_create(struct vcpu *v, struct vm *vm, unsigned int id,
		uint64_t entry);

/* vcpu_start - start the thread running KVM_RUN. Returns 0 or -errno. */
int vcpu_start(struct vcpu *v);

/* vcpu_kick - make KVM_RUN return on v (from any thread). */
void vcpu_kick(struct vcpu *v);

/* vcpu_join - wait for the vCPU thread to end (after a stop request). */
void vcpu_join(struct vcpu *v);

/* vcpu_release - join, then unmap and close the vCPU. */
void vcpu_release(struct vcpu *v);

/* vcpu_dump - print the registers of v on stderr. */
void vcpu_dump(struct vcpu *v);

/* The signal used to kick vCPU threads out of KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

#endif
