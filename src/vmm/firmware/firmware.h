/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Booting through firmware (--firmware): a BIOS image such as SeaBIOS,
 * mapped read-only below 4 GiB with its last 128 KiB copied into the
 * shadow RAM at 0xe0000-0xfffff, or a UEFI code image (OVMF) in flash
 * with its variable store (uefi.h), the vCPUs at the reset vector, and the
 * platform the firmware reads: fw_cfg (memory map, CPU count, ACPI tables
 * through the table loader, serial console), the CMOS RTC, and the PCI
 * host bridge SeaBIOS recognizes. Without --firmware none of this exists.
 */
#ifndef WIRT_VMM_FIRMWARE_H
#define WIRT_VMM_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

struct vm;

#define FIRMWARE_BIOS_PATH "/usr/share/seabios/bios-256k.bin"
#define FIRMWARE_MIN_SIZE (64u << 10)
#define FIRMWARE_MAX_SIZE (256u << 10)
#define FIRMWARE_SHADOW_ADDR 0xe0000ULL
#define FIRMWARE_SHADOW_SIZE 0x20000ULL
#define FIRMWARE_ROM_SLOT 2 /* KVM memory slot of the image */
#define FIRMWARE_MIN_RAM (64ULL << 20)

struct firmware;

/*
 * firmware_check_image - whether buf (len bytes, the whole file) looks
 * like a BIOS image: a size from 64 to 256 KiB in 4 KiB units and a jump
 * at the reset vector (16 bytes from the end, after optional NOPs).
 * Returns NULL when it does, or a static sentence saying what is wrong.
 */
const char *firmware_check_image(const uint8_t *buf, size_t len);

/*
 * firmware_prepare - read and check the --firmware image and plan guest
 * memory (no kernel). Before KVM. Returns 0 or -errno after printing one
 * line naming the file.
 */
int firmware_prepare(struct vm *vm);

/*
 * firmware_setup_early - before the other PCI devices: what must sit at
 * fixed slots (UEFI: the PCI window OVMF uses, the ISA bridge at
 * 00:01.0). Returns 0 or -errno after printing one line.
 */
int firmware_setup_early(struct vm *vm);

/*
 * firmware_setup - with guest RAM mapped: create fw_cfg, the RTC, the
 * firmware debug port and the PCI host bridge, and the hooks that reset
 * them. Returns 0 or -errno after printing one line.
 */
int firmware_setup(struct vm *vm);

/*
 * firmware_map - give the new KVM VM the image as read-only memory below
 * 4 GiB. Returns 0 or -errno (*what names the failed step).
 */
int firmware_map(struct vm *vm, const char **what);

/*
 * firmware_load - at each boot: copy the image's last 128 KiB into the
 * shadow RAM, build the ACPI tables at the top of low RAM and publish the
 * fw_cfg files. Returns 0 or -errno after printing one line.
 */
int firmware_load(struct vm *vm);

/* firmware_free - release the image and the devices (vm_destroy). */
void firmware_free(struct vm *vm);

#endif
