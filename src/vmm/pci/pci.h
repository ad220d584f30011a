/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI bus 0 of the VM: a host bridge at 00:00.0, configuration mechanism
 * #1 (ports 0xcf8-0xcff) and ECAM (PCI_ECAM_BASE, bus 0), 32-bit memory
 * BARs placed in the ACPI-described window, capability lists and MSI-X
 * (table and PBA in a BAR of their own, vectors delivered through KVM
 * irqfds and MSI routes).
 *
 * The VM's MMIO dispatch table is fixed once vCPUs run, so the bus claims
 * its whole 32-bit window there and dispatches BAR accesses itself, under
 * the bus lock. Config space and BAR callbacks run on vCPU threads with
 * that lock held. The bus is created by the first pci_add_dev(), so a VM
 * without PCI devices shows the guest no PCI at all.
 */
#ifndef WIRT_VMM_PCI_H
#define WIRT_VMM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"

struct vm;
struct pci_bus;
struct pci_msix;

#define PCI_ECAM_BASE 0xe0000000ULL /* bus 0 only: 1 MiB */
#define PCI_ECAM_SIZE 0x100000ULL
#define PCI_CFG_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_MAX_SLOTS 32

/* Config space offsets and bits used here */
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

#define PCI_MSIX_MAX_VECTORS 128 /* table 2 KiB, PBA at 0x800 */
#define PCI_MSIX_BAR_SIZE 0x1000
#define PCI_MSIX_PBA_OFF 0x800

/*
 * A BAR callback: access of size 1, 2, 4 or 8 at off within the BAR; data
 * holds the value written or receives the value read.
 */
typedef void (*pci_bar_fn)(void *opaque, uint64_t off, uint8_t *data,
			   unsigned int size, bool is_write);

struct pci_dev {
	/* filled by the device before pci_add_dev() */
	const char *name;
	uint16_t vendor, device, subsys_vendor, subsys;
	uint8_t revision;
	uint32_t class_code; /* class << 16 | subclass << 8 | prog-if */
	struct {
		uint32_t size; /* 0: unused; else power of two >= 4 KiB */
		pci_bar_fn fn;
		void *opaque;
	} bar[PCI_NUM_BARS];
	/*
	 * optional: BAR i now decodes at addr (0: not decoded any more).
	 * vCPU thread with the bus lock held, or a hook with no vCPU running.
	 */
	void (*bar_moved)(struct pci_dev *d, int i, uint64_t addr);
	/*
	 * optional: config space [off, off+size) is about to be read, or
	 * was just written; lets a device back a capability with registers
	 * (e.g. virtio's PCI configuration access window). Bus lock held.
	 */
	void (*cfg_hook)(struct pci_dev *d, unsigned int off, unsigned int size,
			 bool is_write);
	void *opaque;

	/* private to the PCI code */
	struct pci_bus *bus;
	unsigned int slot;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	uint8_t cfg0[PCI_CFG_SIZE]; /* as at power-on, for resets */
	uint8_t cap_end; /* where the next capability goes */
	uint8_t last_cap;
	uint64_t mapped[PCI_NUM_BARS]; /* address decoded now, 0 = none */
	struct pci_msix *msix;
};

/*
 * pci_dev_add_cap - append capability cap (len bytes, cap[0] the ID, cap[1]
 * is filled in) to d's list; bytes set in wmask (may be NULL: read-only)
 * are guest-writable. Before pci_add_dev(). Returns the capability's
 * config-space offset, or -ENOSPC.
 */
int pci_dev_add_cap(struct pci_dev *d, const uint8_t *cap, const uint8_t *wmask,
		    unsigned int len);

/*
 * pci_dev_init_msix - give d an MSI-X capability with nvec vectors (at
 * most PCI_MSIX_MAX_VECTORS), table and PBA in BAR bar, which the PCI code
 * then owns. Before pci_add_dev(). Returns 0 or -errno.
 */
int pci_dev_init_msix(struct pci_dev *d, unsigned int nvec, int bar);

/*
 * pci_add_dev - put d on bus 0 of vm (creating the bus, the host bridge and
 * the ACPI description on the first call), assign its slot and BAR
 * addresses. Before the vCPUs run. d must stay valid until the VM is
 * destroyed; its owner frees d->msix (msix_free) with it. Returns 0 or -errno (-ENOSPC: no slot or BAR space left).
 */
int pci_add_dev(struct vm *vm, struct pci_dev *d);

/*
 * pci_add_fixed_fn - put d, a function without BARs whose config space
 * is read-only and holds no state, at function fn (1-7) of slot on bus 0;
 * guests that enumerate find it only when function 0 is multi-function,
 * firmware may address it directly (the PIIX4 power management function
 * OVMF reads at 00:01.3). Before the vCPUs run. Returns 0, -EINVAL for a
 * bad slot/function or a device with BARs, -EEXIST when taken.
 */
int pci_add_fixed_fn(struct vm *vm, struct pci_dev *d, unsigned int slot,
		     unsigned int fn);

/*
 * pci_bus_ensure - create bus 0 and its host bridge now if no device did
 * (firmware needs the host bridge even without devices). Returns 0 or
 * -errno.
 */
int pci_bus_ensure(struct vm *vm);

/*
 * pci_find_slots - the slots of bus 0's devices with this vendor and
 * device ID, in slot order, at most max into slots. Returns how many.
 */
unsigned int pci_find_slots(struct vm *vm, uint16_t vendor, uint16_t device,
			    unsigned int *slots, unsigned int max);

/*
 * pci_msix_notify - signal MSI-X vector vec of d: one eventfd write when
 * MSI-X is enabled and the vector unmasked, else the PBA bit is set and the
 * message goes out at unmask. Any thread. Returns 0, -EINVAL for a bad
 * vector.
 */
int pci_msix_notify(struct pci_dev *d, unsigned int vec);

/*
 * pci_msix_eventfd - the irqfd eventfd of vector vec of d, for a kernel
 * backend (vhost) to raise it directly; it bypasses the mask and PBA.
 * Returns the fd or -EINVAL.
 */
int pci_msix_eventfd(const struct pci_dev *d, unsigned int vec);

/* Whether vector vec of d exists (for the device's vector registers). */
bool pci_msix_has_vector(const struct pci_dev *d, unsigned int vec);

/* pci_cfg_read/pci_cfg_write - config access to d (tests, bus code). */
void pci_cfg_read(struct pci_dev *d, unsigned int off, uint8_t *data,
		  unsigned int size);
void pci_cfg_write(struct pci_dev *d, unsigned int off, const uint8_t *data,
		   unsigned int size);

/* msix_free - free MSI-X state of a device (its owner, at destroy). */
void msix_free(struct pci_msix *m);

#endif
