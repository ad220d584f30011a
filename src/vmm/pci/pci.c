// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PCI bus 0: host bridge, configuration mechanism #1 and ECAM, BAR
 * placement and decoding, capability lists. See pci.h.
 */
#include "vmm/pci/pci.h"
#include "vmm/pci/pci-int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "vmm/acpi/acpi.h"
#include "vmm/kvm/irq.h"
#include "vmm/vm.h"

#define CF8_ENABLE 0x80000000u
#define HOST_BRIDGE_VENDOR 0x8086
#define HOST_BRIDGE_DEVICE 0x0d57
/*
 * With --firmware the host bridge is an i440FX with QEMU's subsystem IDs:
 * that is how SeaBIOS recognizes the machine it was built for. Its PAM
 * registers (0x59-0x5f) are plain storage: the shadow RAM at 0xc0000-
 * 0xfffff always stays RAM, readable and writable. The BAR window then
 * runs from just above the ECAM area up to the IOAPIC, where SeaBIOS
 * places BARs (from the top down).
 */
#define I440FX_DEVICE 0x1237
#define QEMU_SUBSYS_VENDOR 0x1af4
#define QEMU_SUBSYS 0x1100
#define I440FX_PAM0 0x59
#define I440FX_PAM_LEN 7
#define FW_WINDOW_BASE (PCI_ECAM_BASE + PCI_ECAM_SIZE)
#define FW_WINDOW_END ACPI_IOAPIC_ADDR
#define RCR_OFF 1 /* port 0xcf9: reset control register */
#define RCR_RESET 0x04

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

struct irq_router *pci_bus_router(struct pci_bus *bus)
{
	return bus->router;
}

int pci_bus_vm_fd(struct pci_bus *bus)
{
	return bus->vm->vm_fd;
}

/* Fill the standard header of d from its identity fields and BARs. */
static void init_header(struct pci_dev *d)
{
	unsigned int i;

	memset(d->cfg, 0, sizeof(d->cfg));
	memset(d->wmask, 0, sizeof(d->wmask));
	put16(d->cfg + PCI_VENDOR_ID, d->vendor);
	put16(d->cfg + 2, d->device);
	d->cfg[8] = d->revision;
	d->cfg[9] = d->class_code;
	d->cfg[10] = d->class_code >> 8;
	d->cfg[11] = d->class_code >> 16;
	put16(d->cfg + PCI_SUBSYSTEM_VENDOR_ID, d->subsys_vendor);
	put16(d->cfg + PCI_SUBSYSTEM_VENDOR_ID + 2, d->subsys);
	/*
	 * I/O decode is writable too, as on real devices: OVMF's Super I/O
	 * driver takes the ISA bridge (and so COM1, its console) only once
	 * it reads I/O and memory decode enabled
	 */
	put16(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
					      PCI_COMMAND_MASTER |
					      PCI_COMMAND_INTX_DISABLE);
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	for (i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].size)
			put32(d->wmask + PCI_BAR0 + 4 * i,
			      ~(d->bar[i].size - 1) & ~0xfu);
	d->cap_end = 0x40;
	d->last_cap = 0;
}

int pci_dev_add_cap(struct pci_dev *d, const uint8_t *cap, const uint8_t *wmask,
		    unsigned int len)
{
	unsigned int off = d->cap_end, i;

	if (!d->cap_end)
		init_header(d);
	off = d->cap_end;
	if (len < 2 || off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(d->cfg + off, cap, len);
	d->cfg[off + 1] = 0;
	for (i = 0; wmask && i < len; i++)
		d->wmask[off + i] = wmask[i];
	if (d->last_cap)
		d->cfg[d->last_cap + 1] = off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = off;
	put16(d->cfg + PCI_STATUS, PCI_STATUS_CAP_LIST);
	d->last_cap = off;
	d->cap_end = ALIGN_UP(off + len, 4);
	return off;
}

/* Whether [addr, addr+size) lies in the bus's 32-bit window. */
static bool in_window(const struct pci_bus *bus, uint64_t addr, uint64_t size)
{
	return addr >= bus->win_base && size <= bus->win_size &&
	       addr - bus->win_base <= bus->win_size - size;
}

/*
 * update_decoding - recompute where each BAR of d decodes (nowhere when
 * memory decoding is off or the BAR is outside the window, e.g. while the
 * guest sizes it) and tell the device about changes.
 */
void pci_update_decoding(struct pci_dev *d)
{
	bool mem = get16(d->cfg + PCI_COMMAND) & PCI_COMMAND_MEMORY;
	unsigned int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t addr, now = 0;

		if (!d->bar[i].size)
			continue;
		addr = get32(d->cfg + PCI_BAR0 + 4 * i) & ~0xfu;
		if (mem && d->bus && in_window(d->bus, addr, d->bar[i].size))
			now = addr;
		if (now == d->mapped[i])
			continue;
		d->mapped[i] = now;
		if (d->bar_moved)
			d->bar_moved(d, i, now);
	}
}

static bool overlaps(unsigned int off, unsigned int size, unsigned int start,
		     unsigned int len)
{
	return off < start + len && start < off + size;
}

void pci_cfg_read(struct pci_dev *d, unsigned int off, uint8_t *data,
		  unsigned int size)
{
	unsigned int i;

	for (i = 0; i < size; i++)
		data[i] = off + i < PCI_CFG_SIZE ? d->cfg[off + i] : 0;
}

void pci_cfg_write(struct pci_dev *d, unsigned int off, const uint8_t *data,
		   unsigned int size)
{
	unsigned int i;

	for (i = 0; i < size && off + i < PCI_CFG_SIZE; i++) {
		uint8_t m = d->wmask[off + i];

		d->cfg[off + i] = (d->cfg[off + i] & ~m) | (data[i] & m);
	}
	if (overlaps(off, size, PCI_COMMAND, 2) ||
	    overlaps(off, size, PCI_BAR0, 4 * PCI_NUM_BARS))
		pci_update_decoding(d);
	if (d->msix)
		msix_ctrl_written(d);
}

/* The device at slot, function fn of bus 0, or NULL. */
static struct pci_dev *lookup(struct pci_bus *bus, unsigned int slot,
			      unsigned int fn)
{
	if (slot >= PCI_MAX_SLOTS || fn > 7)
		return NULL;
	return fn ? bus->fn[slot][fn - 1] : bus->dev[slot];
}

/* One config access to slot/fn at reg; absent devices read all ones. */
static void cfg_access(struct pci_bus *bus, unsigned int slot, unsigned int fn,
		       unsigned int reg, uint8_t *data, unsigned int size,
		       bool wr)
{
	struct pci_dev *d;

	pthread_mutex_lock(&bus->lock);
	d = lookup(bus, slot, fn);
	if (!d) {
		if (!wr)
			memset(data, 0xff, size);
	} else if (wr) {
		pci_cfg_write(d, reg, data, size);
		if (d->cfg_hook)
			d->cfg_hook(d, reg, size, true);
	} else {
		if (d->cfg_hook)
			d->cfg_hook(d, reg, size, false);
		pci_cfg_read(d, reg, data, size);
	}
	pthread_mutex_unlock(&bus->lock);
}

/* Ports 0xcf8 (address, 32-bit only) and 0xcfc-0xcff (data). */
static void cf8_io(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
		   bool wr)
{
	struct pci_bus *bus = opaque;
	uint32_t a;

	if (off == RCR_OFF && size == 1) {
		if (wr && (data[0] & RCR_RESET))
			vm_request_stop(bus->vm, VM_RESET);
		else if (!wr)
			data[0] = 0;
		return;
	}
	if (off < 4) {
		if (off != 0 || size != 4) {
			if (!wr)
				memset(data, 0xff, size);
			return;
		}
		pthread_mutex_lock(&bus->lock);
		if (wr)
			bus->cf8 = get32(data) & 0x80fffffcu;
		else
			put32(data, bus->cf8);
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	a = __atomic_load_n(&bus->cf8, __ATOMIC_RELAXED);
	if (!(a & CF8_ENABLE) || (a >> 16 & 0xff) != 0 || off + size > 8) {
		if (!wr)
			memset(data, 0xff, size);
		return;
	}
	cfg_access(bus, a >> 11 & 0x1f, a >> 8 & 7, (a & 0xfc) + (off - 4),
		   data, size, wr);
}

/* ECAM: bus 0, offset = slot << 15 | fn << 12 | register. */
static void ecam_io(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int size, bool wr)
{
	unsigned int reg = off & 0xfff;

	if (reg + size > 0x1000) {
		if (!wr)
			memset(data, 0xff, size);
		return;
	}
	cfg_access(opaque, off >> 15 & 0x1f, off >> 12 & 7, reg, data, size,
		   wr);
}

/* The 32-bit window: dispatch to the BAR that decodes addr. */
static void window_io(void *opaque, uint64_t off, uint8_t *data,
		      unsigned int size, bool wr)
{
	struct pci_bus *bus = opaque;
	uint64_t addr = bus->win_base + off;
	unsigned int s, i;

	pthread_mutex_lock(&bus->lock);
	for (s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_dev *d = bus->dev[s];

		for (i = 0; d && i < PCI_NUM_BARS; i++) {
			uint64_t b = d->mapped[i];

			if (!b || addr < b || addr - b >= d->bar[i].size)
				continue;
			if (addr - b + size <= d->bar[i].size && d->bar[i].fn)
				d->bar[i].fn(d->bar[i].opaque, addr - b, data,
					     size, wr);
			else if (!wr)
				memset(data, 0xff, size);
			pthread_mutex_unlock(&bus->lock);
			return;
		}
	}
	pthread_mutex_unlock(&bus->lock);
	if (!wr)
		memset(data, 0xff, size);
}

static int bus_attach(struct vm *vm, void *opaque)
{
	struct pci_bus *bus = opaque;
	unsigned int s;
	int r;

	r = irq_router_commit(bus->router, vm->vm_fd, true);
	for (s = 0; !r && s < PCI_MAX_SLOTS; s++)
		if (bus->dev[s] && bus->dev[s]->msix)
			r = msix_attach(bus->dev[s]->msix, vm->vm_fd);
	return r;
}

static void bus_detach(struct vm *vm, void *opaque)
{
	struct pci_bus *bus = opaque;
	unsigned int s;

	for (s = 0; s < PCI_MAX_SLOTS; s++)
		if (bus->dev[s] && bus->dev[s]->msix)
			msix_detach(bus->dev[s]->msix, vm->vm_fd);
}

/* Guest reboot: every function back to its power-on config space. */
static void bus_reset(struct vm *vm, void *opaque)
{
	struct pci_bus *bus = opaque;
	unsigned int s;

	pthread_mutex_lock(&bus->lock);
	bus->cf8 = 0;
	for (s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_dev *d = bus->dev[s];

		if (!d)
			continue;
		memcpy(d->cfg, d->cfg0, sizeof(d->cfg));
		pci_update_decoding(d);
		if (d->msix)
			msix_reset(d->msix);
	}
	pthread_mutex_unlock(&bus->lock);
}

static void bus_destroy(struct vm *vm, void *opaque)
{
	struct pci_bus *bus = opaque;

	/* devices (and their MSI-X state) were freed by their own hooks */
	irq_router_free(bus->router);
	pthread_mutex_destroy(&bus->lock);
	vm->pci = NULL;
	free(bus);
}

/* The host bridge and the BAR window, for firmware or direct boot. */
static void init_host(struct vm *vm, struct pci_bus *bus)
{
	struct pci_dev *hb = &bus->host;

	bus->win_base = ACPI_PCI_MMIO32_DEFAULT_BASE;
	bus->win_size = ACPI_PCI_MMIO32_DEFAULT_SIZE;
	hb->name = "host-bridge";
	hb->vendor = HOST_BRIDGE_VENDOR;
	hb->device = HOST_BRIDGE_DEVICE;
	hb->class_code = 0x060000;
	if (vm->cfg->firmware) {
		bus->win_base = FW_WINDOW_BASE;
		bus->win_size = FW_WINDOW_END - FW_WINDOW_BASE;
		hb->device = I440FX_DEVICE;
		hb->revision = 2;
		hb->subsys_vendor = QEMU_SUBSYS_VENDOR;
		hb->subsys = QEMU_SUBSYS;
	}
	if (vm->pci_win_size) {
		bus->win_base = vm->pci_win_base;
		bus->win_size = vm->pci_win_size;
	}
	init_header(hb);
	if (vm->cfg->firmware)
		memset(hb->wmask + I440FX_PAM0, 0xff, I440FX_PAM_LEN);
	bus->next_bar = bus->win_base;
}

/* Create bus 0 with its host bridge; registers the I/O ranges and hook. */
static int bus_create(struct vm *vm)
{
	struct vm_hook h = { "pci",	bus_attach,  bus_detach,
			     bus_reset, bus_destroy, NULL };
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	struct pci_dev *hb;
	int r;

	if (!bus)
		return -ENOMEM;
	bus->router = irq_router_new();
	if (!bus->router) {
		free(bus);
		return -ENOMEM;
	}
	bus->vm = vm;
	pthread_mutex_init(&bus->lock, NULL);
	hb = &bus->host;
	init_host(vm, bus);
	hb->bus = bus;
	memcpy(hb->cfg0, hb->cfg, sizeof(hb->cfg));
	bus->dev[0] = hb;
	h.opaque = bus;
	r = bus_register(&vm->pio, 0xcf8, 8, cf8_io, bus, "pci-cf8");
	if (!r)
		r = bus_register(&vm->mmio, PCI_ECAM_BASE, PCI_ECAM_SIZE,
				 ecam_io, bus, "pci-ecam");
	if (!r)
		r = bus_register(&vm->mmio, bus->win_base, bus->win_size,
				 window_io, bus, "pci-mmio32");
	if (!r)
		r = vm_add_hook(vm, &h);
	if (!r)
		r = pci_add_state_hook(vm, bus);
	if (r) {
		irq_router_free(bus->router);
		free(bus);
		return r;
	}
	vm->pci = bus;
	vm->acpi.pci_ecam_base = PCI_ECAM_BASE;
	vm->acpi.pci_bus_end = 0;
	vm->acpi.pci_mmio32_base = bus->win_base;
	vm->acpi.pci_mmio32_size = bus->win_size;
	return 0;
}

/* Place d's BARs, naturally aligned, in the window. */
static int place_bars(struct pci_bus *bus, struct pci_dev *d)
{
	uint64_t next = bus->next_bar;
	unsigned int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		uint32_t s = d->bar[i].size;

		if (!s)
			continue;
		if (s < 0x1000 || (s & (s - 1)))
			return -EINVAL;
		next = ALIGN_UP(next, (uint64_t)s);
		if (!in_window(bus, next, s))
			return -ENOSPC;
		put32(d->cfg + PCI_BAR0 + 4 * i, (uint32_t)next);
		next += s;
	}
	bus->next_bar = next;
	return 0;
}

unsigned int pci_find_slots(struct vm *vm, uint16_t vendor, uint16_t device,
			    unsigned int *slots, unsigned int max)
{
	struct pci_bus *bus = vm->pci;
	unsigned int s, n = 0;

	for (s = 1; bus && s < PCI_MAX_SLOTS && n < max; s++)
		if (bus->dev[s] && bus->dev[s]->vendor == vendor &&
		    bus->dev[s]->device == device)
			slots[n++] = s;
	return n;
}

int pci_bus_ensure(struct vm *vm)
{
	return vm->pci ? 0 : bus_create(vm);
}

int pci_add_fixed_fn(struct vm *vm, struct pci_dev *d, unsigned int slot,
		     unsigned int fn)
{
	unsigned int i;
	int r;

	if (slot >= PCI_MAX_SLOTS || fn < 1 || fn > 7 || d->msix)
		return -EINVAL;
	for (i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].size)
			return -EINVAL;
	r = pci_bus_ensure(vm);
	if (r)
		return r;
	if (vm->pci->fn[slot][fn - 1])
		return -EEXIST;
	if (!d->cap_end)
		init_header(d);
	memset(d->wmask, 0, sizeof(d->wmask));
	d->bus = vm->pci;
	d->slot = slot;
	memcpy(d->cfg0, d->cfg, sizeof(d->cfg));
	vm->pci->fn[slot][fn - 1] = d;
	return 0;
}

int pci_add_dev(struct vm *vm, struct pci_dev *d)
{
	unsigned int s;
	int r;

	if (!vm->pci) {
		r = bus_create(vm);
		if (r)
			return r;
	}
	for (s = 1; s < PCI_MAX_SLOTS && vm->pci->dev[s]; s++)
		;
	if (s == PCI_MAX_SLOTS)
		return -ENOSPC;
	if (!d->cap_end)
		init_header(d);
	r = place_bars(vm->pci, d);
	if (!r && d->msix)
		r = msix_bind(d->msix, vm->pci);
	if (r)
		return r;
	d->bus = vm->pci;
	d->slot = s;
	memcpy(d->cfg0, d->cfg, sizeof(d->cfg));
	memset(d->mapped, 0, sizeof(d->mapped));
	vm->pci->dev[s] = d;
	return 0;
}

int pci_dev_init_msix(struct pci_dev *d, unsigned int nvec, int bar)
{
	if (bar < 0 || bar >= PCI_NUM_BARS || !nvec ||
	    nvec > PCI_MSIX_MAX_VECTORS || d->msix)
		return -EINVAL;
	d->bar[bar].size = PCI_MSIX_BAR_SIZE;
	if (!d->cap_end)
		init_header(d);
	else
		put32(d->wmask + PCI_BAR0 + 4 * bar,
		      ~(PCI_MSIX_BAR_SIZE - 1) & ~0xfu);
	return msix_new(d, nvec, bar);
}
