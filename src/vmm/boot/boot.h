/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writing the boot structures into guest RAM: kernel image, command line,
 * zero page with e820 map, identity page tables and GDT for the 64-bit
 * entry point. Pure memory operations on the host mapping of guest RAM.
 */
#ifndef WIRT_VMM_BOOT_H
#define WIRT_VMM_BOOT_H

#include <stdint.h>

#include "vmm/boot/bzimage.h"
#include "vmm/boot/layout.h"

/* Selectors of the boot GDT (the protocol wants __BOOT_CS/__BOOT_DS). */
#define BOOT_CS 0x10
#define BOOT_DS 0x18

struct boot_params_in {
	const uint8_t *image; /* whole bzImage file */
	size_t image_len;
	const struct bzimage_info *bz;
	const char *cmdline;
	uint64_t rsdp_addr; /* 0 when there are no ACPI tables */
};

/*
 * boot_write - copy the kernel, write cmdline, zero page, page tables and
 * GDT into ram (host mapping of guest RAM laid out as lay says; the initrd
 * is already at lay->initrd_addr). Returns 0, or -E2BIG with *why set when
 * the command line is longer than the kernel accepts.
 */
int boot_write(uint8_t *ram, const struct boot_layout *lay,
	       const struct boot_params_in *in, const char **why);

/* The 64-bit entry point: protected-mode kernel start + 0x200. */
static inline uint64_t boot_entry(const struct boot_layout *lay)
{
	return lay->kernel_addr + 0x200;
}

#endif
