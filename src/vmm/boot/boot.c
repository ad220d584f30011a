// SPDX-License-Identifier: GPL-2.0-or-later
/* Boot structures for the Linux 64-bit boot protocol, written into RAM. */
#include "vmm/boot/boot.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "vmm/acpi/acpi.h"
#include "vmm/boot/le.h"

/* Flat 64-bit code and 4 GiB data descriptors at BOOT_CS and BOOT_DS. */
static void write_gdt(uint8_t *ram)
{
	static const uint64_t gdt[] = {
		0,
		0,
		0x00af9b000000ffffULL, /* 0x10: code, L=1, present, DPL 0 */
		0x00cf93000000ffffULL, /* 0x18: data, 4 GiB, writable */
		0x00808b0000000067ULL, /* 0x20: 64-bit TSS, busy (unused) */
		0,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gdt); i++)
		put_le64(ram + GDT_ADDR + i * 8, gdt[i]);
}

/* Identity map the first 4 GiB with 2 MiB pages. */
static void write_page_tables(uint8_t *ram)
{
	unsigned int i;

	memset(ram + PML4_ADDR, 0, 4096 * 6);
	put_le64(ram + PML4_ADDR, PDPT_ADDR | 0x3);
	for (i = 0; i < 4; i++)
		put_le64(ram + PDPT_ADDR + i * 8, (PD_ADDR + i * 4096) | 0x3);
	for (i = 0; i < 4 * 512; i++)
		put_le64(ram + PD_ADDR + i * 8, ((uint64_t)i << 21) | 0x83);
}

static void write_zero_page(uint8_t *ram, const struct boot_layout *lay,
			    const struct boot_params_in *in)
{
	uint8_t *zp = ram + ZERO_PAGE_ADDR;
	struct e820_entry e820[BP_E820_MAX];
	unsigned int i, n;

	memset(zp, 0, BP_SIZE);
	memcpy(zp + BP_HDR, in->image + BP_HDR, in->bz->hdr_end - BP_HDR);
	zp[BP_TYPE_OF_LOADER] = 0xff;
	zp[BP_LOADFLAGS] |= LOADFLAG_LOADED_HIGH | LOADFLAG_CAN_USE_HEAP;
	put_le16(zp + BP_HEAP_END_PTR, 0xfe00);
	put_le32(zp + BP_CODE32_START, lay->kernel_addr);
	put_le32(zp + BP_CMD_LINE_PTR, CMDLINE_ADDR);
	put_le32(zp + BP_RAMDISK_IMAGE, lay->initrd_addr);
	put_le32(zp + BP_RAMDISK_SIZE, lay->initrd_size);
	if (in->rsdp_addr)
		put_le64(zp + BP_ACPI_RSDP_ADDR, in->rsdp_addr);

	n = layout_e820(lay, e820, BP_E820_MAX);
	zp[BP_E820_ENTRIES] = n;
	for (i = 0; i < n; i++) {
		uint8_t *p = zp + BP_E820_TABLE + i * 20;

		put_le64(p, e820[i].addr);
		put_le64(p + 8, e820[i].size);
		put_le32(p + 16, e820[i].type);
	}
}

/*
 * The real-mode reset vector (f000:fff0). There is no BIOS, but Linux on a
 * hardware-reduced ACPI machine without EFI restarts by jumping there
 * ("BOOT_BIOS"), as it would on a PC: so the "firmware" found there asks
 * for a reset through the ACPI reset register, as a real one would reset.
 */
static void write_reset_vector(uint8_t *ram)
{
	const uint8_t stub[] = {
		0xb0, ACPI_RESET_VALUE, /* mov al, value */
		0xba, ACPI_RESET_PORT & 0xff, ACPI_RESET_PORT >> 8, /* mov dx */
		0xee, /* out dx, al */
		0xfa, /* cli */
		0xf4, /* hlt */
		0xeb, 0xfc, /* jmp to cli */
	};

	memcpy(ram + RESET_VECTOR_ADDR, stub, sizeof(stub));
}

int boot_write(uint8_t *ram, const struct boot_layout *lay,
	       const struct boot_params_in *in, const char **why)
{
	size_t clen = strlen(in->cmdline);

	*why = NULL;
	if (clen > in->bz->cmdline_size || clen >= CMDLINE_MAX) {
		*why = "kernel command line longer than the kernel accepts (see its cmdline_size)";
		return -E2BIG;
	}
	memcpy(ram + lay->kernel_addr, in->image + in->bz->kernel_offset,
	       in->bz->kernel_size);
	memcpy(ram + CMDLINE_ADDR, in->cmdline, clen + 1);
	write_zero_page(ram, lay, in);
	write_page_tables(ram);
	write_gdt(ram);
	write_reset_vector(ram);
	return 0;
}
