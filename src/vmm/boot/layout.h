/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest physical memory layout for a firmware-less x86 boot, and the
 * placement of kernel, initrd and boot structures in it.
 *
 *   0x00500  GDT                    0x07000  zero page (boot_params)
 *   0x09000  PML4, 0x0a000 PDPT, 0x0b000-0x0efff page directories (4 GiB)
 *   0x20000  command line           0x9fc00  EBDA (reserved)
 *   0xe0000  ACPI tables (RSDP first, reserved up to 1 MiB)
 *   0xffff0  reset vector stub: a jump to f000:fff0 resets the VM
 *   kernel at its preferred address, initrd at the top of low RAM
 *   RAM above LOW_MEM_END continues at 4 GiB; LOW_MEM_END..4 GiB is the
 *   MMIO hole (PCI, IOAPIC, LAPIC, GED).
 */
#ifndef WIRT_VMM_LAYOUT_H
#define WIRT_VMM_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/boot/bzimage.h"

#define GDT_ADDR 0x500ULL
#define ZERO_PAGE_ADDR 0x7000ULL
#define PML4_ADDR 0x9000ULL
#define PDPT_ADDR 0xa000ULL
#define PD_ADDR 0xb000ULL /* four pages, 0xb000..0xefff */
#define CMDLINE_ADDR 0x20000ULL
#define CMDLINE_MAX 0x10000ULL
#define EBDA_ADDR 0x9fc00ULL
#define ACPI_ADDR 0xe0000ULL
#define ACPI_SIZE 0x20000ULL
#define RESET_VECTOR_ADDR 0xffff0ULL /* real-mode reset stub (boot.c) */
#define HIGH_MEM_START 0x100000ULL
#define LOW_MEM_END 0xc0000000ULL /* 3 GiB */
#define HIGH_RAM_START 0x100000000ULL /* 4 GiB */
#define MIN_MEM_SIZE (16ULL << 20)

#define E820_RAM 1
#define E820_RESERVED 2

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct boot_layout {
	uint64_t mem_size; /* total guest RAM */
	uint64_t low_size; /* RAM below the MMIO hole: [0, low_size) */
	uint64_t high_size; /* RAM from 4 GiB: [4G, 4G + high_size) */
	uint64_t kernel_addr; /* where the protected-mode kernel goes */
	uint64_t initrd_addr; /* 0 when there is no initrd */
	uint64_t initrd_size;
};

/*
 * layout_plan - place the kernel and initrd in a guest of mem_size bytes.
 * Returns 0, or -ENOMEM / -EINVAL with *why set to a static sentence saying
 * what does not fit and what to do.
 */
int layout_plan(uint64_t mem_size, const struct bzimage_info *bz,
		uint64_t initrd_size, struct boot_layout *lay,
		const char **why);

/*
 * layout_e820 - fill the e820 map for lay into e (max entries).
 * Returns the number of entries written.
 */
unsigned int layout_e820(const struct boot_layout *lay, struct e820_entry *e,
			 unsigned int max);

/*
 * layout_gpa_to_offset - translate a guest physical range to an offset in
 * the host mapping (low RAM then high RAM, contiguous on the host side).
 * Returns 0 and stores the offset, or -EFAULT when [gpa, gpa+len) is not
 * entirely inside one RAM region.
 */
int layout_gpa_to_offset(const struct boot_layout *lay, uint64_t gpa,
			 uint64_t len, uint64_t *off);

#endif
