// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest memory layout: RAM regions, e820 map, kernel and initrd placement. */
#include "vmm/boot/layout.h"

#include <errno.h>

#include "common/util.h"

int layout_plan(uint64_t mem_size, const struct bzimage_info *bz,
		uint64_t initrd_size, struct boot_layout *lay,
		const char **why)
{
	uint64_t kend, top, limit;

	*why = NULL;
	if (mem_size < MIN_MEM_SIZE) {
		*why = "guest memory below 16 MiB: give --memory 16M or more";
		return -EINVAL;
	}
	lay->mem_size = mem_size;
	lay->low_size = MIN(mem_size, LOW_MEM_END);
	lay->high_size = mem_size - lay->low_size;

	lay->kernel_addr = bz->pref_address;
	if (bz->relocatable && bz->kernel_alignment)
		lay->kernel_addr = ALIGN_UP(lay->kernel_addr,
					    (uint64_t)bz->kernel_alignment);
	kend = lay->kernel_addr + MAX((uint64_t)bz->init_size,
				      (uint64_t)bz->kernel_size);
	if (kend > lay->low_size) {
		*why = "the kernel does not fit in guest memory: raise --memory";
		return -ENOMEM;
	}

	lay->initrd_addr = 0;
	lay->initrd_size = initrd_size;
	if (!initrd_size)
		return 0;
	limit = MIN((uint64_t)bz->initrd_addr_max + 1, lay->low_size);
	if (initrd_size > limit) {
		*why = "the initrd does not fit below the kernel's initrd limit: raise --memory or use a smaller initrd";
		return -ENOMEM;
	}
	top = ALIGN_DOWN(limit - initrd_size, 4096ULL);
	if (top < ALIGN_UP(kend, 4096ULL)) {
		*why = "the initrd does not fit in guest memory above the kernel: raise --memory or use a smaller initrd";
		return -ENOMEM;
	}
	lay->initrd_addr = top;
	return 0;
}

static unsigned int add(struct e820_entry *e, unsigned int n,
			unsigned int max, uint64_t addr, uint64_t size,
			uint32_t type)
{
	if (n >= max || !size)
		return n;
	e[n].addr = addr;
	e[n].size = size;
	e[n].type = type;
	return n + 1;
}

unsigned int layout_e820(const struct boot_layout *lay, struct e820_entry *e,
			 unsigned int max)
{
	unsigned int n = 0;

	n = add(e, n, max, 0, EBDA_ADDR, E820_RAM);
	n = add(e, n, max, EBDA_ADDR, 0xa0000 - EBDA_ADDR, E820_RESERVED);
	n = add(e, n, max, ACPI_ADDR, HIGH_MEM_START - ACPI_ADDR,
		E820_RESERVED);
	n = add(e, n, max, HIGH_MEM_START, lay->low_size - HIGH_MEM_START,
		E820_RAM);
	n = add(e, n, max, HIGH_RAM_START, lay->high_size, E820_RAM);
	return n;
}

int layout_gpa_to_offset(const struct boot_layout *lay, uint64_t gpa,
			 uint64_t len, uint64_t *off)
{
	if (gpa + len < gpa)
		return -EFAULT;
	if (gpa + len <= lay->low_size) {
		*off = gpa;
		return 0;
	}
	if (gpa >= HIGH_RAM_START &&
	    gpa + len <= HIGH_RAM_START + lay->high_size) {
		*off = lay->low_size + (gpa - HIGH_RAM_START);
		return 0;
	}
	return -EFAULT;
}
