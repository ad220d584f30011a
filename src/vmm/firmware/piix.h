/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What OVMF's i440FX path needs of the platform beyond the host bridge
 * (UEFI firmware only): a PIIX3 ISA bridge (8086:7000, OVMF's serial
 * console is COM1 behind an ISA bridge), the config space of the PIIX4
 * power management function at 00:01.3 with PMBA already enabled at the
 * FADT's PM1 block (OVMF's timer is the ACPI PM timer at PMBA + 8), the
 * PM1 control register OVMF's EFI shutdown writes at 0xb004, and the
 * PCI window OVMF allocates BARs in.
 */
#ifndef WIRT_VMM_PIIX_H
#define WIRT_VMM_PIIX_H

#include "vmm/pci/pci.h"

struct vm;

struct piix {
	struct pci_dev isa, pm;
};

/*
 * piix_setup_early - before the other PCI devices: the PCI window OVMF
 * uses (vm->pci_win_*) and the ISA bridge, which so becomes 00:01.0.
 * Returns 0 or -errno after printing one line.
 */
int piix_setup_early(struct vm *vm, struct piix *p);

/*
 * piix_setup - the PM function at 00:01.3 and OVMF's shutdown register.
 * Returns 0 or -errno.
 */
int piix_setup(struct vm *vm, struct piix *p);

#endif
