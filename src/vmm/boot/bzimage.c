// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing and validation of a bzImage's setup header (Linux boot protocol). */
#include "vmm/boot/bzimage.h"
#include "vmm/boot/le.h"

#include <errno.h>

int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *info,
		  const char **why)
{
	unsigned int sects;
	uint8_t xloadflags;

	*why = NULL;
	if (len < 0x250 || le32(buf + BP_HEADER) != HDRS_MAGIC ||
	    le16(buf + BP_BOOT_FLAG) != BOOT_FLAG_MAGIC) {
		*why = "not a Linux bzImage (no \"HdrS\" boot header)";
		return -ENOEXEC;
	}
	info->version = le16(buf + BP_VERSION);
	if (info->version < BZ_MIN_VERSION) {
		*why = "boot protocol older than 2.06 (kernel too old, need 2.6.22 or later)";
		return -EPROTONOSUPPORT;
	}
	if (!(buf[BP_LOADFLAGS] & LOADFLAG_LOADED_HIGH)) {
		*why = "zImage loaded low is not supported (not a bzImage)";
		return -ENOEXEC;
	}
	xloadflags = info->version >= 0x020c ? buf[BP_XLOADFLAGS] : 0;
	if (info->version >= 0x020c && !(xloadflags & XLF_KERNEL_64)) {
		*why = "kernel has no 64-bit entry point (32-bit kernel?)";
		return -EPROTONOSUPPORT;
	}
	sects = buf[BP_SETUP_SECTS] ? buf[BP_SETUP_SECTS] : 4;
	info->setup_size = (size_t)(sects + 1) * 512;
	info->hdr_end = 0x202 + buf[BP_JUMP + 1];
	if (info->hdr_end > 0x2d0 || info->hdr_end > len)
		info->hdr_end = len < 0x2d0 ? len : 0x2d0;
	if (info->setup_size >= len) {
		*why = "bzImage is truncated (setup larger than the file)";
		return -EINVAL;
	}
	info->kernel_offset = info->setup_size;
	info->kernel_size = len - info->setup_size;
	info->relocatable = info->version >= 0x0205 && buf[BP_RELOCATABLE];
	info->kernel_alignment = le32(buf + BP_KERNEL_ALIGNMENT);
	info->initrd_addr_max = info->version >= 0x0203 ?
					le32(buf + BP_INITRD_ADDR_MAX) :
					0x37ffffff;
	info->cmdline_size = info->version >= 0x0206 ?
				     le32(buf + BP_CMDLINE_SIZE) :
				     255;
	info->pref_address = 0x100000;
	info->init_size = 0;
	if (info->version >= 0x020a) {
		info->pref_address = le64(buf + BP_PREF_ADDRESS);
		info->init_size = le32(buf + BP_INIT_SIZE);
	}
	/* Old kernels do not say how much they need: assume 3x the image. */
	if (info->init_size < info->kernel_size)
		info->init_size = info->kernel_size * 3 > UINT32_MAX ?
					  UINT32_MAX :
					  info->kernel_size * 3;
	if (info->pref_address < 0x100000 ||
	    info->pref_address > 0xffffffffULL) {
		*why = "bzImage asks for a load address outside 1 MiB..4 GiB";
		return -EINVAL;
	}
	if (info->relocatable &&
	    (info->kernel_alignment == 0 ||
	     (info->kernel_alignment & (info->kernel_alignment - 1)))) {
		*why = "bzImage kernel_alignment is not a power of two";
		return -EINVAL;
	}
	return 0;
}
