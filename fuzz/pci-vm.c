// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fake VM with virtio-rng, virtio-balloon and virtio-console on PCI bus
 * 0 (slots 1 to 3) through the real virtio-pci transport, for the PCI and
 * state-file fuzz targets. The devices' evloops are held while the VM
 * lives, so device work never races the fuzzer's thread and every run is
 * reproducible.
 */
#include "fuzz.h"
#include "vmm/pci/pci-int.h"
#include "vmm/virtio/balloon.h"
#include "vmm/virtio/rng.h"
#include "vmm/virtio/vconsole.h"
#include "vmm/virtio/virtio-pci-int.h"

/* The virtio console's output goes nowhere. */
void console_write(struct console *c, const uint8_t *buf, size_t len)
{
}

/* Hold (or release) every device's evloop. */
static void hold_loops(struct vm *vm, bool hold)
{
	unsigned int s;

	for (s = 1; s < FZ_PCI_SLOTS; s++) {
		struct pci_dev *pd = vm->pci->dev[s];
		struct vpci *t = pd ? pd->opaque : NULL;

		if (!t)
			continue;
		if (hold)
			evloop_hold(t->vdev.loop);
		else
			evloop_release(t->vdev.loop);
	}
}

void fz_pci_vm_init(struct vm *vm, struct vmm_config *cfg, uint64_t ram_size)
{
	fz_vm_init(vm, cfg, ram_size);
	if (virtio_rng_create(vm, "") || virtio_balloon_create(vm, "") ||
	    virtio_console_create(vm, ""))
		__builtin_trap();
	hold_loops(vm, true);
}

void fz_pci_vm_destroy(struct vm *vm)
{
	hold_loops(vm, false);
	fz_vm_destroy(vm);
}
