// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GSI routing table with MSI routes, irqfds and ioeventfds. The default
 * routes: GSI i goes to IOAPIC pin i for i < 24, except the PIT's GSI 0,
 * which goes to pin 2 as the MADT's interrupt source override says (as on
 * PC chipsets; the kernel programs that pin for the timer) while GSI 2 (the
 * PIC cascade, never raised) has no IOAPIC route: KVM maps an acknowledged
 * pin back to a single GSI, and the PIT waits for GSI 0's acknowledgement
 * before its next tick. GSIs 0-15 also go to the PIC (master pins 0-7,
 * slave pins 8-15).
 */
#include "vmm/kvm/irq.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

struct msi_route {
	uint64_t addr;
	uint32_t data;
	bool valid;
};

struct irq_router {
	pthread_mutex_t lock;
	unsigned int nmsi; /* GSIs handed out, from IRQ_LEGACY_GSIS */
	struct msi_route msi[IRQ_MAX_MSI];
	bool dirty;
	unsigned long commits;
	struct kvm_irq_routing *table; /* scratch for the ioctl */
};

#define MAX_ENTRIES (IRQ_LEGACY_GSIS + 16 + IRQ_MAX_MSI)

struct irq_router *irq_router_new(void)
{
	struct irq_router *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->table =
		calloc(1, sizeof(*r->table) +
				  MAX_ENTRIES * sizeof(r->table->entries[0]));
	if (!r->table) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->dirty = true;
	return r;
}

void irq_router_free(struct irq_router *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->table);
	free(r);
}

int irq_router_alloc(struct irq_router *r, unsigned int n)
{
	int first = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	if (n && n <= IRQ_MAX_MSI - r->nmsi) {
		first = IRQ_LEGACY_GSIS + r->nmsi;
		r->nmsi += n;
	}
	pthread_mutex_unlock(&r->lock);
	return first;
}

int irq_router_set_msi(struct irq_router *r, unsigned int gsi, uint64_t addr,
		       uint32_t data, bool valid)
{
	struct msi_route *m;

	pthread_mutex_lock(&r->lock);
	if (gsi < IRQ_LEGACY_GSIS || gsi - IRQ_LEGACY_GSIS >= r->nmsi) {
		pthread_mutex_unlock(&r->lock);
		return -EINVAL;
	}
	m = &r->msi[gsi - IRQ_LEGACY_GSIS];
	if (m->valid != valid ||
	    (valid && (m->addr != addr || m->data != data))) {
		*m = (struct msi_route){ addr, data, valid };
		r->dirty = true;
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* The IOAPIC pin legacy GSI gsi is wired to. */
static unsigned int ioapic_pin(unsigned int gsi)
{
	return gsi == IRQ_PIT_GSI ? IRQ_PIT_IOAPIC_PIN : gsi;
}

/* Fill the table with the defaults and valid MSI routes; lock held. */
static unsigned int build(struct irq_router *r, struct kvm_irq_routing_entry *e,
			  unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < IRQ_LEGACY_GSIS; i++) {
		/* pin 2 belongs to GSI 0: KVM maps each pin back to one GSI */
		if (i != IRQ_PIT_IOAPIC_PIN) {
			if (n < max)
				e[n] = (struct kvm_irq_routing_entry){
					.gsi = i,
					.type = KVM_IRQ_ROUTING_IRQCHIP,
					.u.irqchip = { KVM_IRQCHIP_IOAPIC,
						       ioapic_pin(i) },
				};
			n++;
		}
		if (i >= 16)
			continue;
		if (n < max)
			e[n] = (struct kvm_irq_routing_entry){
				.gsi = i,
				.type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { i < 8 ? KVM_IRQCHIP_PIC_MASTER :
						       KVM_IRQCHIP_PIC_SLAVE,
					       i % 8 },
			};
		n++;
	}
	for (i = 0; i < r->nmsi; i++) {
		const struct msi_route *m = &r->msi[i];

		if (!m->valid)
			continue;
		if (n < max)
			e[n] = (struct kvm_irq_routing_entry){
				.gsi = IRQ_LEGACY_GSIS + i,
				.type = KVM_IRQ_ROUTING_MSI,
				.u.msi = { .address_lo = (uint32_t)m->addr,
					   .address_hi = m->addr >> 32,
					   .data = m->data },
			};
		n++;
	}
	return n;
}

unsigned int irq_router_fill(struct irq_router *r, void *e, unsigned int max)
{
	unsigned int n;

	pthread_mutex_lock(&r->lock);
	n = build(r, e, max);
	pthread_mutex_unlock(&r->lock);
	return n;
}

int irq_router_commit(struct irq_router *r, int vm_fd, bool force)
{
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	if (!r->dirty && !force)
		goto out;
	r->table->nr = build(r, r->table->entries, MAX_ENTRIES);
	r->table->flags = 0;
	if (vm_fd >= 0 && ioctl(vm_fd, KVM_SET_GSI_ROUTING, r->table)) {
		ret = -errno;
		goto out;
	}
	r->commits++;
	r->dirty = false;
out:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

unsigned long irq_router_commits(const struct irq_router *r)
{
	return __atomic_load_n(&r->commits, __ATOMIC_RELAXED);
}

int irqfd_assign(int vm_fd, int fd, unsigned int gsi)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi };

	return ioctl(vm_fd, KVM_IRQFD, &irqfd) ? -errno : 0;
}

int irqfd_deassign(int vm_fd, int fd, unsigned int gsi)
{
	struct kvm_irqfd irqfd = { .fd = fd,
				   .gsi = gsi,
				   .flags = KVM_IRQFD_FLAG_DEASSIGN };

	return ioctl(vm_fd, KVM_IRQFD, &irqfd) ? -errno : 0;
}

int ioeventfd_set(int vm_fd, int fd, uint64_t addr, unsigned int len,
		  bool assign)
{
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(vm_fd, KVM_IOEVENTFD, &io) ? -errno : 0;
}
