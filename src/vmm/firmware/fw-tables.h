/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the firmware reads through fw_cfg at each boot: RAM size, CPU
 * count, the e820 map (etc/e820), the ACPI tables (built by vmm/acpi;
 * etc/acpi/tables, etc/acpi/rsdp and the etc/table-loader script that
 * has the firmware place and link them, see acpi-loader.h), the serial
 * console port (etc/sercon-port), no boot menu, and the boot order
 * (bootorder: the virtio-blk disks in --disk order).
 */
#ifndef WIRT_VMM_FW_TABLES_H
#define WIRT_VMM_FW_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct fwcfg;

#define FW_ACPI_MAX 0x20000 /* room for the ACPI tables */
#define FW_E820_ENTRY_LEN 20

/*
 * fw_e820 - write vm's firmware memory map into buf (max entries of 20
 * bytes: address, length, type, little-endian). Returns the bytes used.
 */
size_t fw_e820(const struct vm *vm, uint8_t *buf, unsigned int max);

/*
 * fw_bootorder - write the OpenFirmware paths of the boot devices, one a
 * line and then HALT, into buf (len bytes, NUL-terminated). Returns the
 * length or -ENOSPC.
 */
int fw_bootorder(struct vm *vm, char *buf, size_t len);

/*
 * fw_tables_publish - set every fw_cfg item above, the ACPI tables only
 * with acpi (a restored guest's RAM has the firmware's copy). Returns 0
 * or -errno after printing one line.
 */
int fw_tables_publish(struct vm *vm, struct fwcfg *cfg, bool acpi);

#endif
