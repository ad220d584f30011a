/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared pieces of the libFuzzer targets: a reader that takes fixed-size
 * fields off the fuzz input (zeroes once it runs out, so every input is a
 * valid program), a fake VM without KVM, and a driver that plays a hostile
 * virtio guest against one device's queue handlers.
 */
#ifndef WIRT_FUZZ_H
#define WIRT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/virtio/virtio.h"
#include "vmm/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The unread rest of a fuzz input. */
struct fin {
	const uint8_t *p;
	size_t n;
};

/* fin_bytes - copy the next len bytes into buf (zero-filled past the end). */
void fin_bytes(struct fin *in, void *buf, size_t len);
uint8_t fin_u8(struct fin *in);
uint16_t fin_u16(struct fin *in);
uint32_t fin_u32(struct fin *in);
uint64_t fin_u64(struct fin *in);

/* ---- fuzz-vm.c: a VM skeleton (vm_fd -1) with page-aligned RAM ---- */

/* fz_vm_init - vm with cfg (memory = ram_size) and fresh zeroed RAM at GPA 0. */
void fz_vm_init(struct vm *vm, struct vmm_config *cfg, uint64_t ram_size);

/* fz_vm_destroy - run the destroy hooks (last first) and unmap the RAM. */
void fz_vm_destroy(struct vm *vm);

/* fz_io - one access of size (1..8) bytes on bus b; returns what was read. */
uint64_t fz_io(struct bus *b, uint64_t addr, unsigned int size, bool wr,
	       uint64_t v);

/* ---- pci-vm.c: that VM with rng, balloon and console on PCI bus 0 ---- */

#define FZ_PCI_SLOTS 4 /* host bridge, then the three devices */

/* fz_pci_vm_init - fz_vm_init, the devices, their evloops held. */
void fz_pci_vm_init(struct vm *vm, struct vmm_config *cfg, uint64_t ram_size);

/* fz_pci_vm_destroy - release the evloops and end the VM. */
void fz_pci_vm_destroy(struct vm *vm);

/* ---- vdev-fuzz.c: a hostile guest driving one virtio device ---- */

#define FZ_RAM_SIZE (64 * 1024)

/* Device-specific actions of a target (a host event, a second request). */
typedef void (*fz_host_fn)(struct virtio_dev *d, uint8_t a, uint8_t b);

/*
 * fz_vdev_run - play in against device d (ops, priv, vqs and mem set, mem
 * of FZ_RAM_SIZE bytes at ram): negotiate features and set up the queues
 * as the input says, copy the input's tail into guest RAM, activate, then
 * run the input's operations: kicks (queue_notify on this thread), RAM
 * pokes between kicks, config reads and writes, resets, and host actions
 * (host, may be NULL). wait (may be NULL) is called after each kick and
 * before a reset, for devices that finish requests in other threads.
 */
void fz_vdev_run(struct virtio_dev *d, uint8_t *ram, struct fin *in,
		 fz_host_fn host, void (*wait)(struct virtio_dev *d));

/* Counters the fake transport hooks keep (interrupts, failures). */
extern unsigned long fz_irqs, fz_fails;

/* fz_vdev_hooks - install the counting transport hooks in d. */
void fz_vdev_hooks(struct virtio_dev *d);

/*
 * fake-transport.c: virtio_pci_add() for device constructors (rng,
 * console, balloon) without PCI: the last device added, with its queues
 * and an evloop that is never started (queue_notify runs on the fuzzer's
 * thread). fz_transport_free ends it as the VM's destroy hook would.
 */
extern struct virtio_dev *fz_last_dev;
void fz_transport_free(struct virtio_dev *d);

#endif
