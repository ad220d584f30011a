/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-vCPU CPUID: topology and APIC ids on top of KVM's supported set. */
#ifndef WIRT_VMM_CPUID_H
#define WIRT_VMM_CPUID_H

#include <linux/kvm.h>

/*
 * cpuid_adjust - rewrite the entries KVM_GET_SUPPORTED_CPUID returned for
 * vCPU apic_id of ncpus (one socket, ncpus cores, one thread per core):
 * initial APIC ids (leaves 1, 0xb, 0x1f, 0x8000001e), core counts (leaves 1,
 * 4, 0x80000008), the hypervisor bit, and no features the VMM does not
 * emulate (TSC deadline stays, monitor/mwait go).
 */
void cpuid_adjust(struct kvm_cpuid_entry2 *e, unsigned int n,
		  unsigned int apic_id, unsigned int ncpus);

/* Bits needed to hold ncpus-1 (the APIC id width of the core level). */
unsigned int cpuid_core_bits(unsigned int ncpus);

#endif
