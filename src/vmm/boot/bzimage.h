/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linux x86 boot protocol: the setup header of a bzImage and the zero page
 * (struct boot_params) a 64-bit boot loader hands to the kernel.
 * Offsets are those of Documentation/arch/x86/boot.rst, relative to the
 * start of the image file / of the zero page (they are the same for the
 * setup header, which sits at 0x1f1 in both).
 */
#ifndef WIRT_VMM_BZIMAGE_H
#define WIRT_VMM_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#define BP_SIZE 4096
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_E820_ENTRIES 0x1e8
#define BP_HDR 0x1f1
#define BP_SETUP_SECTS 0x1f1
#define BP_BOOT_FLAG 0x1fe
#define BP_JUMP 0x200
#define BP_HEADER 0x202
#define BP_VERSION 0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS 0x211
#define BP_CODE32_START 0x214
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_HEAP_END_PTR 0x224
#define BP_CMD_LINE_PTR 0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_KERNEL_ALIGNMENT 0x230
#define BP_RELOCATABLE 0x234
#define BP_XLOADFLAGS 0x236
#define BP_CMDLINE_SIZE 0x238
#define BP_PREF_ADDRESS 0x258
#define BP_INIT_SIZE 0x260
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128

#define LOADFLAG_LOADED_HIGH 0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

#define HDRS_MAGIC 0x53726448 /* "HdrS" */
#define BOOT_FLAG_MAGIC 0xaa55
#define BZ_MIN_VERSION 0x0206

/* What a loader needs to know about one bzImage. */
struct bzimage_info {
	uint16_t version; /* boot protocol version, e.g. 0x020f */
	size_t setup_size; /* bytes of real-mode code + header in the file */
	size_t kernel_offset; /* file offset of the protected-mode kernel */
	size_t kernel_size; /* its size in the file */
	uint64_t pref_address; /* where the kernel wants to be loaded */
	uint32_t init_size; /* memory it needs from its load address */
	uint32_t kernel_alignment;
	uint32_t initrd_addr_max; /* highest byte address the initrd may use */
	uint32_t cmdline_size; /* max command line length, without NUL */
	int relocatable;
	size_t hdr_end; /* end of the setup header in the file */
};

/*
 * bzimage_parse - check that buf holds a 64-bit bzImage we can boot and
 * describe it. Returns 0, or a negative errno with *why set to a static
 * sentence naming the problem: -ENOEXEC (not a bzImage), -EPROTONOSUPPORT
 * (boot protocol older than 2.06 or no 64-bit entry), -EINVAL (header
 * fields that contradict the file size).
 */
int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *info,
		  const char **why);

#endif
