// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: PCI configuration space (ports 0xcf8-0xcff and ECAM),
 * BAR 0 of the virtio-pci transport (common config, ISR, device config,
 * notify area) and the MSI-X table and PBA, as a hostile guest's vCPU
 * reaches them: a fresh VM (no KVM) with virtio-rng, virtio-balloon and
 * virtio-console on bus 0, then a fuzz-chosen sequence of reads and writes
 * of any size (1 to 8 bytes) at any offset. BARs are found where the guest
 * last put them. The devices' evloops are held, so device work never
 * races the accesses and every run is reproducible; an operation can also
 * save every device and load the saved bytes back, as a migration does.
 *
 * Input: 16 bytes per access: kind, size, write flag, slot, u32 offset,
 * u64 value.
 */
#include <string.h>

#include "fuzz.h"
#include "fuzz-vm.h"
#include "vmm/pci/pci.h"

static struct state_writer w[VM_MAX_HOOKS];

/* Where BAR bar (0 or 1) of slot decodes now, from its config space. */
static uint64_t bar_addr(struct vm *vm, unsigned int slot, unsigned int bar)
{
	fz_io(&vm->pio, 0xcf8, 4, true,
	      0x80000000u | slot << 11 | (PCI_BAR0 + 4 * bar));
	return fz_io(&vm->pio, 0xcfc, 4, false, 0) & ~0xfULL;
}

/* Save every state hook, then load each back from its own bytes. */
static void save_load(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nstate_hooks; i++) {
		w[i].len = 0;
		vm->state_hooks[i].save(vm, vm->state_hooks[i].opaque, &w[i]);
	}
	for (i = 0; i < vm->nstate_hooks; i++)
		vm->state_hooks[i].load(vm, vm->state_hooks[i].opaque, w[i].buf,
					w[i].len);
}

/* One access of the input. */
static void one_access(struct vm *vm, const uint8_t *a)
{
	unsigned int kind = a[0] % 7, size = 1 + a[1] % 8,
		     slot = a[3] % FZ_PCI_SLOTS;
	bool wr = a[2] & 1;
	uint32_t off;
	uint64_t v, base;

	memcpy(&off, a + 4, 4);
	memcpy(&v, a + 8, 8);
	switch (kind) {
	case 0: /* mechanism #1: address, then data (1, 2 or 4 bytes) */
		size = 1 << (a[1] % 3);
		fz_io(&vm->pio, 0xcf8, 4, true,
		      0x80000000u | (off & 0xffff00fc));
		fz_io(&vm->pio, 0xcfc + (off & 3), size, wr, v);
		break;
	case 1: /* any port of 0xcf8-0xcff */
		fz_io(&vm->pio, 0xcf8 + off % 8, 1 << (a[1] % 3), wr, v);
		break;
	case 2:
		fz_io(&vm->mmio, PCI_ECAM_BASE + off % PCI_ECAM_SIZE, size, wr,
		      v);
		break;
	case 3:
	case 4:
		base = bar_addr(vm, slot, kind - 3);
		if (base)
			fz_io(&vm->mmio, base + off % 0x4000, size, wr, v);
		break;
	case 5: /* anywhere in the 32-bit window */
		fz_io(&vm->mmio,
		      ACPI_PCI_MMIO32_DEFAULT_BASE +
			      off % ACPI_PCI_MMIO32_DEFAULT_SIZE,
		      size, wr, v);
		break;
	case 6:
		save_load(vm);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmm_config cfg;
	struct fin in = { data, size };
	uint8_t a[16];
	struct vm vm;

	fz_pci_vm_init(&vm, &cfg, FZ_RAM_SIZE);
	while (in.n) {
		fin_bytes(&in, a, sizeof(a));
		one_access(&vm, a);
	}
	fz_pci_vm_destroy(&vm);
	return 0;
}
