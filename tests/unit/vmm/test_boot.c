// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: bzImage header parsing, memory layout, e820, zero page. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/boot/boot.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/layout.h"
#include "vmm/boot/le.h"

#define IMG_SIZE (64 * 1024)

/* A minimal 64-bit bzImage: 1 setup sector, protocol 2.15, 1 MiB load. */
static uint8_t *make_image(void)
{
	uint8_t *b = calloc(1, IMG_SIZE);

	b[BP_SETUP_SECTS] = 1;
	put_le16(b + BP_BOOT_FLAG, BOOT_FLAG_MAGIC);
	b[BP_JUMP] = 0xeb;
	b[BP_JUMP + 1] = 0x6a;
	put_le32(b + BP_HEADER, HDRS_MAGIC);
	put_le16(b + BP_VERSION, 0x020f);
	b[BP_LOADFLAGS] = LOADFLAG_LOADED_HIGH;
	put_le32(b + BP_INITRD_ADDR_MAX, 0x7fffffff);
	put_le32(b + BP_KERNEL_ALIGNMENT, 0x200000);
	b[BP_RELOCATABLE] = 1;
	put_le16(b + BP_XLOADFLAGS, XLF_KERNEL_64);
	put_le32(b + BP_CMDLINE_SIZE, 2047);
	put_le64(b + BP_PREF_ADDRESS, 0x1000000);
	put_le32(b + BP_INIT_SIZE, 0x200000);
	b[1024 + 0x200] = 0xf4; /* hlt at the 64-bit entry */
	return b;
}

static void test_parse_ok(void **state)
{
	uint8_t *b = make_image();
	struct bzimage_info bz;
	const char *why;

	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why), 0);
	assert_int_equal(bz.version, 0x020f);
	assert_int_equal(bz.setup_size, 1024);
	assert_int_equal(bz.kernel_offset, 1024);
	assert_int_equal(bz.kernel_size, IMG_SIZE - 1024);
	assert_int_equal(bz.pref_address, 0x1000000);
	assert_int_equal(bz.init_size, 0x200000);
	assert_int_equal(bz.cmdline_size, 2047);
	assert_int_equal(bz.hdr_end, 0x26c);
	assert_true(bz.relocatable);
	free(b);
}

static void test_parse_bad(void **state)
{
	uint8_t *b = make_image();
	struct bzimage_info bz;
	const char *why;

	assert_int_equal(bzimage_parse(b, 100, &bz, &why), -ENOEXEC);
	assert_non_null(strstr(why, "not a Linux bzImage"));

	put_le16(b + BP_VERSION, 0x0205);
	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(why, "older than 2.06"));
	put_le16(b + BP_VERSION, 0x020f);

	put_le16(b + BP_XLOADFLAGS, 0);
	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(why, "64-bit"));
	put_le16(b + BP_XLOADFLAGS, XLF_KERNEL_64);

	b[BP_SETUP_SECTS] = 200; /* setup larger than the file */
	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why), -EINVAL);
	b[BP_SETUP_SECTS] = 1;

	put_le64(b + BP_PREF_ADDRESS, 0x1000);
	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why), -EINVAL);
	put_le64(b + BP_PREF_ADDRESS, 0x1000000);

	put_le32(b + BP_KERNEL_ALIGNMENT, 0x300000);
	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why), -EINVAL);

	put_le16(b + BP_BOOT_FLAG, 0);
	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why), -ENOEXEC);
	free(b);
}

static void test_layout_small(void **state)
{
	uint8_t *b = make_image();
	struct bzimage_info bz;
	struct boot_layout lay;
	struct e820_entry e[8];
	const char *why;
	unsigned int n;

	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why), 0);
	assert_int_equal(layout_plan(512ULL << 20, &bz, 5 << 20, &lay, &why),
			 0);
	assert_int_equal(lay.low_size, 512ULL << 20);
	assert_int_equal(lay.high_size, 0);
	assert_int_equal(lay.kernel_addr, 0x1000000);
	/* initrd page aligned, at the top of RAM, after the kernel */
	assert_int_equal(lay.initrd_addr, (512ULL << 20) - (5 << 20));
	assert_int_equal(lay.initrd_addr % 4096, 0);

	n = layout_e820(&lay, e, 8);
	assert_int_equal(n, 4);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, EBDA_ADDR);
	assert_int_equal(e[0].type, E820_RAM);
	assert_int_equal(e[2].addr, ACPI_ADDR);
	assert_int_equal(e[2].type, E820_RESERVED);
	assert_int_equal(e[3].addr, 0x100000);
	assert_int_equal(e[3].size, (512ULL << 20) - 0x100000);
	free(b);
}

static void test_layout_high(void **state)
{
	uint8_t *b = make_image();
	struct bzimage_info bz;
	struct boot_layout lay;
	struct e820_entry e[8];
	uint64_t off;
	const char *why;
	unsigned int n;

	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why), 0);
	assert_int_equal(layout_plan(8ULL << 30, &bz, 0, &lay, &why), 0);
	assert_int_equal(lay.low_size, LOW_MEM_END);
	assert_int_equal(lay.high_size, (8ULL << 30) - LOW_MEM_END);
	assert_int_equal(lay.initrd_addr, 0);
	n = layout_e820(&lay, e, 8);
	assert_int_equal(n, 5);
	assert_int_equal(e[4].addr, HIGH_RAM_START);
	assert_int_equal(e[4].size, (8ULL << 30) - LOW_MEM_END);

	assert_int_equal(layout_gpa_to_offset(&lay, 0x1000, 8, &off), 0);
	assert_int_equal(off, 0x1000);
	assert_int_equal(layout_gpa_to_offset(&lay, HIGH_RAM_START, 8, &off),
			 0);
	assert_int_equal(off, LOW_MEM_END);
	/* the MMIO hole and past the end are not RAM */
	assert_int_equal(layout_gpa_to_offset(&lay, 0xfee00000, 4, &off),
			 -EFAULT);
	assert_int_equal(layout_gpa_to_offset(&lay, LOW_MEM_END - 4, 8, &off),
			 -EFAULT);
	assert_int_equal(layout_gpa_to_offset(&lay, HIGH_RAM_START +
						    lay.high_size, 1, &off),
			 -EFAULT);
	assert_int_equal(layout_gpa_to_offset(&lay, UINT64_MAX - 2, 8, &off),
			 -EFAULT);
	free(b);
}

static void test_layout_errors(void **state)
{
	uint8_t *b = make_image();
	struct bzimage_info bz;
	struct boot_layout lay;
	const char *why;

	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why), 0);
	assert_int_equal(layout_plan(8ULL << 20, &bz, 0, &lay, &why), -EINVAL);
	assert_non_null(strstr(why, "16 MiB"));
	/* kernel at 16 MiB + 2 MiB does not fit in 17 MiB */
	assert_int_equal(layout_plan(17ULL << 20, &bz, 0, &lay, &why),
			 -ENOMEM);
	assert_non_null(strstr(why, "kernel does not fit"));
	/* initrd larger than what is left above the kernel */
	assert_int_equal(layout_plan(32ULL << 20, &bz, 20 << 20, &lay, &why),
			 -ENOMEM);
	assert_non_null(strstr(why, "initrd does not fit"));
	/* initrd_addr_max caps the placement */
	put_le32(b + BP_INITRD_ADDR_MAX, 0x01ffffff);
	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why), 0);
	assert_int_equal(layout_plan(1ULL << 30, &bz, 4 << 20, &lay, &why), 0);
	assert_int_equal(lay.initrd_addr + lay.initrd_size, 0x02000000);
	free(b);
}

static void test_boot_write(void **state)
{
	uint8_t *b = make_image();
	uint8_t *ram = calloc(1, 64 << 20);
	struct bzimage_info bz;
	struct boot_layout lay;
	struct boot_params_in in;
	const char *why;
	uint8_t *zp = ram + ZERO_PAGE_ADDR;
	char longcmd[3000];

	assert_int_equal(bzimage_parse(b, IMG_SIZE, &bz, &why), 0);
	assert_int_equal(layout_plan(64 << 20, &bz, 1 << 20, &lay, &why), 0);
	in = (struct boot_params_in){ b, IMG_SIZE, &bz, "console=ttyS0 x",
				      0xe0000 };
	assert_int_equal(boot_write(ram, &lay, &in, &why), 0);

	assert_string_equal((char *)ram + CMDLINE_ADDR, "console=ttyS0 x");
	assert_int_equal(le32(zp + BP_CMD_LINE_PTR), CMDLINE_ADDR);
	assert_int_equal(le32(zp + BP_HEADER), HDRS_MAGIC);
	assert_int_equal(zp[BP_TYPE_OF_LOADER], 0xff);
	assert_true(zp[BP_LOADFLAGS] & LOADFLAG_LOADED_HIGH);
	assert_int_equal(le32(zp + BP_RAMDISK_IMAGE), lay.initrd_addr);
	assert_int_equal(le32(zp + BP_RAMDISK_SIZE), 1 << 20);
	assert_int_equal(le64(zp + BP_ACPI_RSDP_ADDR), 0xe0000);
	assert_int_equal(zp[BP_E820_ENTRIES], 4);
	assert_int_equal(le64(zp + BP_E820_TABLE + 3 * 20), 0x100000);
	/* kernel copied, entry byte in place */
	assert_int_equal(ram[boot_entry(&lay)], 0xf4);
	/* page tables: PML4 -> PDPT -> PD, 2 MiB identity pages */
	assert_int_equal(le64(ram + PML4_ADDR), PDPT_ADDR | 3);
	assert_int_equal(le64(ram + PDPT_ADDR + 24), (PD_ADDR + 3 * 4096) | 3);
	assert_int_equal(le64(ram + PD_ADDR + 8 * 2047),
			 (2047ULL << 21) | 0x83);
	/* GDT code descriptor is 64-bit */
	assert_int_equal(le64(ram + GDT_ADDR + BOOT_CS), 0x00af9b000000ffffULL);

	/* reset vector: mov al, 1; mov dx, 0x602; out dx, al */
	assert_int_equal(ram[RESET_VECTOR_ADDR], 0xb0);
	assert_int_equal(ram[RESET_VECTOR_ADDR + 1], 0x01);
	assert_int_equal(ram[RESET_VECTOR_ADDR + 2], 0xba);
	assert_int_equal(le16(ram + RESET_VECTOR_ADDR + 3), 0x602);
	assert_int_equal(ram[RESET_VECTOR_ADDR + 5], 0xee);

	memset(longcmd, 'x', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = 0;
	in.cmdline = longcmd;
	assert_int_equal(boot_write(ram, &lay, &in, &why), -E2BIG);
	free(ram);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_layout_small),
		cmocka_unit_test(test_layout_high),
		cmocka_unit_test(test_layout_errors),
		cmocka_unit_test(test_boot_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
