/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of the virtio-pci transport shared by its files. */
#ifndef WIRT_VMM_VIRTIO_PCI_INT_H
#define WIRT_VMM_VIRTIO_PCI_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/pci/pci.h"
#include "vmm/virtio/virtio.h"

struct vpci;

struct kick {
	struct vpci *t;
	unsigned int q;
	int fd;
};

struct vpci {
	struct virtio_dev vdev;
	struct pci_dev pci;
	struct vm *vm;
	unsigned int nq, nvec;
	uint64_t offered;
	uint32_t dev_feat_sel, drv_feat_sel;
	uint64_t driver_features;
	uint16_t config_vector;
	uint16_t queue_sel;
	uint16_t *qvec; /* per queue MSI-X vector */
	bool *qenabled;
	uint8_t isr; /* atomic */
	uint8_t generation; /* atomic */
	struct kick *kicks;
	unsigned int pcicfg; /* offset of the PCI_CFG capability */
	uint64_t ioev_base; /* notify area address registered, 0 none */
	bool ioev_live; /* registered with the current KVM VM */
	unsigned long kicks_seen, slow_kicks, irqs; /* statistics */
	char name[32];
};

/* evloop callback: queue k->q was kicked. */
void vpci_kick_fn(void *opaque, int fd, uint32_t events);

/* Device reset: stop the queues, drop in-flight work, clear registers. */
void vpci_reset(struct vpci *t);

/* Whether the driver's features are acceptable (FEATURES_OK check). */
bool vpci_features_ok(const struct vpci *t);

/* A vector register value: v if the vector exists, else NO_VECTOR. */
uint16_t vpci_check_vector(const struct vpci *t, uint64_t v);

/* The device status register. */
uint8_t vpci_status(const struct vpci *t);

/* DRIVER_OK: make the enabled queues live and activate the device. */
void vpci_driver_ok(struct vpci *t);

/* vpci_add_state_hook - save/restore of t (virtio-pci-state.c); 0 or -errno. */
int vpci_add_state_hook(struct vm *vm, struct vpci *t);

#endif
