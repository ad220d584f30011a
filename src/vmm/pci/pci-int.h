/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of src/vmm/pci shared by its files. */
#ifndef WIRT_VMM_PCI_INT_H
#define WIRT_VMM_PCI_INT_H

#include <pthread.h>

#include "vmm/pci/pci.h"

struct pci_bus {
	struct vm *vm;
	pthread_mutex_t lock;
	uint32_t cf8;
	struct pci_dev *dev[PCI_MAX_SLOTS];
	/* functions 1-7 of a slot: config space only (pci_add_fixed_fn) */
	struct pci_dev *fn[PCI_MAX_SLOTS][7];
	struct pci_dev host;
	uint64_t win_base, win_size;
	uint64_t next_bar; /* placement cursor in the window */
	struct irq_router *router;
};

/* MSI-X table, PBA and capability handling (msix.c) */
int msix_new(struct pci_dev *d, unsigned int nvec, int bar);
int msix_bind(struct pci_msix *m, struct pci_bus *bus);
void msix_bar_access(void *opaque, uint64_t off, uint8_t *data,
		     unsigned int size, bool is_write);
void msix_ctrl_written(struct pci_dev *d);
void msix_reset(struct pci_msix *m);
int msix_attach(struct pci_msix *m, int vm_fd);
void msix_detach(struct pci_msix *m, int vm_fd);
struct irq_router *pci_bus_router(struct pci_bus *bus);
int pci_bus_vm_fd(struct pci_bus *bus);

/* Vectors of m. */
unsigned int msix_nvec(const struct pci_msix *m);

/*
 * msix_get_state/msix_set_state - the vector table (msix_nvec * 16 bytes)
 * and the pending bits, for save/restore. set checks nothing the guest
 * could not have written itself (reserved control bits are dropped),
 * updates the routes and sends what became deliverable.
 */
void msix_get_state(struct pci_msix *m, uint8_t *table, uint64_t *pba);
void msix_set_state(struct pci_msix *m, const uint8_t *table,
		    const uint64_t *pba);

/* Recompute where d's BARs decode and tell the device; bus lock held. */
void pci_update_decoding(struct pci_dev *d);

/* pci_add_state_hook - save/restore of the bus (pci-state.c); 0 or -errno. */
int pci_add_state_hook(struct vm *vm, struct pci_bus *bus);

#endif
