// SPDX-License-Identifier: GPL-2.0-or-later
/* CPUID topology for wirt-vmm's vCPUs. */
#include "vmm/kvm/cpuid.h"

#include <stdbool.h>

#define CPUID1_ECX_MONITOR (1u << 3)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID1_EDX_HTT (1u << 28)
#define CPUID80000001_ECX_CMPLEGACY (1u << 1)

unsigned int cpuid_core_bits(unsigned int ncpus)
{
	unsigned int bits = 0;

	while ((1u << bits) < ncpus)
		bits++;
	return bits;
}

static bool is_amd(const struct kvm_cpuid_entry2 *e, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (e[i].function == 0)
			return e[i].ebx == 0x68747541; /* "Auth"enticAMD */
	return false;
}

/* Leaves 0xb and 0x1f: level 0 is SMT (1 thread), level 1 is core. */
static void topology_leaf(struct kvm_cpuid_entry2 *e, unsigned int apic_id,
			  unsigned int ncpus)
{
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (1u << 8) | 0;
		break;
	case 1:
		e->eax = cpuid_core_bits(ncpus);
		e->ebx = ncpus;
		e->ecx = (2u << 8) | 1;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index;
		break;
	}
	e->edx = apic_id;
}

void cpuid_adjust(struct kvm_cpuid_entry2 *e, unsigned int n,
		  unsigned int apic_id, unsigned int ncpus)
{
	unsigned int i, bits = cpuid_core_bits(ncpus);
	bool amd = is_amd(e, n);

	for (i = 0; i < n; i++) {
		switch (e[i].function) {
		case 1:
			e[i].ebx &= 0x0000ffff;
			e[i].ebx |= apic_id << 24;
			e[i].ebx |= (1u << bits) << 16;
			if (ncpus > 1)
				e[i].edx |= CPUID1_EDX_HTT;
			else
				e[i].edx &= ~CPUID1_EDX_HTT;
			e[i].ecx |= CPUID1_ECX_HYPERVISOR;
			e[i].ecx &= ~CPUID1_ECX_MONITOR;
			break;
		case 4:
			/* cores per package - 1; threads sharing cache left */
			e[i].eax &= 0x03ffffff;
			e[i].eax |= ((1u << bits) - 1) << 26;
			break;
		case 0xb:
		case 0x1f:
			topology_leaf(&e[i], apic_id, ncpus);
			break;
		case 0x80000001:
			if (amd && ncpus > 1)
				e[i].ecx |= CPUID80000001_ECX_CMPLEGACY;
			break;
		case 0x80000008:
			if (amd) {
				e[i].ecx &= ~0xf0ffu;
				e[i].ecx |= (bits << 12) | (ncpus - 1);
			}
			break;
		case 0x8000001e:
			e[i].eax = apic_id;
			e[i].ebx = apic_id & 0xff; /* one thread per core */
			e[i].ecx = 0;
			break;
		default:
			break;
		}
	}
}
