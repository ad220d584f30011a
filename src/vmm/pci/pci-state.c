// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Save and restore of PCI bus 0: the config space of every function
 * (command register, BARs, capability registers such as MSI-X control)
 * and each function's MSI-X table and pending bits.
 *
 * Layout: struct pci_state_hdr, then per function struct pci_state_fn
 * followed by nvec * 16 table bytes and the PBA words.
 */
#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "vmm/pci/pci-int.h"
#include "vmm/state/state.h"
#include "vmm/vm.h"

#define PCI_STATE_VERSION 1
#define PBA_WORDS (PCI_MSIX_MAX_VECTORS / 64)

struct pci_state_hdr {
	uint32_t version;
	uint32_t nfn;
	uint32_t cf8;
	uint32_t reserved;
};

struct pci_state_fn {
	uint32_t slot;
	uint16_t vendor, device;
	uint32_t nvec; /* MSI-X vectors, 0 without MSI-X */
	uint32_t reserved;
	uint8_t cfg[PCI_CFG_SIZE];
};

static unsigned int count_fns(const struct pci_bus *bus)
{
	unsigned int s, n = 0;

	for (s = 0; s < PCI_MAX_SLOTS; s++)
		n += bus->dev[s] != NULL;
	return n;
}

static int bus_save(struct vm *vm, void *opaque, struct state_writer *w)
{
	struct pci_bus *bus = opaque;
	struct pci_state_hdr h = { PCI_STATE_VERSION, count_fns(bus), 0, 0 };
	uint8_t table[PCI_MSIX_MAX_VECTORS * 16];
	uint64_t pba[PBA_WORDS];
	unsigned int s;
	int r;

	pthread_mutex_lock(&bus->lock);
	h.cf8 = bus->cf8;
	r = state_put(w, &h, sizeof(h));
	for (s = 0; !r && s < PCI_MAX_SLOTS; s++) {
		struct pci_dev *d = bus->dev[s];
		struct pci_state_fn f = { .slot = s };

		if (!d)
			continue;
		f.vendor = d->vendor;
		f.device = d->device;
		f.nvec = d->msix ? msix_nvec(d->msix) : 0;
		memcpy(f.cfg, d->cfg, sizeof(f.cfg));
		r = state_put(w, &f, sizeof(f));
		if (r || !d->msix)
			continue;
		msix_get_state(d->msix, table, pba);
		r = state_put(w, table, f.nvec * 16);
		r = r ?: state_put(w, pba, sizeof(pba));
	}
	pthread_mutex_unlock(&bus->lock);
	return r;
}

/*
 * Check the saved functions against this bus: same slots, same identity,
 * same vector counts, and the exact length. Returns 0 or -EINVAL.
 */
static int check_layout(struct pci_bus *bus, const uint8_t *p, size_t len)
{
	struct pci_state_hdr h;
	struct pci_state_fn f;
	unsigned int i;
	size_t off = sizeof(h);

	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, p, sizeof(h));
	if (h.version != PCI_STATE_VERSION || h.nfn != count_fns(bus))
		return -EINVAL;
	for (i = 0; i < h.nfn; i++) {
		const struct pci_dev *d;

		if (len - off < sizeof(f))
			return -EINVAL;
		memcpy(&f, p + off, sizeof(f));
		off += sizeof(f);
		d = f.slot < PCI_MAX_SLOTS ? bus->dev[f.slot] : NULL;
		if (!d || d->vendor != f.vendor || d->device != f.device ||
		    f.nvec != (d->msix ? msix_nvec(d->msix) : 0))
			return -EINVAL;
		if (f.nvec) {
			size_t need = f.nvec * 16 + PBA_WORDS * 8;

			if (len - off < need)
				return -EINVAL;
			off += need;
		}
	}
	return off == len ? 0 : -EINVAL;
}

/*
 * Load the saved config spaces through the guest-writable masks (so a
 * forged file can set nothing a guest could not), then the MSI-X tables.
 */
static int bus_load(struct vm *vm, void *opaque, const void *buf, size_t len)
{
	struct pci_bus *bus = opaque;
	const uint8_t *p = buf;
	struct pci_state_hdr h;
	struct pci_state_fn f;
	uint64_t pba[PBA_WORDS];
	size_t off = sizeof(h);
	unsigned int i;
	int r = check_layout(bus, p, len);

	if (r)
		return r;
	memcpy(&h, p, sizeof(h));
	pthread_mutex_lock(&bus->lock);
	bus->cf8 = h.cf8;
	for (i = 0; i < h.nfn; i++) {
		struct pci_dev *d;

		memcpy(&f, p + off, sizeof(f));
		off += sizeof(f);
		d = bus->dev[f.slot];
		pci_cfg_write(d, 0, f.cfg, PCI_CFG_SIZE);
		if (!f.nvec)
			continue;
		memcpy(pba, p + off + f.nvec * 16, sizeof(pba));
		msix_set_state(d->msix, p + off, pba);
		off += f.nvec * 16 + sizeof(pba);
	}
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

int pci_add_state_hook(struct vm *vm, struct pci_bus *bus)
{
	struct vm_state_hook h = {
		.name = "pci",
		.save = bus_save,
		.load = bus_load,
		.opaque = bus,
	};

	return vm_add_state_hook(vm, &h);
}
