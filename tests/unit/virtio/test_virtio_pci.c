// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PCI bus and the virtio-pci transport without KVM: a VM skeleton
 * (fake guest RAM, no KVM VM: vm_fd -1, so routes and ioeventfds are only
 * recorded) with virtio-rng on it, driven the way a guest driver would,
 * through ports 0xcf8/0xcfc, ECAM and BAR MMIO: identity, capabilities,
 * BAR sizing, MSI-X masking and PBA, feature negotiation, a request, a
 * hostile descriptor giving NEEDS_RESET, reset and reuse; save and
 * restore of the bus and the transport.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <linux/kvm.h>

#include "vmm/kvm/irq.h"
#include "vmm/pci/pci.h"
#include "fake-vm.h"
#include "vmm/state/state.h"
#include "vmm/virtio/ring.h"
#include "vmm/virtio/rng.h"
#include "vmm/virtio/virtio-pci.h"
#include "vmm/vm.h"

#define RAM_SIZE (1ULL << 20)
#define DESC 0x10000ULL
#define AVAIL 0x11000ULL
#define USED 0x12000ULL
#define BUF 0x20000ULL

static struct vm vm;
static uint8_t *ram;

static uint64_t io(struct bus *b, uint64_t addr, unsigned int size, bool wr,
		   uint64_t v)
{
	return fake_io(b, addr, size, wr, v);
}

static uint32_t cf8_read(unsigned int slot, unsigned int reg)
{
	return fake_cf8_read(&vm, slot, reg);
}

static void cf8_write(unsigned int slot, unsigned int reg, unsigned int size,
		      uint32_t v)
{
	fake_cf8_write(&vm, slot, reg, size, v);
}

static uint32_t ecam_read(unsigned int slot, unsigned int reg,
			  unsigned int size)
{
	return io(&vm.mmio, PCI_ECAM_BASE + (slot << 15) + reg, size, false, 0);
}

static uint64_t bar0, bar1;

static uint64_t rd(uint64_t off, unsigned int size)
{
	return io(&vm.mmio, bar0 + off, size, false, 0);
}

static void wr(uint64_t off, unsigned int size, uint64_t v)
{
	io(&vm.mmio, bar0 + off, size, true, v);
}

static int setup(void **state)
{
	static struct vmm_config cfg;

	ram = calloc(1, RAM_SIZE);
	fake_vm_init(&vm, &cfg, ram, RAM_SIZE);
	assert_int_equal(virtio_rng_create(&vm, ""), 0);
	return 0;
}

static int teardown(void **state)
{
	fake_vm_destroy(&vm);
	free(ram);
	return 0;
}

static void test_bus(void **state)
{
	uint32_t bar;

	assert_non_null(vm.pci);
	assert_int_equal(vm.acpi.pci_ecam_base, PCI_ECAM_BASE);
	/* host bridge */
	assert_int_equal(cf8_read(0, 0), 0x0d578086);
	assert_int_equal(cf8_read(0, 8) >> 8, 0x060000);
	/* virtio-rng at 00:01.0 */
	assert_int_equal(cf8_read(1, 0), 0x10441af4);
	assert_int_equal(cf8_read(1, 8), 0xff000001);
	assert_int_equal(cf8_read(1, 0x2c), 0x11001af4);
	assert_int_equal(ecam_read(1, 0, 4), 0x10441af4);
	assert_int_equal(ecam_read(1, 2, 2), 0x1044);
	assert_int_equal(ecam_read(1, 0x100, 4), 0); /* no extended caps */
	/* absent devices and functions */
	assert_int_equal(cf8_read(7, 0), 0xffffffff);
	assert_int_equal(ecam_read(1, 1 << 12, 4), 0xffffffff);
	io(&vm.pio, 0xcf8, 4, true, 0x00000800); /* enable bit clear */
	assert_int_equal(io(&vm.pio, 0xcfc, 4, false, 0), 0xffffffff);
	/* BAR sizing */
	bar = cf8_read(1, 0x10);
	assert_int_equal(bar & 0x3fff, 0);
	assert_true(bar >= ACPI_PCI_MMIO32_DEFAULT_BASE);
	cf8_write(1, 0x10, 4, 0xffffffff);
	assert_int_equal(cf8_read(1, 0x10), 0xffffc000);
	cf8_write(1, 0x10, 4, bar);
	cf8_write(1, 0x14, 4, 0xffffffff);
	assert_int_equal(cf8_read(1, 0x14), 0xfffff000);
	cf8_write(1, 0x18, 4, 0xffffffff);
	assert_int_equal(cf8_read(1, 0x18), 0);
	/* read-only fields stay */
	cf8_write(1, 0, 4, 0);
	assert_int_equal(cf8_read(1, 0), 0x10441af4);
}

/* Find the capabilities: returns the MSI-X offset; fills virtio types. */
static unsigned int walk_caps(unsigned int *types)
{
	unsigned int p, n = 0, msix = 0;

	assert_true(cf8_read(1, 4) >> 16 & PCI_STATUS_CAP_LIST);
	for (p = cf8_read(1, 0x34) & 0xff; p; p = cf8_read(1, p) >> 8 & 0xff) {
		uint32_t h = cf8_read(1, p);

		assert_true(n++ < 16);
		if ((h & 0xff) == PCI_CAP_ID_MSIX)
			msix = p;
		else if ((h & 0xff) == PCI_CAP_ID_VNDR)
			*types |= 1u << (h >> 24);
	}
	return msix;
}

static void wait_used(uint16_t idx)
{
	struct virtq_used *u = (void *)(ram + USED);
	int i;

	for (i = 0;
	     i < 2000 && __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) != idx; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	assert_int_equal(u->idx, idx);
}

static void wait_status(uint8_t bits)
{
	int i;

	for (i = 0; i < 2000 && !(rd(0x14, 1) & bits); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	assert_true(rd(0x14, 1) & bits);
}

/*
 * Poll the ISR (reading clears it) until @bit was seen; the device sets
 * the status bit before it raises the config interrupt, so a driver that
 * saw NEEDS_RESET may still wait a moment for the interrupt.
 */
static void wait_isr(uint8_t bit)
{
	uint8_t seen = 0;
	int i;

	for (i = 0; i < 2000 && !(seen & bit); i++) {
		seen |= rd(VIRTIO_PCI_ISR_OFF, 1);
		if (!(seen & bit))
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	assert_int_equal(seen & bit, bit);
}

/* Driver initialisation up to DRIVER_OK with queue 0 of size 8. */
static void driver_init(void)
{
	wr(0x14, 1, 0);
	assert_int_equal(rd(0x14, 1), 0);
	wr(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(0x00, 4, 1);
	assert_int_equal(rd(0x04, 4), 1); /* VERSION_1 */
	wr(0x00, 4, 0);
	assert_int_equal(rd(0x04, 4), 3u << 28); /* INDIRECT, EVENT_IDX */
	/* without VERSION_1, FEATURES_OK does not stick */
	wr(0x08, 4, 0);
	wr(0x0c, 4, 1u << 28);
	wr(0x14, 1, 0xb);
	assert_int_equal(rd(0x14, 1), 3);
	/* an unoffered bit neither */
	wr(0x08, 4, 1);
	wr(0x0c, 4, 1 | 4);
	wr(0x14, 1, 0xb);
	assert_int_equal(rd(0x14, 1), 3);
	wr(0x0c, 4, 1);
	wr(0x14, 1, 0xb);
	assert_int_equal(rd(0x14, 1), 0xb);
	assert_int_equal(rd(0x12, 2), 1);
	wr(0x16, 2, 0);
	assert_int_equal(rd(0x18, 2), 256);
	wr(0x18, 2, 8);
	wr(0x1a, 2, 0);
	assert_int_equal(rd(0x1a, 2), 0);
	wr(0x1a, 2, 5); /* no such vector */
	assert_int_equal(rd(0x1a, 2), VIRTIO_MSI_NO_VECTOR);
	wr(0x1a, 2, 0);
	wr(0x20, 4, DESC); /* 64-bit fields in halves */
	wr(0x24, 4, 0);
	wr(0x28, 8, AVAIL);
	wr(0x30, 8, USED);
	assert_int_equal(rd(0x20, 8), DESC);
	wr(0x1c, 2, 1);
	assert_int_equal(rd(0x1c, 2), 1);
	wr(0x14, 1, 0xf);
	assert_int_equal(rd(0x14, 1), 0xf);
}

static void post(uint16_t head, uint64_t addr, uint32_t len)
{
	struct virtq_desc *d = (void *)(ram + DESC);
	struct virtq_avail *a = (void *)(ram + AVAIL);

	d[head] = (struct virtq_desc){ addr, len, VIRTQ_DESC_F_WRITE, 0 };
	a->ring[a->idx % 8] = head;
	__atomic_store_n(&a->idx, a->idx + 1, __ATOMIC_RELEASE);
	wr(VIRTIO_PCI_NOTIFY_OFF, 2, 0); /* kick queue 0 */
}

static void test_transport(void **state)
{
	struct virtq_used *u = (void *)(ram + USED);
	unsigned int types = 0, msix, i, nz = 0;
	uint8_t gen;

	msix = walk_caps(&types);
	assert_int_equal(types, 1u << 1 | 1u << 2 | 1u << 3 | 1u << 5);
	assert_int_not_equal(msix, 0);
	assert_int_equal(cf8_read(1, msix) >> 16 & 0x7ff, 1); /* 2 vectors */
	assert_int_equal(cf8_read(1, msix + 4), 1); /* table: BAR 1 + 0 */
	assert_int_equal(cf8_read(1, msix + 8), 0x801);
	bar0 = cf8_read(1, 0x10) & ~0xfu;
	bar1 = cf8_read(1, 0x14) & ~0xfu;
	/* no memory decoding yet: all ones */
	assert_int_equal(rd(0x12, 2), 0xffff);
	cf8_write(1, 4, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	driver_init();

	memset(ram + BUF, 0, 64);
	post(0, BUF, 64);
	wait_used(1);
	assert_int_equal(u->ring[0].id, 0);
	assert_int_equal(u->ring[0].len, 64);
	for (i = 0; i < 64; i++)
		nz += ram[BUF + i] != 0;
	assert_true(nz > 32);

	/* MSI-X is off: the queue's interrupt waits in the PBA */
	assert_int_equal(io(&vm.mmio, bar1 + PCI_MSIX_PBA_OFF, 8, false, 0) & 1,
			 1);
	assert_int_equal(io(&vm.mmio, bar1 + 12, 4, false, 0), 1); /* masked */
	io(&vm.mmio, bar1, 4, true, 0xfee00000);
	io(&vm.mmio, bar1 + 8, 4, true, 0x4041);
	assert_int_equal(io(&vm.mmio, bar1 + 8, 4, false, 0), 0x4041);
	cf8_write(1, msix + 2, 2, 0x8000); /* enable */
	assert_int_equal(io(&vm.mmio, bar1 + PCI_MSIX_PBA_OFF, 8, false, 0) & 1,
			 1); /* still masked */
	io(&vm.mmio, bar1 + 12, 4, true, 0); /* unmask: delivered */
	assert_int_equal(io(&vm.mmio, bar1 + PCI_MSIX_PBA_OFF, 8, false, 0), 0);
	assert_int_equal(rd(VIRTIO_PCI_ISR_OFF, 1) & 1, 1);
	assert_int_equal(rd(VIRTIO_PCI_ISR_OFF, 1), 0); /* read clears */

	/* hostile: a buffer outside guest RAM */
	gen = rd(0x15, 1);
	post(1, RAM_SIZE + 0x1000, 64);
	wait_status(VIRTIO_STATUS_NEEDS_RESET);
	wait_isr(2);
	assert_int_not_equal(rd(0x15, 1), gen);
	assert_int_equal(u->idx, 1); /* nothing more used */

	/* reset, then the device works again */
	wr(0x14, 1, 0);
	assert_int_equal(rd(0x14, 1), 0);
	assert_int_equal(rd(0x1c, 2), 0);
	assert_int_equal(rd(0x18, 2), 256);
	memset(ram + DESC, 0, 0x3000);
	driver_init();
	post(0, BUF + 0x100, 32);
	wait_used(1);
	assert_int_equal(u->ring[0].len, 32);

	/* a queue whose rings are outside RAM fails at enable */
	wr(0x14, 1, 0);
	wr(0x14, 1, 3);
	wr(0x08, 4, 1);
	wr(0x0c, 4, 1);
	wr(0x14, 1, 0xb);
	wr(0x20, 8, RAM_SIZE);
	wr(0x1c, 2, 1);
	assert_int_equal(rd(0x1c, 2), 0);
	assert_true(rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* DRIVER_OK without FEATURES_OK */
	wr(0x14, 1, 0);
	wr(0x14, 1, 7);
	assert_true(rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/* The virtio PCI_CFG window: BAR 0 registers through config space. */
static void test_pci_cfg_window(void **state)
{
	unsigned int p, c = 0;

	for (p = cf8_read(1, 0x34) & 0xff; p; p = cf8_read(1, p) >> 8 & 0xff)
		if ((cf8_read(1, p) & 0xff) == PCI_CAP_ID_VNDR &&
		    cf8_read(1, p) >> 24 == 5)
			c = p;
	assert_int_not_equal(c, 0);
	assert_int_equal(cf8_read(1, c) >> 16 & 0xff, 20); /* cap_len */
	/* works without memory decoding: num_queues at 0x12, 2 bytes */
	cf8_write(1, c + 4, 1, 0);
	cf8_write(1, c + 8, 4, 0x12);
	cf8_write(1, c + 12, 4, 2);
	assert_int_equal(cf8_read(1, c + 16) & 0xffff, 1);
	/* a write: device_status = ACKNOWLEDGE, read back */
	cf8_write(1, c + 8, 4, 0x14);
	cf8_write(1, c + 12, 4, 1);
	cf8_write(1, c + 16, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	cf8_write(1, c + 16, 4, 0); /* another write: status 0 = reset */
	cf8_write(1, c + 16, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(cf8_read(1, c + 16) & 0xff, VIRTIO_STATUS_ACKNOWLEDGE);
	/* bad length or BAR: nothing happens, no crash */
	cf8_write(1, c + 12, 4, 3);
	cf8_read(1, c + 16);
	cf8_write(1, c + 12, 4, 4);
	cf8_write(1, c + 8, 4, 0xfffffffc);
	cf8_read(1, c + 16);
	cf8_write(1, c + 4, 1, 5);
	cf8_write(1, c + 16, 4, 0);
}

/* GSI routing keeps KVM's default irqchip routes beside MSI routes. */
static void test_routes(void **state)
{
	struct kvm_irq_routing_entry e[64];
	struct irq_router *r = irq_router_new();
	unsigned int n, i, msi = 0;
	int g;

	assert_non_null(r);
	n = irq_router_fill(r, e, 64);
	assert_int_equal(n, 24 + 16 - 1);
	for (i = 0; i < n; i++)
		assert_int_equal(e[i].type, KVM_IRQ_ROUTING_IRQCHIP);
	/* GSI 0 (the PIT): IOAPIC pin 2, as the MADT override says */
	assert_int_equal(e[0].gsi, 0);
	assert_int_equal(e[0].u.irqchip.irqchip, KVM_IRQCHIP_IOAPIC);
	assert_int_equal(e[0].u.irqchip.pin, 2);
	assert_int_equal(e[1].u.irqchip.irqchip, KVM_IRQCHIP_PIC_MASTER);
	assert_int_equal(e[1].u.irqchip.pin, 0);
	/* GSI 2: only the PIC, so IOAPIC pin 2 maps back to GSI 0 alone */
	assert_int_equal(e[4].gsi, 2);
	assert_int_equal(e[4].u.irqchip.irqchip, KVM_IRQCHIP_PIC_MASTER);
	assert_int_equal(e[5].gsi, 3);
	assert_int_equal(e[5].u.irqchip.pin, 3);
	for (i = 1; i < n; i++)
		assert_false(e[i].u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC &&
			     e[i].u.irqchip.pin == 2);
	/* GSI 9: IOAPIC pin 9 and PIC slave pin 1 */
	assert_int_equal(e[17].gsi, 9);
	assert_int_equal(e[17].u.irqchip.pin, 9);
	assert_int_equal(e[18].u.irqchip.irqchip, KVM_IRQCHIP_PIC_SLAVE);
	assert_int_equal(e[18].u.irqchip.pin, 1);
	/* GSI 23: IOAPIC only, last default */
	assert_int_equal(e[38].gsi, 23);
	assert_int_equal(e[38].u.irqchip.irqchip, KVM_IRQCHIP_IOAPIC);
	g = irq_router_alloc(r, 4);
	assert_int_equal(g, 24);
	assert_int_equal(irq_router_alloc(r, IRQ_MAX_MSI), -ENOSPC);
	assert_int_equal(irq_router_set_msi(r, 23, 0xfee00000, 0, true),
			 -EINVAL);
	assert_int_equal(irq_router_set_msi(r, 28, 0xfee00000, 0, true),
			 -EINVAL);
	assert_int_equal(irq_router_set_msi(r, 26, 0xfee01000, 0x41, true), 0);
	n = irq_router_fill(r, e, 64);
	assert_int_equal(n, 40);
	for (i = 0; i < n; i++)
		if (e[i].type == KVM_IRQ_ROUTING_MSI) {
			msi++;
			assert_int_equal(e[i].gsi, 26);
			assert_int_equal(e[i].u.msi.address_lo, 0xfee01000);
			assert_int_equal(e[i].u.msi.data, 0x41);
		}
	assert_int_equal(msi, 1);
	/* the device's vector got a route once unmasked (test_transport) */
	assert_int_equal(irq_router_commit(r, -1, false), 0);
	assert_int_equal(irq_router_commits(r), 1);
	assert_int_equal(irq_router_commit(r, -1, false), 0);
	assert_int_equal(irq_router_commits(r), 1); /* unchanged: no ioctl */
	irq_router_set_msi(r, 26, 0, 0, false);
	assert_int_equal(irq_router_fill(r, e, 64), 39);
	irq_router_free(r);
}

/* What state_save does with the hooks: quiesce all, save all, resume. */
static void save_all(struct state_writer *w)
{
	fake_quiesce_all(&vm);
	fake_save_all(&vm, w);
	fake_resume_all(&vm);
}

static void reset_all(void)
{
	fake_reset_all(&vm);
}

static int load(unsigned int i, const struct state_writer *w)
{
	return vm.state_hooks[i].load(&vm, vm.state_hooks[i].opaque, w->buf,
				      w->len);
}

/*
 * Save a working device, reset everything, load: registers, MSI-X and
 * queue indices come back and the next request lands in used slot 1.
 * Then forged states are refused.
 */
static void test_save_restore(void **state)
{
	static struct state_writer w[2], bad;
	struct virtq_used *u = (void *)(ram + USED);
	unsigned int types = 0, msix = walk_caps(&types);
	uint32_t qstate_off;

	assert_int_equal(vm.nstate_hooks, 2); /* pci bus, virtio-rng */
	bar0 = cf8_read(1, 0x10) & ~0xfu;
	bar1 = cf8_read(1, 0x14) & ~0xfu;
	cf8_write(1, 4, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	driver_init();
	io(&vm.mmio, bar1, 4, true, 0xfee00000);
	io(&vm.mmio, bar1 + 8, 4, true, 0x4041);
	io(&vm.mmio, bar1 + 12, 4, true, 0);
	cf8_write(1, msix + 2, 2, 0x8000);
	post(0, BUF, 16);
	wait_used(1);
	save_all(w);
	/* the device goes on after a save */
	post(1, BUF + 0x40, 16);
	wait_used(2);

	reset_all();
	assert_int_equal(cf8_read(1, 4) & PCI_COMMAND_MEMORY, 0);
	assert_int_equal(load(0, &w[0]), 0);
	assert_int_equal(cf8_read(1, 4) & 7,
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(cf8_read(1, msix) >> 16 & 0x8000, 0x8000);
	assert_int_equal(io(&vm.mmio, bar1 + 8, 4, false, 0), 0x4041);
	assert_int_equal(io(&vm.mmio, bar1 + 12, 4, false, 0), 0);
	assert_int_equal(rd(0x14, 1), 0); /* transport not loaded yet */
	/* RAM as saved (a restore maps it first): used idx 1, avail idx 1 */
	__atomic_store_n(&u->idx, 1, __ATOMIC_RELEASE);
	((struct virtq_avail *)(ram + AVAIL))->idx = 1;
	assert_int_equal(load(1, &w[1]), 0);
	assert_int_equal(rd(0x14, 1), 0xf);
	wr(0x16, 2, 0);
	assert_int_equal(rd(0x1c, 2), 1);
	assert_int_equal(rd(0x18, 2), 8);
	assert_int_equal(rd(0x20, 8), DESC);
	assert_int_equal(rd(0x30, 8), USED);
	assert_int_equal(rd(0x1a, 2), 0);
	post(2, BUF + 0x80, 24);
	wait_used(2);
	assert_int_equal(u->ring[1].id, 2);
	assert_int_equal(u->ring[1].len, 24);

	/* forged or foreign states: refused, no crash */
	reset_all();
	bad = w[1];
	bad.len--;
	assert_int_equal(load(1, &bad), -EINVAL);
	bad = w[1];
	bad.buf[4] ^= 1; /* device id */
	assert_int_equal(load(1, &bad), -EINVAL);
	bad = w[1];
	qstate_off = 40; /* after struct vpci_state */
	bad.buf[qstate_off + 24] = 6; /* queue size not a power of two */
	assert_int_equal(load(1, &bad), -EINVAL);
	bad = w[1];
	bad.buf[qstate_off] = 0x08; /* desc ring misaligned */
	assert_int_equal(load(1, &bad), -EINVAL);
	bad = w[1];
	bad.buf[qstate_off + 7] = 0x40; /* rings outside RAM */
	assert_int_equal(load(1, &bad), -EINVAL);
	bad = w[1];
	bad.buf[8 + 3] = 0x80; /* an unoffered feature */
	assert_int_equal(load(1, &bad), -EINVAL);
	bad = w[0];
	bad.buf[4] = 7; /* function count */
	assert_int_equal(load(0, &bad), -EINVAL);
	bad = w[0];
	bad.len += 8;
	assert_int_equal(load(0, &bad), -EINVAL);
	/* nothing was applied: decoding off, status 0 */
	assert_int_equal(cf8_read(1, 4) & PCI_COMMAND_MEMORY, 0);
	cf8_write(1, 4, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(rd(0x14, 1), 0);
}

static void test_second_rng(void **state)
{
	assert_int_equal(virtio_rng_create(&vm, ""), -EINVAL);
	assert_int_equal(virtio_rng_create(&vm, "x"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pci_cfg_window, setup,
						teardown),
		cmocka_unit_test(test_routes),
		cmocka_unit_test_setup_teardown(test_save_restore, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_second_rng, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
