// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-balloon without KVM: the PFN and statistics parsers on their
 * own, then the device on the virtio-pci transport in a VM skeleton
 * (page-aligned fake RAM, vm_fd -1), driven the way Linux's driver does:
 * target through config space, inflate with real discards, actual and
 * its BALLOON_CHANGE event (through the VM's event sink), a stats buffer kept and given back by the
 * polling timer, quiesce/save/load, hostile queues. Then the QMP
 * handlers of balloon-cmd.c (balloon, query-balloon, qom-*).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <cmocka.h>

#include "fake-vm.h"
#include <json-c/json.h>

#include "vmm/control/ctl.h"
#include "vmm/pci/pci.h"
#include "vmm/state/state.h"
#include "vmm/virtio/balloon.h"
#include "vmm/virtio/ring.h"
#include "vmm/virtio/virtio-pci.h"
#include "vmm/vm.h"

#define PAGE 4096ULL
#define RAM_SIZE (1ULL << 20) /* 256 pages */
#define QSIZE 8
#define RING(q) (0x10000ULL + (q)*0x3000ULL) /* desc; avail +1000 ... */
#define PFNBUF 0x40000ULL
#define STATBUF 0x41000ULL
#define VICTIM 0x80000ULL /* pages 128..135 get inflated */

static struct vm vm;
static struct vmm_config cfg;
static uint8_t *ram;
static uint64_t bar0;

/* ---- what the rest of wirt-vmm would provide ------------------------ */

/* Events the device emitted: the last BALLOON_CHANGE and a count. */
static int64_t last_change = -1;
static unsigned int nchanges;

/* The VM's event sink, as control.c installs it: count BALLOON_CHANGE. */
static void on_event(void *opaque, struct vm *v, enum vm_event ev, uint64_t arg)
{
	if (ev != VM_EV_BALLOON_CHANGE)
		return;
	__atomic_store_n(&last_change, (int64_t)arg, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&nchanges, 1, __ATOMIC_SEQ_CST);
}

/* ---- the parsers -------------------------------------------------------- */

static void put_stat(uint8_t *p, uint16_t tag, uint64_t val)
{
	memcpy(p, &tag, 2);
	memcpy(p + 2, &val, 8);
}

static void test_parse_stats(void **state)
{
	uint8_t buf[BALLOON_STAT_ENTRY * 80];
	struct iovec iov[2];
	uint64_t v[BALLOON_NR_STATS];
	unsigned int i;

	put_stat(buf, 4, 111); /* free memory */
	put_stat(buf + 10, 42, 7); /* unknown tag: ignored */
	put_stat(buf + 20, 5, 222); /* total memory */
	put_stat(buf + 30, 0, 333); /* swap in */
	/* split inside the second entry, plus 5 bytes of a partial entry */
	iov[0] = (struct iovec){ buf, 13 };
	iov[1] = (struct iovec){ buf + 13, 40 - 13 + 5 };
	assert_int_equal(balloon_parse_stats(iov, 2, 45, v), 4);
	assert_int_equal(v[4], 111);
	assert_int_equal(v[5], 222);
	assert_int_equal(v[0], 333);
	assert_true(v[1] == BALLOON_STAT_NONE && v[9] == BALLOON_STAT_NONE);
	/* the length says more than the buffers hold: stop at their end */
	assert_int_equal(balloon_parse_stats(iov, 2, 100, v), 4);
	/* a huge buffer: only the first BALLOON_MAX_STAT_ENTRIES count */
	for (i = 0; i < 80; i++)
		put_stat(buf + 10 * i, 99, 0);
	put_stat(buf + 10 * 10, 6, 5);
	put_stat(buf + 10 * (BALLOON_MAX_STAT_ENTRIES + 1), 7, 9);
	iov[0] = (struct iovec){ buf, sizeof(buf) };
	assert_int_equal(balloon_parse_stats(iov, 1, sizeof(buf), v),
			 BALLOON_MAX_STAT_ENTRIES);
	assert_int_equal(v[6], 5);
	assert_true(v[7] == BALLOON_STAT_NONE);
	assert_string_equal(balloon_stat_name(5), "stat-total-memory");
	assert_null(balloon_stat_name(BALLOON_NR_STATS));
}

static void test_pages(void **state)
{
	uint8_t *m = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gmem mem = { .r = { { 0x100000, 16 * PAGE, m } }, .n = 1 };
	/* out of order, one twice, three outside RAM */
	static const uint32_t pfn[8] = { 0x103, 0x101, 0x99,	   0x110,
					 0x105, 0x102, 0xffffffff, 0x101 };
	uint8_t raw[sizeof(pfn) + 2];
	static struct vq_elem e;
	size_t bad;
	unsigned int i;

	assert_true(m != MAP_FAILED);
	memset(m, 0xaa, 16 * PAGE);
	memcpy(raw, pfn, sizeof(pfn));
	e.n_out = 2;
	e.out[0] = (struct iovec){ raw, 6 }; /* a PFN split in two */
	e.out[1] = (struct iovec){ raw + 6, sizeof(raw) - 6 };
	e.out_len = sizeof(raw); /* 2 trailing bytes: ignored */
	/* deflate: nothing changes */
	assert_int_equal(balloon_pages(&mem, &e, false, &bad), 5);
	assert_int_equal(bad, 3); /* below, just past, far past RAM */
	assert_int_equal(m[PAGE], 0xaa);
	/* inflate: pages 1, 2, 3 and 5 are discarded, 4 and 0 stay */
	assert_int_equal(balloon_pages(&mem, &e, true, &bad), 5);
	assert_int_equal(bad, 3);
	for (i = 0; i < 16; i++) {
		uint8_t want = (i >= 1 && i <= 3) || i == 5 ? 0 : 0xaa;

		assert_int_equal(m[i * PAGE], want);
		assert_int_equal(m[i * PAGE + PAGE - 1], want);
	}
	munmap(m, 16 * PAGE);
}

/* ---- the device on the transport ------------------------------------- */

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

static uint64_t rd(uint64_t off, unsigned int size)
{
	return io(&vm.mmio, bar0 + off, size, false, 0);
}

static void wr(uint64_t off, unsigned int size, uint64_t v)
{
	io(&vm.mmio, bar0 + off, size, true, v);
}

static struct vballoon *bl;

static int setup(void **state)
{
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ram != MAP_FAILED);
	fake_vm_init(&vm, &cfg, ram, RAM_SIZE);
	vm_set_events(&vm, &(struct vm_events){ on_event, NULL });
	assert_null(virtio_balloon_find(&vm));
	assert_int_equal(virtio_balloon_create(&vm, ""), 0);
	bl = virtio_balloon_find(&vm);
	assert_non_null(bl);
	bar0 = cf8_read(1, 0x10) & ~0xfu;
	cf8_write(1, 4, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 0;
}

static int teardown(void **state)
{
	fake_vm_destroy(&vm);
	munmap(ram, RAM_SIZE);
	return 0;
}

static struct virtq_used *used(unsigned int q)
{
	return (void *)(ram + RING(q) + 0x2000);
}

/* Reset, negotiate VERSION_1 | STATS_VQ and start queues 0..2. */
static void driver_init(void)
{
	unsigned int q;

	wr(0x14, 1, 0);
	memset(ram + RING(0), 0, 3 * 0x3000);
	wr(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(0x08, 4, 0);
	wr(0x0c, 4, 1u << VIRTIO_BALLOON_F_STATS_VQ);
	wr(0x08, 4, 1);
	wr(0x0c, 4, 1);
	wr(0x14, 1, 0xb);
	assert_int_equal(rd(0x14, 1), 0xb);
	for (q = 0; q < 3; q++) {
		wr(0x16, 2, q);
		wr(0x18, 2, QSIZE);
		wr(0x20, 8, RING(q));
		wr(0x28, 8, RING(q) + 0x1000);
		wr(0x30, 8, RING(q) + 0x2000);
		wr(0x1c, 2, 1);
	}
	wr(0x14, 1, 0xf);
	assert_int_equal(rd(0x14, 1), 0xf);
}

/* Offer one driver-readable buffer on queue q (descriptor = slot). */
static void post(unsigned int q, uint64_t addr, uint32_t len)
{
	struct virtq_desc *d = (void *)(ram + RING(q));
	struct virtq_avail *a = (void *)(ram + RING(q) + 0x1000);
	uint16_t slot = a->idx % QSIZE;

	d[slot] = (struct virtq_desc){ addr, len, 0, 0 };
	a->ring[slot] = slot;
	__atomic_store_n(&a->idx, a->idx + 1, __ATOMIC_RELEASE);
	wr(VIRTIO_PCI_NOTIFY_OFF + q * VIRTIO_PCI_NOTIFY_MULT, 2, q);
}

/* Wait until queue q's used index is idx (at most ms milliseconds). */
static void wait_used(unsigned int q, uint16_t idx, int ms)
{
	int i;

	for (i = 0;
	     i < ms && __atomic_load_n(&used(q)->idx, __ATOMIC_ACQUIRE) != idx;
	     i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	assert_int_equal(used(q)->idx, idx);
}

/* Wait until the device parsed a report with stats tag = val. */
static void wait_stat(unsigned int tag, uint64_t val)
{
	struct balloon_stats s;
	int i;

	for (i = 0; i < 2000; i++) {
		virtio_balloon_get_stats(bl, &s);
		if (s.v[tag] == val)
			return;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	fail_msg("the device did not parse the stats buffer (tag %u)", tag);
}

/* Fill the stats buffer as the guest driver would. */
static void guest_stats(uint64_t free_mem, uint64_t total)
{
	put_stat(ram + STATBUF, 4, free_mem);
	put_stat(ram + STATBUF + 10, 5, total);
	put_stat(ram + STATBUF + 20, 6, free_mem / 2);
}

static void test_identity_target_inflate(void **state)
{
	uint32_t *pfn = (void *)(ram + PFNBUF);
	unsigned int i, n0 = nchanges;
	uint8_t isr;

	assert_int_equal(cf8_read(1, 0), 0x10451af4); /* 1af4:1045 */
	wr(0x00, 4, 0);
	assert_int_equal(rd(0x04, 4) & 0xff, 1u << VIRTIO_BALLOON_F_STATS_VQ);
	assert_int_equal(rd(0x12, 2), 3);
	driver_init();
	assert_int_equal(rd(VIRTIO_PCI_DEVCFG_OFF, 4), 0); /* num_pages */
	assert_int_equal(virtio_balloon_actual(bl), RAM_SIZE);

	/* target: 8 pages less than all RAM; the config interrupt */
	(void)rd(VIRTIO_PCI_ISR_OFF, 1);
	assert_int_equal(virtio_balloon_set_target(bl, 0), -EINVAL);
	assert_int_equal(virtio_balloon_set_target(bl, RAM_SIZE - 8 * PAGE), 0);
	assert_int_equal(rd(VIRTIO_PCI_DEVCFG_OFF, 4), 8);
	isr = rd(VIRTIO_PCI_ISR_OFF, 1);
	assert_int_equal(isr & 2, 2);
	/* the guest cannot change num_pages */
	wr(VIRTIO_PCI_DEVCFG_OFF, 4, 99);
	assert_int_equal(rd(VIRTIO_PCI_DEVCFG_OFF, 4), 8);
	assert_int_equal(nchanges, n0);

	/* inflate 8 pages plus one PFN outside RAM (ignored) */
	memset(ram + VICTIM - PAGE, 0x5a, 10 * PAGE);
	for (i = 0; i < 8; i++)
		pfn[i] = (VICTIM >> 12) + i;
	pfn[8] = RAM_SIZE >> 12;
	post(0, PFNBUF, 9 * 4 + 3); /* odd length */
	wait_used(0, 1, 2000);
	assert_int_equal(used(0)->ring[0].len, 0);
	for (i = 0; i < 8 * PAGE; i += 512)
		assert_int_equal(ram[VICTIM + i], 0);
	assert_int_equal(ram[VICTIM + 8 * PAGE], 0x5a); /* neighbours kept */
	assert_int_equal(ram[VICTIM - 1], 0x5a);
	assert_false(rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);

	/* the guest reports actual (byte-wise, too): BALLOON_CHANGE */
	wr(VIRTIO_PCI_DEVCFG_OFF + 4, 4, 8);
	assert_int_equal(nchanges, n0 + 1);
	assert_int_equal(last_change, RAM_SIZE - 8 * PAGE);
	assert_int_equal(virtio_balloon_actual(bl), RAM_SIZE - 8 * PAGE);
	wr(VIRTIO_PCI_DEVCFG_OFF + 4, 4, 8); /* unchanged: no event */
	assert_int_equal(nchanges, n0 + 1);
	wr(VIRTIO_PCI_DEVCFG_OFF + 4, 1, 4);
	assert_int_equal(rd(VIRTIO_PCI_DEVCFG_OFF + 4, 4), 4);
	assert_int_equal(last_change, RAM_SIZE - 4 * PAGE);
	/* a hostile actual above RAM: reported as no memory, no overflow */
	wr(VIRTIO_PCI_DEVCFG_OFF + 4, 4, 0xffffffff);
	assert_int_equal(virtio_balloon_actual(bl), 0);
	wr(VIRTIO_PCI_DEVCFG_OFF + 4, 4, 8);

	/* deflate: accepted, memory untouched */
	ram[VICTIM] = 1;
	post(1, PFNBUF, 8 * 4);
	wait_used(1, 1, 2000);
	assert_int_equal(ram[VICTIM], 1);
	/* a target above RAM means all of it */
	virtio_balloon_set_target(bl, 4 * RAM_SIZE);
	assert_int_equal(rd(VIRTIO_PCI_DEVCFG_OFF, 4), 0);
}

static void test_stats_timer(void **state)
{
	struct balloon_stats s;

	driver_init();
	guest_stats(1000, 4000);
	post(2, STATBUF, 3 * BALLOON_STAT_ENTRY);
	wait_stat(4, 1000);
	virtio_balloon_get_stats(bl, &s);
	assert_true(s.last_update > 1600000000);
	assert_int_equal(s.v[4], 1000);
	assert_int_equal(s.v[5], 4000);
	assert_int_equal(s.v[6], 500);
	assert_true(s.v[0] == BALLOON_STAT_NONE);
	/* no polling: the device keeps the buffer */
	nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	assert_int_equal(used(2)->idx, 0);
	/* polling every second gives it back */
	assert_int_equal(virtio_balloon_set_interval(bl, 1), 0);
	assert_int_equal(virtio_balloon_interval(bl), 1);
	wait_used(2, 1, 3000);
	assert_int_equal(used(2)->ring[0].len, 0);
	/* the guest answers with new numbers */
	guest_stats(2000, 4000);
	post(2, STATBUF, 3 * BALLOON_STAT_ENTRY);
	wait_used(2, 2, 3000);
	virtio_balloon_get_stats(bl, &s);
	assert_int_equal(s.v[4], 2000);
	assert_int_equal(virtio_balloon_set_interval(bl, 0), 0);
}

/* What state_save does: quiesce, save, resume (the balloon's hook). */
static unsigned int balloon_state_hook(void)
{
	unsigned int i;

	for (i = 0; i < vm.nstate_hooks; i++)
		if (!strcmp(vm.state_hooks[i].name, "virtio-balloon"))
			return i;
	fail_msg("no state hook for virtio-balloon");
	return 0;
}

static void test_save_load(void **state)
{
	static struct state_writer w[4], bad;
	unsigned int h = balloon_state_hook(), i;
	const struct vm_state_hook *sh = &vm.state_hooks[h];
	struct balloon_stats s;
	size_t dev_off;

	assert_true(vm.nstate_hooks <= 4);
	driver_init();
	virtio_balloon_set_target(bl, RAM_SIZE - 16 * PAGE);
	wr(VIRTIO_PCI_DEVCFG_OFF + 4, 4, 16);
	guest_stats(3000, 5000);
	post(2, STATBUF, 3 * BALLOON_STAT_ENTRY);
	wait_stat(4, 3000);
	assert_int_equal(virtio_balloon_set_interval(bl, 7), 0);
	/* as state_save: quiesce all (the held stats buffer goes back) */
	fake_quiesce_all(&vm);
	assert_int_equal(used(2)->idx, 1);
	fake_save_all(&vm, w);
	fake_resume_all(&vm);

	/* a guest reboot forgets everything the driver did */
	nchanges = 0;
	fake_reset_all(&vm);
	assert_int_equal(nchanges, 1);
	assert_int_equal(last_change, RAM_SIZE);
	assert_int_equal(virtio_balloon_actual(bl), RAM_SIZE);
	virtio_balloon_set_interval(bl, 0);

	/* as state_restore: every hook in order */
	for (i = 0; i < vm.nstate_hooks; i++)
		assert_int_equal(
			vm.state_hooks[i].load(&vm, vm.state_hooks[i].opaque,
					       w[i].buf, w[i].len),
			0);
	assert_int_equal(virtio_balloon_actual(bl), RAM_SIZE - 16 * PAGE);
	assert_int_equal(rd(VIRTIO_PCI_DEVCFG_OFF, 4), 16);
	assert_int_equal(virtio_balloon_interval(bl), 7);
	virtio_balloon_get_stats(bl, &s);
	assert_int_equal(s.v[5], 5000);
	assert_int_equal(rd(0x14, 1), 0xf);

	/* forged device bytes (the balloon's part is the last 104) */
	dev_off = w[h].len - 104;
	bad = w[h];
	bad.len = w[h].len - 1; /* truncated */
	assert_int_equal(sh->load(&vm, sh->opaque, bad.buf, bad.len), -EINVAL);
	bad = w[h];
	bad.buf[dev_off] = 2; /* version */
	assert_int_equal(sh->load(&vm, sh->opaque, bad.buf, bad.len), -EINVAL);
	bad = w[h];
	memset(bad.buf + dev_off + 4, 0xff, 4); /* num_pages > RAM */
	assert_int_equal(sh->load(&vm, sh->opaque, bad.buf, bad.len), -EINVAL);
	bad = w[h];
	memset(bad.buf + dev_off + 8, 0xff, 4); /* actual > RAM */
	assert_int_equal(sh->load(&vm, sh->opaque, bad.buf, bad.len), -EINVAL);

	/* a guest that wrote an actual above RAM is still saved and loaded */
	wr(VIRTIO_PCI_DEVCFG_OFF + 4, 4, 0xffffffff);
	fake_quiesce_all(&vm);
	fake_save_all(&vm, w);
	fake_resume_all(&vm);
	assert_int_equal(sh->load(&vm, sh->opaque, w[h].buf, w[h].len), 0);
	assert_int_equal(virtio_balloon_actual(bl), 0);
	virtio_balloon_set_interval(bl, 0);
}

static void test_hostile(void **state)
{
	driver_init();
	/* a stats descriptor outside RAM: NEEDS_RESET, no crash */
	post(2, RAM_SIZE - 4, 64);
	for (int i = 0; i < 2000 && !(rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	     i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	assert_true(rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* after a reset the device works again */
	driver_init();
	post(0, PFNBUF, 4);
	wait_used(0, 1, 2000);
	/* a huge stats buffer: the first 64 entries count, no crash */
	memset(ram + STATBUF, 0, 0x8000);
	put_stat(ram + STATBUF, 5, 77);
	post(2, STATBUF, 0x8000);
	wait_stat(5, 77);
	assert_false(rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/* ---- QMP --------------------------------------------------------------- */

/* Run handler fn with the JSON arguments text; returns 0 or -1. */
static int qmp(qmp_handler fn, const char *args, struct json_object **ret,
	       struct qmp_error *err)
{
	struct json_object *a = json_tokener_parse(args);
	int r;

	*ret = NULL;
	memset(err, 0, sizeof(*err));
	r = fn(&vm, a, ret, err);
	json_object_put(a);
	return r;
}

static void test_qmp(void **state)
{
	struct json_object *ret, *st;
	struct qmp_error err;

	driver_init();
	assert_int_equal(qmp(cmd_balloon, "{\"value\": 0}", &ret, &err), -1);
	assert_string_equal(err.cls, QMP_ERR_GENERIC);
	assert_int_equal(qmp(cmd_balloon, "{\"value\": 917504}", &ret, &err),
			 0);
	assert_int_equal(rd(VIRTIO_PCI_DEVCFG_OFF, 4), 32); /* 1M - 896K */
	wr(VIRTIO_PCI_DEVCFG_OFF + 4, 4, 32);
	assert_int_equal(qmp(cmd_query_balloon, "{}", &ret, &err), 0);
	assert_int_equal(
		json_object_get_int64(json_object_object_get(ret, "actual")),
		917504);
	json_object_put(ret);

	/* QOM */
	assert_int_equal(qmp(cmd_qom_list,
			     "{\"path\": \"/machine/peripheral\"}", &ret, &err),
			 0);
	assert_string_equal(
		json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PLAIN),
		"[{\"name\":\"balloon0\",\"type\":"
		"\"child<virtio-balloon-pci>\"}]");
	json_object_put(ret);
	assert_int_equal(qmp(cmd_qom_set,
			     "{\"path\": \"/machine/peripheral/balloon0\", "
			     "\"property\": \"guest-stats-polling-interval\", "
			     "\"value\": 5}",
			     &ret, &err),
			 0);
	assert_int_equal(virtio_balloon_interval(bl), 5);
	assert_int_equal(qmp(cmd_qom_set,
			     "{\"path\": \"balloon0\", \"property\": "
			     "\"guest-stats-polling-interval\", \"value\": -1}",
			     &ret, &err),
			 -1);
	assert_int_equal(qmp(cmd_qom_get,
			     "{\"path\": \"/machine/peripheral/balloon0\", "
			     "\"property\": \"guest-stats\"}",
			     &ret, &err),
			 0);
	st = json_object_object_get(ret, "stats");
	assert_non_null(st);
	assert_non_null(json_object_object_get(ret, "last-update"));
	assert_non_null(json_object_object_get(st, "stat-total-memory"));
	assert_non_null(json_object_object_get(st, "stat-htlb-pgfail"));
	assert_int_equal(json_object_object_length(st), BALLOON_NR_STATS);
	json_object_put(ret);
	assert_int_equal(qmp(cmd_qom_get,
			     "{\"path\": \"/machine/peripheral/balloon0\", "
			     "\"property\": \"x\"}",
			     &ret, &err),
			 -1);
	assert_string_equal(err.cls, QMP_ERR_GENERIC);
	assert_string_equal(err.desc,
			    "Property 'virtio-balloon-pci.x' not found");
	assert_int_equal(qmp(cmd_qom_get,
			     "{\"path\": \"/machine/nope\", \"property\": "
			     "\"guest-stats\"}",
			     &ret, &err),
			 -1);
	assert_string_equal(err.cls, QMP_ERR_DEV_NOT_FOUND);
	virtio_balloon_set_interval(bl, 0);
}

/* Without --balloon: QEMU's DeviceNotActive. */
static void test_qmp_no_balloon(void **state)
{
	struct vm saved = vm;
	struct json_object *ret;
	struct qmp_error err;

	vm.nhooks = 0;
	assert_int_equal(qmp(cmd_query_balloon, "{}", &ret, &err), -1);
	assert_string_equal(err.cls, QMP_ERR_NOT_ACTIVE);
	assert_string_equal(err.desc, "No balloon device has been activated");
	assert_int_equal(qmp(cmd_balloon, "{\"value\": 1024}", &ret, &err), -1);
	assert_string_equal(err.cls, QMP_ERR_NOT_ACTIVE);
	vm = saved;
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_parse_stats),
		cmocka_unit_test(test_pages),
	};
	const struct CMUnitTest dev[] = {
		cmocka_unit_test(test_identity_target_inflate),
		cmocka_unit_test(test_stats_timer),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_qmp),
		cmocka_unit_test(test_qmp_no_balloon),
	};
	int r = cmocka_run_group_tests(pure, NULL, NULL);

	return r | cmocka_run_group_tests(dev, setup, teardown);
}
