/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-pci modern transport (virtio 1.2, 4.1; no legacy interface).
 *
 * BAR 0 (16 KiB) holds the common configuration (0x0000), the ISR
 * (0x1000), the device configuration (0x2000) and the queue notification
 * area (0x3000, 4 bytes per queue: notify_off_multiplier 4, queue q's
 * notify_off is q). Each queue's notification address is a KVM ioeventfd
 * watched by the device's evloop, which calls ops->queue_notify(): a kick
 * costs the vCPU no exit to user space. BAR 1 holds the MSI-X table and
 * PBA; one vector per queue plus one for configuration changes.
 */
#ifndef WIRT_VMM_VIRTIO_PCI_H
#define WIRT_VMM_VIRTIO_PCI_H

#include "vmm/virtio/virtio.h"

struct vm;

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + VIRTIO_ID_* */
#define VIRTIO_PCI_SUBSYS 0x1100
#define VIRTIO_PCI_BAR_SIZE 0x4000
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_COMMON_LEN 0x38
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_DEVCFG_OFF 0x2000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_MAX_QUEUES 1024
#define VIRTIO_MSI_NO_VECTOR 0xffff

/*
 * virtio_pci_add - create a virtio device of type ops on the VM's PCI bus:
 * its struct virtio_dev (priv stored in it), queues, evloop thread (running
 * on return, so the device can add its backend fds to (*out)->loop), PCI
 * function with capabilities and MSI-X, and the VM hooks that register its
 * ioeventfds/irqfds with every KVM VM and reset it at a guest reboot.
 * Before the vCPUs run. The device lives until vm_destroy(), which stops
 * its evloop before freeing anything. Returns 0 with *out set, or -errno
 * (-EINVAL for ops the transport cannot serve: no queues, more than
 * VIRTIO_PCI_MAX_QUEUES, a queue size that is not a power of two up to
 * VIRTQ_MAX_SIZE, device config above 4 KiB; -ENOSPC: bus full).
 */
int virtio_pci_add(struct vm *vm, const struct virtio_dev_ops *ops, void *priv,
		   struct virtio_dev **out);

#endif
