// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MSI-X: the capability, the vector table and PBA in a BAR, masking, and
 * delivery through one irqfd per vector whose GSI carries the vector's
 * message as a KVM MSI route. Routes are committed when a vector becomes
 * deliverable (unmasked with MSI-X enabled), so the guest's usual
 * "write address and data while masked, then unmask" costs one
 * KVM_SET_GSI_ROUTING.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/kvm/irq.h"
#include "vmm/pci/pci.h"
#include "vmm/pci/pci-int.h"

#define CTRL_ENABLE 0x80 /* in the high byte of message control */
#define CTRL_FMASK 0x40
#define VEC_MASKED 1u

struct pci_msix {
	struct pci_dev *dev;
	struct pci_bus *bus;
	unsigned int n;
	int bar;
	uint8_t cap;
	int gsi_base;
	pthread_mutex_t lock;
	bool enabled, fmask;
	uint8_t table[PCI_MSIX_MAX_VECTORS * 16];
	uint64_t pba[PCI_MSIX_MAX_VECTORS / 64];
	int efd[PCI_MSIX_MAX_VECTORS];
};

static uint32_t entry32(const struct pci_msix *m, unsigned int v,
			unsigned int w)
{
	uint32_t x;

	memcpy(&x, m->table + v * 16 + w * 4, 4);
	return x;
}

/* Whether vector v would be delivered now; lock held. */
static bool deliverable(const struct pci_msix *m, unsigned int v)
{
	return m->enabled && !m->fmask && !(entry32(m, v, 3) & VEC_MASKED);
}

static void fire(struct pci_msix *m, unsigned int v)
{
	uint64_t one = 1;

	m->pba[v / 64] &= ~(1ULL << (v % 64));
	(void)!write(m->efd[v], &one, sizeof(one));
}

/* Update the route of vector v from its table entry; lock held. */
static void set_route(struct pci_msix *m, unsigned int v)
{
	uint64_t addr = entry32(m, v, 0) | (uint64_t)entry32(m, v, 1) << 32;

	if (m->gsi_base < 0)
		return;
	irq_router_set_msi(pci_bus_router(m->bus), m->gsi_base + v, addr,
			   entry32(m, v, 2),
			   (addr & 0xfff00000ULL) == 0xfee00000ULL);
}

/*
 * refresh - after the guest changed table entries or control bits: update
 * routes, commit them when something is deliverable, and send pending
 * messages of vectors that became deliverable. Lock held.
 */
static void refresh(struct pci_msix *m)
{
	bool any = false;
	unsigned int v;
	int fd;

	if (!m->bus)
		return;
	for (v = 0; v < m->n; v++) {
		set_route(m, v);
		any |= deliverable(m, v);
	}
	fd = pci_bus_vm_fd(m->bus);
	if (any && fd >= 0)
		irq_router_commit(pci_bus_router(m->bus), fd, false);
	for (v = 0; v < m->n; v++)
		if ((m->pba[v / 64] >> (v % 64) & 1) && deliverable(m, v))
			fire(m, v);
}

int msix_new(struct pci_dev *d, unsigned int nvec, int bar)
{
	uint8_t cap[12] = { PCI_CAP_ID_MSIX }, wm[12] = { 0 };
	struct pci_msix *m = calloc(1, sizeof(*m));
	unsigned int v;
	int off;

	if (!m)
		return -ENOMEM;
	m->dev = d;
	m->n = nvec;
	m->bar = bar;
	m->gsi_base = -1;
	for (v = 0; v < PCI_MSIX_MAX_VECTORS; v++)
		m->efd[v] = -1;
	for (v = 0; v < nvec; v++) {
		m->efd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->efd[v] < 0) {
			msix_free(m);
			return -errno;
		}
	}
	msix_reset(m);
	cap[2] = (nvec - 1) & 0xff;
	cap[3] = (nvec - 1) >> 8;
	cap[4] = bar; /* table at offset 0 */
	cap[8] = bar | (PCI_MSIX_PBA_OFF & 0xff);
	cap[9] = PCI_MSIX_PBA_OFF >> 8;
	wm[3] = CTRL_ENABLE | CTRL_FMASK;
	off = pci_dev_add_cap(d, cap, wm, sizeof(cap));
	if (off < 0) {
		msix_free(m);
		return off;
	}
	m->cap = off;
	pthread_mutex_init(&m->lock, NULL);
	d->bar[bar].fn = msix_bar_access;
	d->bar[bar].opaque = m;
	d->msix = m;
	return 0;
}

int msix_bind(struct pci_msix *m, struct pci_bus *bus)
{
	int g = irq_router_alloc(pci_bus_router(bus), m->n);

	if (g < 0)
		return g;
	m->gsi_base = g;
	m->bus = bus;
	return 0;
}

void msix_free(struct pci_msix *m)
{
	unsigned int v;

	if (!m)
		return;
	for (v = 0; v < PCI_MSIX_MAX_VECTORS; v++)
		if (m->efd[v] >= 0)
			close(m->efd[v]);
	if (m->dev)
		m->dev->msix = NULL;
	free(m);
}

void msix_reset(struct pci_msix *m)
{
	unsigned int v;
	uint64_t x;

	memset(m->table, 0, sizeof(m->table));
	memset(m->pba, 0, sizeof(m->pba));
	for (v = 0; v < m->n; v++) {
		m->table[v * 16 + 12] = VEC_MASKED;
		if (m->bus)
			set_route(m, v);
		(void)!read(m->efd[v], &x, sizeof(x));
	}
	m->enabled = false;
	m->fmask = false;
}

void msix_bar_access(void *opaque, uint64_t off, uint8_t *data,
		     unsigned int size, bool wr)
{
	struct pci_msix *m = opaque;
	uint64_t tlen = m->n * 16ULL;

	pthread_mutex_lock(&m->lock);
	if (off + size <= tlen) {
		if (!wr) {
			memcpy(data, m->table + off, size);
		} else {
			unsigned int i;

			for (i = 0; i < size; i++) {
				uint64_t o = off + i;

				/* vector control: only the mask bit */
				if (o % 16 == 12)
					m->table[o] = data[i] & VEC_MASKED;
				else if (o % 16 < 12)
					m->table[o] = data[i];
			}
			refresh(m);
		}
	} else if (off >= PCI_MSIX_PBA_OFF &&
		   off + size <= PCI_MSIX_PBA_OFF + sizeof(m->pba)) {
		if (!wr)
			memcpy(data, (uint8_t *)m->pba + off - PCI_MSIX_PBA_OFF,
			       size);
	} else if (!wr) {
		memset(data, 0, size);
	}
	pthread_mutex_unlock(&m->lock);
}

void msix_ctrl_written(struct pci_dev *d)
{
	struct pci_msix *m = d->msix;
	uint8_t hi = d->cfg[m->cap + 3];
	bool en = hi & CTRL_ENABLE, fm = hi & CTRL_FMASK;

	pthread_mutex_lock(&m->lock);
	if (en != m->enabled || fm != m->fmask) {
		m->enabled = en;
		m->fmask = fm;
		refresh(m);
	}
	pthread_mutex_unlock(&m->lock);
}

int pci_msix_notify(struct pci_dev *d, unsigned int vec)
{
	struct pci_msix *m = d->msix;

	if (!m || vec >= m->n)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (deliverable(m, vec))
		fire(m, vec);
	else
		m->pba[vec / 64] |= 1ULL << (vec % 64);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int pci_msix_eventfd(const struct pci_dev *d, unsigned int vec)
{
	if (!d->msix || vec >= d->msix->n)
		return -EINVAL;
	return d->msix->efd[vec];
}

bool pci_msix_has_vector(const struct pci_dev *d, unsigned int vec)
{
	return d->msix && vec < d->msix->n;
}

int msix_attach(struct pci_msix *m, int vm_fd)
{
	unsigned int v;
	int r;

	for (v = 0; v < m->n; v++) {
		r = irqfd_assign(vm_fd, m->efd[v], m->gsi_base + v);
		if (r)
			return r;
	}
	return 0;
}

void msix_detach(struct pci_msix *m, int vm_fd)
{
	unsigned int v;

	for (v = 0; v < m->n; v++)
		irqfd_deassign(vm_fd, m->efd[v], m->gsi_base + v);
}

unsigned int msix_nvec(const struct pci_msix *m)
{
	return m->n;
}

void msix_get_state(struct pci_msix *m, uint8_t *table, uint64_t *pba)
{
	pthread_mutex_lock(&m->lock);
	memcpy(table, m->table, m->n * 16);
	memcpy(pba, m->pba, sizeof(m->pba));
	pthread_mutex_unlock(&m->lock);
}

void msix_set_state(struct pci_msix *m, const uint8_t *table,
		    const uint64_t *pba)
{
	unsigned int v;

	pthread_mutex_lock(&m->lock);
	memcpy(m->table, table, m->n * 16);
	memset(m->pba, 0, sizeof(m->pba));
	for (v = 0; v < m->n; v++) {
		/* vector control: only the mask bit exists */
		memset(m->table + v * 16 + 12, 0, 4);
		m->table[v * 16 + 12] = table[v * 16 + 12] & VEC_MASKED;
		if (pba[v / 64] >> (v % 64) & 1)
			m->pba[v / 64] |= 1ULL << (v % 64);
	}
	refresh(m);
	pthread_mutex_unlock(&m->lock);
}
