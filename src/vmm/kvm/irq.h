/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM interrupt routing for MSI: a GSI routing table that always keeps the
 * default IOAPIC/PIC routes of GSIs 0-23 (KVM_SET_GSI_ROUTING replaces the
 * whole table) plus one MSI route per allocated GSI, and irqfd helpers so a
 * device interrupt from any thread is one eventfd write.
 */
#ifndef WIRT_VMM_KVM_IRQ_H
#define WIRT_VMM_KVM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#define IRQ_LEGACY_GSIS 24 /* IOAPIC pins; GSIs 0-15 also reach the PIC */
#define IRQ_PIT_GSI 0 /* the in-kernel PIT raises GSI 0 ... */
#define IRQ_PIT_IOAPIC_PIN 2 /* ... wired to IOAPIC pin 2 (MADT override) */
#define IRQ_MAX_MSI 1024 /* MSI routes one router hands out */

struct irq_router;

/* Returns a new router with no MSI routes, or NULL (out of memory). */
struct irq_router *irq_router_new(void);
void irq_router_free(struct irq_router *r);

/*
 * irq_router_alloc - reserve n consecutive GSIs for MSI routes (initially
 * invalid: not in the table). Returns the first GSI or -ENOSPC.
 */
int irq_router_alloc(struct irq_router *r, unsigned int n);

/*
 * irq_router_set_msi - set the MSI message of gsi (valid false removes the
 * route). Takes effect at the next irq_router_commit. Returns 0, -EINVAL
 * for a GSI this router did not hand out.
 */
int irq_router_set_msi(struct irq_router *r, unsigned int gsi, uint64_t addr,
		       uint32_t data, bool valid);

/*
 * irq_router_commit - install the table (defaults + valid MSI routes) in the
 * KVM VM vm_fd when it changed since the last commit, or always with force
 * (a fresh KVM VM). Thread-safe. Returns 0 or -errno.
 */
int irq_router_commit(struct irq_router *r, int vm_fd, bool force);

/* Number of KVM_SET_GSI_ROUTING calls so far (for tests and statistics). */
unsigned long irq_router_commits(const struct irq_router *r);

/*
 * irq_router_fill - write the routing entries (defaults then valid MSI
 * routes) into e, at most max. Returns how many there are in all (may be
 * above max: nothing past max is written). For tests.
 */
unsigned int irq_router_fill(struct irq_router *r, void *e, unsigned int max);

/* irqfd_assign / irqfd_deassign - (un)bind eventfd fd to gsi. 0 or -errno */
int irqfd_assign(int vm_fd, int fd, unsigned int gsi);
int irqfd_deassign(int vm_fd, int fd, unsigned int gsi);

/*
 * ioeventfd_set - (un)register eventfd fd for guest writes of len bytes
 * (0: any length) at MMIO address addr. Returns 0 or -errno.
 */
int ioeventfd_set(int vm_fd, int fd, uint64_t addr, unsigned int len,
		  bool assign);

#endif
