// SPDX-License-Identifier: GPL-2.0-or-later
/* The fw_cfg items of a firmware boot. See fw-tables.h. */
#include "vmm/firmware/fw-tables.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "vmm/acpi/acpi.h"
#include "vmm/boot/le.h"
#include "vmm/firmware/acpi-loader.h"
#include "vmm/firmware/fwcfg.h"
#include "vmm/pci/pci.h"
#include "vmm/vm-disks.h"
#include "vmm/vm.h"

#define E820_MAX 8
#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_BLK_DEVICE 0x1042 /* modern virtio-blk */
#define VIRTIO_SCSI_DEVICE 0x1048 /* modern virtio-scsi */
#define AHCI_VENDOR 0x8086 /* the SATA CD-ROM's controller (vmm/sata) */
#define AHCI_DEVICE 0x2922
#define SERIAL_PORT 0x3f8
#define MAX_BOOT 32

static unsigned int e820_put(uint8_t *buf, unsigned int n, unsigned int max,
			     uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t *p = buf + n * FW_E820_ENTRY_LEN;

	if (n >= max || !size)
		return n;
	put_le64(p, addr);
	put_le64(p + 8, size);
	put_le32(p + 16, type);
	return n + 1;
}

size_t fw_e820(const struct vm *vm, uint8_t *buf, unsigned int max)
{
	unsigned int n = 0;

	/*
	 * the firmware reserves the BIOS area below 1 MiB and the memory it
	 * places the ACPI tables in itself
	 */
	n = e820_put(buf, n, max, 0, vm->lay.low_size, E820_RAM);
	n = e820_put(buf, n, max, HIGH_RAM_START, vm->lay.high_size, E820_RAM);
	return n * FW_E820_ENTRY_LEN;
}

static int put_path(char *buf, size_t len, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Append the line fmt formats at off. Returns the new length or -ENOSPC. */
static int put_path(char *buf, size_t len, size_t off, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= len - off)
		return -ENOSPC;
	return off + w;
}

/*
 * Append the OpenFirmware paths of the disks in --disk order, named as
 * QEMU names them: a virtio-blk disk "scsi@SLOT/disk@0,0", a target of
 * the virtio-scsi adapter "scsi@SLOT/channel@0/disk@TARGET,0" (LUN 0).
 * OVMF translates those to UEFI device paths and drops the boot options
 * it cannot match; SeaBIOS matches any name. New length or -ENOSPC.
 */
static int put_disks(struct vm *vm, char *buf, size_t len, int off)
{
	unsigned int blk[MAX_BOOT], scsi, i, k = 0;
	unsigned int n = pci_find_slots(vm, VIRTIO_VENDOR, VIRTIO_BLK_DEVICE,
					blk, MAX_BOOT);
	bool has_scsi = pci_find_slots(vm, VIRTIO_VENDOR, VIRTIO_SCSI_DEVICE,
				       &scsi, 1) == 1;

	for (i = 0; off >= 0 && i < vm_disks_count(vm); i++) {
		const struct vm_disk *d = vm_disk_get(vm, i);

		if (d->scsi && has_scsi)
			off = put_path(
				buf, len, off,
				"/pci@i0cf8/scsi@%x/channel@0/disk@%x,0\n",
				scsi, d->target);
		else if (!d->scsi && k < n)
			off = put_path(buf, len, off,
				       "/pci@i0cf8/scsi@%x/disk@0,0\n",
				       blk[k++]);
	}
	return off;
}

/*
 * Append the OpenFirmware paths of the boot devices of one kind: the
 * disks (put_disks) or the AHCI CD-ROM on its port 0 (cdrom), named as
 * QEMU names it ("pci8086,2922"). Returns the new length or -ENOSPC.
 */
static int put_kind(struct vm *vm, bool cdrom, char *buf, size_t len,
		    size_t off)
{
	unsigned int slots[MAX_BOOT], i, n;
	int r = off;

	if (!cdrom)
		return put_disks(vm, buf, len, off);
	n = pci_find_slots(vm, AHCI_VENDOR, AHCI_DEVICE, slots, MAX_BOOT);
	for (i = 0; r >= 0 && i < n; i++)
		r = put_path(buf, len, r,
			     "/pci@i0cf8/pci8086,2922@%x/drive@0/disk@0\n",
			     slots[i]);
	return r;
}

int fw_bootorder(struct vm *vm, char *buf, size_t len)
{
	const char *p = vm->cfg->boot ? vm->cfg->boot : "disk,cdrom", *end;
	int off = 0, w;

	buf[0] = 0;
	for (; off >= 0 && *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ',');
		off = put_kind(vm, !strncmp(p, "cdrom", end - p), buf, len,
			       off);
	}
	if (off < 0)
		return off;
	/* nothing else: no default floppy or unlisted device is tried */
	w = snprintf(buf + off, len - off, "HALT\n");
	if (w < 0 || (size_t)w >= len - (size_t)off)
		return -ENOSPC;
	return off + w;
}

/*
 * Build the ACPI tables at address 0 and publish them as QEMU does:
 * etc/acpi/tables, etc/acpi/rsdp and the etc/table-loader script with
 * which the firmware places them in guest memory and links them (see
 * acpi-loader.h). 0 or -errno.
 */
static int publish_acpi(struct vm *vm, struct fwcfg *cfg)
{
	struct acpi_loader *l = NULL;
	uint8_t *t = calloc(1, FW_ACPI_MAX);
	long n = -ENOMEM;
	int r;

	if (t)
		n = acpi_build(t, FW_ACPI_MAX, 0, &vm->acpi);
	if (n >= 0) {
		l = malloc(sizeof(*l));
		n = l ? acpi_loader_build(l, t, n) ?: n : -ENOMEM;
	}
	r = n < 0 ? (int)n : 0;
	if (!r)
		r = fwcfg_add_file(cfg, ACPI_LOADER_TABLES, t, n);
	if (!r)
		r = fwcfg_add_file(cfg, ACPI_LOADER_RSDP, l->rsdp,
				   sizeof(l->rsdp));
	if (!r)
		r = fwcfg_add_file(cfg, "etc/table-loader", l->cmd,
				   l->n * ACPI_LOADER_CMD_LEN);
	free(l);
	free(t);
	return r;
}

/* The numbered items and the small files. 0 or -errno. */
static int publish_items(struct vm *vm, struct fwcfg *cfg)
{
	uint8_t e820[E820_MAX * FW_E820_ENTRY_LEN];
	uint8_t port[2] = { SERIAL_PORT & 0xff, SERIAL_PORT >> 8 };
	uint8_t no_menu = 0;
	char order[(VM_MAX_DISKS + 2) * 48];
	int r, len;

	r = fwcfg_add_u64(cfg, FW_CFG_RAM_SIZE, vm->lay.mem_size);
	if (!r)
		r = fwcfg_add_u16(cfg, FW_CFG_NB_CPUS, vm->ncpus);
	if (!r)
		r = fwcfg_add_u16(cfg, FW_CFG_MAX_CPUS, vm->ncpus);
	if (!r)
		r = fwcfg_add_file(cfg, "etc/e820", e820,
				   fw_e820(vm, e820, E820_MAX));
	if (!r)
		r = fwcfg_add_file(cfg, "etc/sercon-port", port, sizeof(port));
	if (!r)
		r = fwcfg_add_file(cfg, "etc/show-boot-menu", &no_menu, 1);
	if (r)
		return r;
	len = fw_bootorder(vm, order, sizeof(order));
	if (len < 0)
		return len;
	return fwcfg_add_file(cfg, "bootorder", order, len);
}

int fw_tables_publish(struct vm *vm, struct fwcfg *cfg, bool acpi)
{
	int r = publish_items(vm, cfg);

	if (!r && acpi)
		r = publish_acpi(vm, cfg);
	if (r)
		wirt_err("firmware tables: cannot build them: %s",
			 strerror(-r));
	return r;
}
