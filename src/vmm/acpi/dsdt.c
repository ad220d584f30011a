// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DSDT contents. In ASL terms it is:
 *
 *   Name (\_S5, Package (4) { ACPI_SLP_TYP_S5, 0, 0, 0 })
 *   Scope (\_SB) {
 *     Device (Cnnn) { _HID "ACPI0007", _UID n }      one per CPU, n in hex
 *     Device (PWRB) { _HID EISAID("PNP0C0C"), _UID 0 }
 *     Device (GED) {
 *       _HID "ACPI0013", _UID 0
 *       _CRS: Interrupt (Consumer, Edge, ActiveHigh, Exclusive) { GED IRQ }
 *       OperationRegion (EREG, SystemMemory, ACPI_GED_MMIO_BASE, 4)
 *       Field (EREG, DWordAcc, NoLock, WriteAsZeros) { GEVT, 32 }
 *       Method (_EVT, 1, Serialized) {
 *         Local0 = GEVT         (reading clears the pending events)
 *         If (Local0 & power button bit) { Notify (\_SB.PWRB, 0x80) }
 *       }
 *     }
 *     Device (COM1) { _HID EISAID("PNP0501"), _UID 1,
 *                     _CRS: IO 0x3f8 len 8, IRQNoFlags { 4 } }
 *     Device (MBRS) { _HID EISAID("PNP0C02"), _UID 0, _CRS: the ACPI
 *                     ports, the GED register, the ECAM area if any }
 *     Device (PCI0) {                                only with ECAM
 *       _HID EISAID("PNP0A08"), _CID EISAID("PNP0A03"), _SEG 0, _BBN 0,
 *       _UID 0, _CRS: bus 0..end, IO 0xcf8 len 8, IO and MMIO windows
 *       Method (_OSC, 4) {          grant the OS every control it asks for
 *         CreateDWordField (Arg3, 0, CDW1)
 *         If (!(Arg0 == ToUUID (PCI host bridge))) { CDW1 |= 4 }
 *         Return (Arg3)
 *       }
 *     }
 *   }
 */
#include "vmm/acpi/dsdt.h"

#include <stdio.h>

#define COM1_PORT 0x3f8
#define COM1_IRQ 4
#define PCI_CONFIG_PORT 0xcf8
#define GED_REG_LEN 4
#define ACPI_PORTS_LEN 3 /* sleep control, sleep status, reset */
#define RES_TEMPLATE_MAX 256 /* every template here is far smaller */
#define PCI_HOST_BRIDGE_OSC_UUID "33DB4D5B-1FF7-401C-9657-7441C03DD766"
#define OSC_UNRECOGNIZED_UUID 0x04 /* _OSC status bit in the first DWORD */

/* Name (_CRS, ResourceTemplate () { ... }) from a finished template r. */
static void name_crs(struct aml *a, struct aml *r)
{
	aml_res_end(r);
	if (r->err) {
		if (!a->err)
			a->err = r->err;
		return;
	}
	aml_name(a, "_CRS");
	aml_buffer(a, r->buf, r->len);
}

/* A memory range a device consumes, in 32- or 64-bit form. */
static void res_mem_range(struct aml *r, uint64_t base, uint64_t len)
{
	if (base + len - 1 <= UINT32_MAX)
		aml_res_mem32_fixed(r, base, len, true);
	else
		aml_res_qword_mem(r, base, base + len - 1, false);
}

static void cpu_devices(struct aml *a, unsigned int ncpus)
{
	char name[8];
	unsigned int i;
	size_t dev;

	for (i = 0; i < ncpus; i++) {
		snprintf(name, sizeof(name), "C%03X", i & 0xfff);
		dev = aml_device_begin(a, name);
		aml_name_str(a, "_HID", "ACPI0007");
		aml_name_int(a, "_UID", i);
		aml_pkg_end(a, dev);
	}
}

static void power_button(struct aml *a)
{
	size_t dev = aml_device_begin(a, "PWRB");

	aml_name_eisaid(a, "_HID", "PNP0C0C");
	aml_name_int(a, "_UID", 0);
	aml_pkg_end(a, dev);
}

/* Method (_EVT, 1, Serialized): see the comment at the top of the file. */
static void ged_evt(struct aml *a)
{
	size_t method, cond;

	method = aml_method_begin(a, "_EVT", 1, true);
	aml_byte(a, AML_STORE_OP);
	aml_name_string(a, "GEVT");
	aml_byte(a, AML_LOCAL0_OP);

	cond = aml_if_begin(a);
	aml_byte(a, AML_AND_OP);
	aml_byte(a, AML_LOCAL0_OP);
	aml_integer(a, ACPI_GED_EVT_POWER_BUTTON);
	aml_byte(a, 0x00); /* no target */
	aml_notify(a, "\\_SB.PWRB", 0x80);
	aml_pkg_end(a, cond);

	aml_pkg_end(a, method);
}

static void ged(struct aml *a)
{
	uint8_t tmpl[RES_TEMPLATE_MAX];
	struct aml r;
	size_t dev, field;

	dev = aml_device_begin(a, "GED");
	aml_name_str(a, "_HID", "ACPI0013");
	aml_name_int(a, "_UID", 0);
	/* only interrupts here: Linux's GED driver refuses anything else */
	aml_init(&r, tmpl, sizeof(tmpl));
	aml_res_interrupt(&r, ACPI_GED_IRQ, true, false);
	name_crs(a, &r);

	aml_opregion(a, "EREG", AML_SPACE_SYSTEM_MEMORY, ACPI_GED_MMIO_BASE,
		     GED_REG_LEN);
	field = aml_field_begin(a, "EREG",
				AML_FIELD_DWORD_ACC | AML_FIELD_WRITE_ZEROS);
	aml_field_entry(a, "GEVT", 32);
	aml_pkg_end(a, field);

	ged_evt(a);
	aml_pkg_end(a, dev);
}

static void com1(struct aml *a)
{
	uint8_t tmpl[RES_TEMPLATE_MAX];
	struct aml r;
	size_t dev;

	dev = aml_device_begin(a, "COM1");
	aml_name_eisaid(a, "_HID", "PNP0501");
	aml_name_int(a, "_UID", 1);
	aml_init(&r, tmpl, sizeof(tmpl));
	aml_res_io(&r, COM1_PORT, 8);
	aml_res_irq_noflags(&r, COM1_IRQ);
	name_crs(a, &r);
	aml_pkg_end(a, dev);
}

/* Motherboard resources: ranges the OS must not hand to other devices. */
static void motherboard(struct aml *a, const struct acpi_config *cfg)
{
	uint8_t tmpl[RES_TEMPLATE_MAX];
	struct aml r;
	size_t dev;

	dev = aml_device_begin(a, "MBRS");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	aml_name_int(a, "_UID", 0);
	aml_init(&r, tmpl, sizeof(tmpl));
	aml_res_io(&r, ACPI_SLEEP_CTL_PORT, ACPI_PORTS_LEN);
	aml_res_mem32_fixed(&r, ACPI_GED_MMIO_BASE, GED_REG_LEN, true);
	/* Linux uses MMCONFIG only when the area is reserved like this */
	if (cfg->pci_ecam_base)
		res_mem_range(&r, cfg->pci_ecam_base,
			      ((uint64_t)cfg->pci_bus_end + 1) << 20);
	name_crs(a, &r);
	aml_pkg_end(a, dev);
}

/* PCI0._OSC: see the comment at the top of the file. */
static void pci_osc(struct aml *a)
{
	size_t method, cond;

	method = aml_method_begin(a, "_OSC", 4, false);
	aml_byte(a, AML_CREATE_DWORD_FIELD_OP);
	aml_byte(a, AML_ARG0_OP + 3);
	aml_integer(a, 0);
	aml_name_string(a, "CDW1");

	cond = aml_if_begin(a);
	aml_byte(a, AML_LNOT_OP);
	aml_byte(a, AML_LEQUAL_OP);
	aml_byte(a, AML_ARG0_OP);
	aml_uuid(a, PCI_HOST_BRIDGE_OSC_UUID);
	aml_byte(a, AML_OR_OP);
	aml_name_string(a, "CDW1");
	aml_integer(a, OSC_UNRECOGNIZED_UUID);
	aml_name_string(a, "CDW1");
	aml_pkg_end(a, cond);

	aml_byte(a, AML_RETURN_OP);
	aml_byte(a, AML_ARG0_OP + 3);
	aml_pkg_end(a, method);
}

static void pci_root(struct aml *a, const struct acpi_config *cfg)
{
	uint8_t tmpl[RES_TEMPLATE_MAX];
	struct aml r;
	size_t dev;

	dev = aml_device_begin(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A08");
	aml_name_eisaid(a, "_CID", "PNP0A03");
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_BBN", 0);
	aml_name_int(a, "_UID", 0);
	aml_init(&r, tmpl, sizeof(tmpl));
	aml_res_word_bus(&r, 0, cfg->pci_bus_end);
	aml_res_io(&r, PCI_CONFIG_PORT, 8);
	aml_res_word_io(&r, ACPI_PCI_IO_WINDOW_START, ACPI_PCI_IO_WINDOW_END);
	aml_res_dword_mem(&r, cfg->pci_mmio32_base,
			  cfg->pci_mmio32_base + cfg->pci_mmio32_size - 1);
	if (cfg->pci_mmio64_size)
		aml_res_qword_mem(
			&r, cfg->pci_mmio64_base,
			cfg->pci_mmio64_base + cfg->pci_mmio64_size - 1, true);
	name_crs(a, &r);
	pci_osc(a);
	aml_pkg_end(a, dev);
}

int dsdt_aml(struct aml *a, const struct acpi_config *cfg)
{
	size_t pkg, sb;

	aml_name(a, "\\_S5");
	pkg = aml_package_begin(a, 4);
	aml_integer(a, ACPI_SLP_TYP_S5); /* PM1a_CNT.SLP_TYP */
	aml_integer(a, 0); /* PM1b_CNT.SLP_TYP */
	aml_integer(a, 0); /* reserved */
	aml_integer(a, 0); /* reserved */
	aml_pkg_end(a, pkg);

	sb = aml_scope_begin(a, "\\_SB");
	cpu_devices(a, cfg->ncpus);
	power_button(a);
	ged(a);
	com1(a);
	motherboard(a, cfg);
	if (cfg->pci_ecam_base)
		pci_root(a, cfg);
	aml_pkg_end(a, sb);
	return a->err;
}
