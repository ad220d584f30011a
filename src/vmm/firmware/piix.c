// SPDX-License-Identifier: GPL-2.0-or-later
/* The PIIX3/PIIX4 pieces OVMF's i440FX path needs: see piix.h. */
#include "vmm/firmware/piix.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "vmm/acpi/acpi.h"
#include "vmm/vm.h"

#define PIIX_PM_SLOT 1
#define PIIX_PM_FN 3
#define PIIX4_PMBA 0x40
#define PIIX4_PMBA_RTE 0x01 /* resource type: I/O */
#define PIIX4_PMREGMISC 0x80
#define PIIX4_PMIOSE 0x01 /* PM I/O space enabled */
#define PIIX3_PIRQ_ROUTE 0x60 /* PIRQA-D routing, 4 bytes */
/*
 * OVMF's EFI ResetSystem(shutdown) on the i440FX writes SLP_TYP 0 |
 * SLP_EN to the PM1 control register of a PIIX4 at its usual PMBA 0xb000,
 * whatever PMBA says: that register is here too (S5 is SLP_TYP 0 there).
 */
#define OVMF_PIIX4_PM1_CNT 0xb004

/*
 * The PCI window where OVMF's i440FX path places BARs, from the bottom
 * up: from 2 GiB, or 3 GiB when its RAM below 4 GiB (the e820 RAM
 * entry, at most 3 GiB) goes past 2 GiB; it ends at the ECAM area here.
 */
static void set_window(struct vm *vm)
{
	uint64_t base =
		vm->lay.low_size > (2ULL << 30) ? 3ULL << 30 : 2ULL << 30;

	vm->pci_win_base = base;
	vm->pci_win_size = PCI_ECAM_BASE - base;
}

int piix_setup_early(struct vm *vm, struct piix *p)
{
	struct pci_dev *isa = &p->isa;
	int r;

	set_window(vm);
	/* PIIX3's ISA bridge: OVMF finds COM1 behind an ISA bridge */
	isa->name = "isa-bridge";
	isa->vendor = 0x8086;
	isa->device = 0x7000;
	isa->subsys_vendor = 0x1af4;
	isa->subsys = 0x1100;
	isa->class_code = 0x060100;
	r = pci_add_dev(vm, isa);
	if (r) {
		wirt_err("UEFI platform: adding the ISA bridge failed: %s",
			 strerror(-r));
		return r;
	}
	/* PIRQ routing registers: storage, interrupts go through MSI-X */
	memset(isa->wmask + PIIX3_PIRQ_ROUTE, 0xff, 4);
	return 0;
}

/* The PIIX4 PM function: PMBA at the FADT's PM1 event block, enabled. */
static int add_pm(struct vm *vm, struct piix *p)
{
	struct pci_dev *pm = &p->pm;
	uint32_t pmba = ACPI_PM1_EVT_PORT | PIIX4_PMBA_RTE;
	int r;

	pm->name = "piix4-pm";
	pm->vendor = 0x8086;
	pm->device = 0x7113;
	pm->revision = 3;
	pm->class_code = 0x068000;
	r = pci_add_fixed_fn(vm, pm, PIIX_PM_SLOT, PIIX_PM_FN);
	if (r)
		return r;
	/*
	 * OVMF reads PMBA (PM timer at PMBA + 8, PM1 control at + 4, as
	 * ACPI_PM_TMR_PORT and ACPI_PM1_CNT_PORT are) and leaves it alone
	 * as PMIOSE says it is set up
	 */
	pm->cfg[PCI_COMMAND] = PCI_COMMAND_IO;
	pm->cfg[PIIX4_PMBA] = pmba & 0xff;
	pm->cfg[PIIX4_PMBA + 1] = pmba >> 8;
	pm->cfg[PIIX4_PMREGMISC] = PIIX4_PMIOSE;
	memcpy(pm->cfg0, pm->cfg, sizeof(pm->cfg));
	return 0;
}

/* OVMF's shutdown register (see OVMF_PIIX4_PM1_CNT): reads 0. */
static void ovmf_shutdown_io(void *opaque, uint64_t off, uint8_t *data,
			     unsigned int size, bool wr)
{
	struct vm *vm = opaque;
	uint16_t v = size >= 2 ? data[0] | data[1] << 8 : data[0];

	if (!wr) {
		memset(data, 0, size);
		return;
	}
	/* a byte write to the high half carries SLP_EN as bit 5 */
	if (off == 1)
		v <<= 8;
	if ((v & ACPI_PM1_SLP_EN) && !(v >> ACPI_PM1_SLP_TYP_SHIFT & 7))
		vm_request_stop(vm, VM_POWEROFF);
}

int piix_setup(struct vm *vm, struct piix *p)
{
	int r;

	_Static_assert(ACPI_PM1_CNT_PORT == ACPI_PM1_EVT_PORT + 4 &&
			       ACPI_PM_TMR_PORT == ACPI_PM1_EVT_PORT + 8,
		       "OVMF finds the PM registers at PMBA + 4 and + 8");
	r = add_pm(vm, p);
	if (!r)
		r = bus_register(&vm->pio, OVMF_PIIX4_PM1_CNT, 2,
				 ovmf_shutdown_io, vm, "ovmf-shutdown");
	return r;
}
