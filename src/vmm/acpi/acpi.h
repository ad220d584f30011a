/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACPI table builder: RSDP, XSDT, FADT (hardware-reduced, or with the fixed
 * PM1 registers and a FACS for firmware boot), DSDT (AML with \_S5, power
 * button, GED), MADT. Pure functions over a byte buffer that is
 * later copied into guest memory at gpa; no KVM knowledge.
 */
#ifndef WIRT_VMM_ACPI_H
#define WIRT_VMM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed platform I/O ports the tables describe and the VMM implements. */
#define ACPI_SLEEP_CTL_PORT 0x600 /* FADT SLEEP_CONTROL_REG, 8 bit */
#define ACPI_SLEEP_STS_PORT 0x601 /* FADT SLEEP_STATUS_REG, 8 bit */
#define ACPI_RESET_PORT 0x602 /* FADT RESET_REG, 8 bit */
#define ACPI_RESET_VALUE 0x01
#define ACPI_SLP_TYP_S5 5 /* SLP_TYP value in \_S5 */
#define ACPI_SLP_EN (1u << 5) /* sleep enable bit in SLEEP_CONTROL_REG */
/* PM1a event block (status, enable; 16 bits each) and control block */
#define ACPI_PM1_EVT_PORT 0x604
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_CNT_PORT 0x608
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM1_SCI_EN (1u << 0) /* PM1 control: ACPI mode, always set */
#define ACPI_PM1_SLP_TYP_SHIFT 10 /* PM1 control: SLP_TYP, 3 bits */
#define ACPI_PM1_SLP_EN (1u << 13) /* PM1 control: sleep enable */
#define ACPI_PM_TMR_PORT 0x60c /* PM timer, 32 bits */
#define ACPI_PM_TMR_LEN 4
#define ACPI_PM_TMR_HZ 3579545ULL
#define ACPI_SCI_IRQ 10 /* SCI with the fixed registers; nothing raises it */
#define ACPI_GED_IRQ 9 /* GSI of the generic event device (power button) */
#define ACPI_GED_MMIO_BASE 0xfed00000ULL /* GED event register, 4 bytes */
#define ACPI_GED_EVT_POWER_BUTTON (1u << 0)

#define ACPI_IOAPIC_ADDR 0xfec00000ULL
#define ACPI_LAPIC_ADDR 0xfee00000ULL

/* Defaults for the PCI root bridge's 32-bit MMIO window (zero size). */
#define ACPI_PCI_MMIO32_DEFAULT_BASE 0xc0000000ULL
#define ACPI_PCI_MMIO32_DEFAULT_SIZE 0x20000000ULL /* up to 0xdfffffff */
#define ACPI_PCI_IO_WINDOW_START 0x1000
#define ACPI_PCI_IO_WINDOW_END 0xffff

/*
 * Every field added after the first four means "default" when zero, so a
 * zero-initialised struct with ncpus and ioapic_id set is a valid config.
 */
struct acpi_config {
	unsigned int ncpus; /* APIC id of CPU i is i */
	unsigned int ioapic_id; /* usually ncpus; 0..255 */
	/* PCI (MCFG, \_SB.PCI0): zero pci_ecam_base means no PCI */
	uint64_t pci_ecam_base; /* 1 MiB aligned, covers buses 0..bus_end */
	uint8_t pci_bus_end;
	/* PCI0 32-bit MMIO window; size 0 selects the defaults above */
	uint64_t pci_mmio32_base;
	uint64_t pci_mmio32_size;
	/* PCI0 64-bit MMIO window; size 0 means none */
	uint64_t pci_mmio64_base;
	uint64_t pci_mmio64_size;
	/* true when the VMM emulates a CMOS RTC at ports 0x70/0x71 */
	bool cmos_rtc;
	/*
	 * true for a full (not hardware-reduced) ACPI platform: FADT with
	 * SCI, PM1a event/control blocks, PM timer and a FACS. Firmware boot needs it:
	 * Linux on a hardware-reduced platform never initialises (masks) the
	 * 8259 PIC, which the BIOS leaves with the timer unmasked at vector 8.
	 */
	bool fixed_hw;
};

/*
 * acpi_build - lay out all tables in buf (which the guest sees at gpa).
 * The RSDP is at the start of buf (gpa itself, 16-byte aligned), so placing
 * buf at 0xe0000 also lets the guest find it by scanning the BIOS area.
 * Returns the number of bytes used, or -ENOSPC when buf_size is too small,
 * -EINVAL for a bad config (ncpus 0 or above 255, ioapic_id above 255, an
 * unaligned ECAM base, a PCI window that wraps, leaves its address range or
 * overlaps the ECAM area). Never writes past buf + buf_size.
 */
long acpi_build(uint8_t *buf, size_t buf_size, uint64_t gpa,
		const struct acpi_config *cfg);

#endif
