/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table-loader script QEMU's firmware (SeaBIOS, OVMF) reads from
 * fw_cfg's etc/table-loader to place ACPI tables itself: allocate the
 * blobs in guest memory, add each blob's address to the pointers that
 * refer into it, then recompute checksums. Built from tables that
 * vmm/acpi laid out at address 0, so every pointer field holds an offset
 * into the tables blob: the RSDP at its start goes to a blob of its own
 * (etc/acpi/rsdp, in the BIOS area where Linux finds it on a BIOS boot;
 * OVMF publishes its own), the rest is etc/acpi/tables. The pointers are
 * found by walking the tables (RSDP, XSDT and its entries, the FADT's
 * DSDT and FACS fields), never from a list that could drift. No KVM and
 * no fw_cfg here: the caller publishes the three blobs.
 */
#ifndef WIRT_VMM_ACPI_LOADER_H
#define WIRT_VMM_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_LOADER_CMD_LEN 128
#define ACPI_LOADER_MAX_CMDS 64
#define ACPI_LOADER_RSDP_LEN 36
#define ACPI_LOADER_TABLES "etc/acpi/tables"
#define ACPI_LOADER_RSDP "etc/acpi/rsdp"

/* loader commands and allocation zones (QEMU's numbering) */
enum acpi_loader_cmd {
	ACPI_LOADER_ALLOCATE = 1,
	ACPI_LOADER_ADD_POINTER = 2,
	ACPI_LOADER_ADD_CHECKSUM = 3,
};
enum acpi_loader_zone {
	ACPI_LOADER_ZONE_HIGH = 1,
	ACPI_LOADER_ZONE_FSEG = 2,
};

struct acpi_loader {
	uint8_t cmd[ACPI_LOADER_MAX_CMDS][ACPI_LOADER_CMD_LEN];
	unsigned int n;
	uint8_t rsdp[ACPI_LOADER_RSDP_LEN];
};

/*
 * acpi_loader_build - the script for tables (len bytes, laid out at
 * address 0 by acpi_build, the RSDP first). Moves the RSDP into l->rsdp
 * (its slot in tables becomes zeros) and zeroes every checksum the
 * script recomputes. Returns 0, or -EINVAL when a pointer leads outside
 * the tables or a table overruns them, -ENOSPC past ACPI_LOADER_MAX_CMDS.
 */
int acpi_loader_build(struct acpi_loader *l, uint8_t *tables, size_t len);

#endif
