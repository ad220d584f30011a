// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-balloon: see balloon.h for the model.
 *
 * Threads: config space is read and written on vCPU threads (serialised
 * by the PCI bus lock); the inflate, deflate and stats queues and the
 * polling timer run in the device's evloop; QMP handlers call the
 * accessors from the control thread; quiesce runs on the saving thread.
 * num_pages and actual are atomics; the stats buffer held by the device,
 * the last report and the timer are guarded by b->lock.
 */
#include "vmm/virtio/balloon.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/state/state.h"
#include "vmm/virtio/virtio-pci.h"
#include "vmm/vm.h"

#define BALLOON_CONFIG_SIZE 8 /* le32 num_pages, le32 actual */
#define BALLOON_HOOK "virtio-balloon:qmp" /* lookup hook, no callbacks */
#define BALLOON_STATE_VERSION 1
#define PFN_BATCH 256

struct vballoon {
	struct vm *vm;
	struct virtio_dev *d;
	uint64_t mem_pages; /* VM memory in 4 KiB pages */
	uint32_t num_pages; /* atomic: pages the host wants in the balloon */
	uint32_t actual; /* atomic: pages the guest says it gave */
	struct vq_elem elem; /* inflate/deflate request (evloop only) */
	size_t bad_pfns; /* PFNs outside RAM seen (evloop only) */

	pthread_mutex_t lock; /* everything below */
	bool held; /* the guest's stats buffer is in stats_elem */
	struct vq_elem stats_elem;
	struct vq_elem stats_new; /* a buffer just popped */
	struct balloon_stats stats;
	uint32_t interval; /* seconds, 0: no polling */
	int timer_fd;
};

/* The saved device state (little-endian x86, one version). */
struct balloon_saved {
	uint32_t version;
	uint32_t num_pages;
	uint32_t actual;
	uint32_t interval;
	int64_t last_update;
	uint64_t stats[BALLOON_NR_STATS];
};

_Static_assert(sizeof(struct balloon_saved) == 24 + 8 * BALLOON_NR_STATS,
	       "no padding in the saved state");

static const char *const stat_names[BALLOON_NR_STATS] = {
	"stat-swap-in",		 "stat-swap-out",    "stat-major-faults",
	"stat-minor-faults",	 "stat-free-memory", "stat-total-memory",
	"stat-available-memory", "stat-disk-caches", "stat-htlb-pgalloc",
	"stat-htlb-pgfail",
};

const char *balloon_stat_name(unsigned int tag)
{
	return tag < BALLOON_NR_STATS ? stat_names[tag] : NULL;
}

unsigned int balloon_parse_stats(const struct iovec *iov, unsigned int n,
				 size_t len, uint64_t v[BALLOON_NR_STATS])
{
	unsigned int i,
		count = MIN(len / BALLOON_STAT_ENTRY, BALLOON_MAX_STAT_ENTRIES);
	uint8_t ent[BALLOON_STAT_ENTRY];

	for (i = 0; i < BALLOON_NR_STATS; i++)
		v[i] = BALLOON_STAT_NONE;
	for (i = 0; i < count; i++) {
		uint16_t tag;
		uint64_t val;

		if (iov_to_buf(iov, n, (size_t)i * BALLOON_STAT_ENTRY, ent,
			       sizeof(ent)) != sizeof(ent))
			return i;
		memcpy(&tag, ent, 2);
		memcpy(&val, ent + 2, 8);
		if (tag < BALLOON_NR_STATS)
			v[tag] = val;
	}
	return count;
}

/* qsort: host page addresses in ascending order. */
static int cmp_page(const void *x, const void *y)
{
	uintptr_t a = (uintptr_t) * (uint8_t *const *)x;
	uintptr_t b = (uintptr_t) * (uint8_t *const *)y;

	return a < b ? -1 : a > b;
}

/*
 * Discard the n host pages pg (sorted here): one madvise per run of
 * adjacent pages, as a guest's PFN list is rarely in order and every call
 * costs a TLB shootdown in KVM.
 */
static void discard_pages(uint8_t **pg, size_t n)
{
	uint8_t *start = NULL;
	size_t i, len = 0;

	qsort(pg, n, sizeof(*pg), cmp_page);
	for (i = 0; i < n; i++) {
		if (len && pg[i] < start + len)
			continue; /* the same page twice */
		if (len && pg[i] == start + len) {
			len += BALLOON_PAGE_SIZE;
			continue;
		}
		if (len)
			madvise(start, len, MADV_DONTNEED);
		start = pg[i];
		len = BALLOON_PAGE_SIZE;
	}
	if (len)
		madvise(start, len, MADV_DONTNEED);
}

size_t balloon_pages(const struct gmem *mem, const struct vq_elem *e,
		     bool discard, size_t *bad)
{
	size_t total = e->out_len / 4, off, ok = 0;
	uint32_t pfn[PFN_BATCH];
	uint8_t *pg[PFN_BATCH];

	*bad = 0;
	for (off = 0; off < total; off += PFN_BATCH) {
		size_t i, n = 0, k = MIN(total - off, (size_t)PFN_BATCH);

		if (iov_to_buf(e->out, e->n_out, off * 4, pfn, k * 4) != k * 4)
			break;
		for (i = 0; i < k; i++) {
			uint64_t gpa = (uint64_t)pfn[i] << BALLOON_PAGE_SHIFT;
			uint8_t *p = gmem_ptr(mem, gpa, BALLOON_PAGE_SIZE);

			if (!p) {
				(*bad)++;
				continue;
			}
			pg[n++] = p;
		}
		ok += n;
		if (discard)
			discard_pages(pg, n);
	}
	return ok;
}

/* ---- config space ------------------------------------------------------ */

static void config_image(struct vballoon *b, uint8_t *c)
{
	uint32_t np = __atomic_load_n(&b->num_pages, __ATOMIC_ACQUIRE);
	uint32_t act = __atomic_load_n(&b->actual, __ATOMIC_ACQUIRE);

	memcpy(c, &np, 4);
	memcpy(c + 4, &act, 4);
}

static void balloon_config_read(struct virtio_dev *d, size_t off, void *buf,
				size_t len)
{
	uint8_t c[BALLOON_CONFIG_SIZE];

	config_image(d->priv, c);
	if (off < sizeof(c) && len <= sizeof(c) - off)
		memcpy(buf, c + off, len);
}

/* Bytes of the guest's memory when it has given actual pages. */
static uint64_t actual_bytes(const struct vballoon *b, uint32_t actual)
{
	uint64_t pages = MIN((uint64_t)actual, b->mem_pages);

	return (b->mem_pages - pages) << BALLOON_PAGE_SHIFT;
}

/* Publish a new actual; BALLOON_CHANGE when it differs from the old. */
static void set_actual(struct vballoon *b, uint32_t actual)
{
	uint32_t old =
		__atomic_exchange_n(&b->actual, actual, __ATOMIC_ACQ_REL);

	if (old != actual)
		vm_emit(b->vm, VM_EV_BALLOON_CHANGE, actual_bytes(b, actual));
}

/* The guest writes actual (offset 4); num_pages is read-only for it. */
static void balloon_config_write(struct virtio_dev *d, size_t off,
				 const void *buf, size_t len)
{
	struct vballoon *b = d->priv;
	uint8_t c[BALLOON_CONFIG_SIZE];
	uint32_t act;

	if (off >= sizeof(c) || len > sizeof(c) - off || off + len <= 4)
		return;
	config_image(b, c);
	memcpy(c + off, buf, len);
	memcpy(&act, c + 4, 4);
	/* more than the VM has could not be saved and restored again */
	set_actual(b, MIN(act, b->mem_pages));
}

/* ---- queues ------------------------------------------------------------ */

/* evloop: serve every inflate (q 0) or deflate (q 1) request. */
static void pages_notify(struct vballoon *b, unsigned int q)
{
	struct virtio_dev *d = b->d;
	struct virtqueue *vq = &d->vqs[q];
	bool pushed = false;
	size_t bad;

	for (;;) {
		int n = vq_pop(vq, &b->elem);

		if (n < 0) {
			virtio_dev_fail(d, q ? "malformed deflate queue" :
					       "malformed inflate queue");
			return;
		}
		if (n == 0) {
			if (vq_enable_notify(vq))
				continue;
			break;
		}
		balloon_pages(d->mem, &b->elem, q == BALLOON_Q_INFLATE, &bad);
		if (bad && !b->bad_pfns)
			wirt_warn(
				"virtio-balloon: the guest gave %zu page numbers outside its RAM; ignored",
				bad);
		b->bad_pfns += bad;
		vq_push(vq, &b->elem, 0);
		pushed = true;
	}
	if (pushed)
		virtio_dev_interrupt(d, q);
}

/*
 * Give the held stats buffer back so the guest refills it, with its
 * interrupt. Under b->lock, which a device reset also takes before the
 * transport clears the queue: the timer thread never touches a queue
 * being reset.
 */
static void stats_release(struct vballoon *b)
{
	struct virtqueue *vq = &b->d->vqs[BALLOON_Q_STATS];

	if (!b->held)
		return;
	b->held = false;
	if (!__atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE))
		return; /* failed or reset: the ring is not ours */
	vq_push(vq, &b->stats_elem, 0);
	virtio_dev_interrupt(b->d, BALLOON_Q_STATS);
}

/*
 * evloop: the guest posted a stats buffer: parse it and keep it. A second
 * one while a buffer is held (only a broken guest does that) sends the
 * older back; a kick without a new buffer changes nothing.
 */
static void stats_notify(struct vballoon *b)
{
	struct virtio_dev *d = b->d;
	struct virtqueue *vq = &d->vqs[BALLOON_Q_STATS];
	int n;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		n = vq_pop(vq, &b->stats_new);
		if (n < 0) {
			pthread_mutex_unlock(&b->lock);
			virtio_dev_fail(d, "malformed stats queue");
			return;
		}
		if (n == 0) {
			if (vq_enable_notify(vq))
				continue;
			break;
		}
		stats_release(b);
		b->stats_elem = b->stats_new;
		balloon_parse_stats(b->stats_elem.out, b->stats_elem.n_out,
				    b->stats_elem.out_len, b->stats.v);
		b->stats.last_update = time(NULL);
		b->held = true;
	}
	pthread_mutex_unlock(&b->lock);
}

static void balloon_notify(struct virtio_dev *d, unsigned int q)
{
	struct vballoon *b = d->priv;

	if (q == BALLOON_Q_INFLATE || q == BALLOON_Q_DEFLATE)
		pages_notify(b, q);
	else if (q == BALLOON_Q_STATS &&
		 virtio_dev_has(d, VIRTIO_BALLOON_F_STATS_VQ))
		stats_notify(b);
}

/* evloop: the polling interval passed: ask the guest for fresh stats. */
static void timer_fn(void *opaque, int fd, uint32_t events)
{
	struct vballoon *b = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&b->lock);
	stats_release(b);
	pthread_mutex_unlock(&b->lock);
}

/* The driver reset the device: the held buffer is gone with the rings. */
static void balloon_reset(struct virtio_dev *d)
{
	struct vballoon *b = d->priv;

	pthread_mutex_lock(&b->lock);
	b->held = false;
	pthread_mutex_unlock(&b->lock);
	/* a new driver starts with all of its memory */
	set_actual(b, 0);
}

/* ---- save/restore ------------------------------------------------------ */

/* Nothing may stay in flight: the held stats buffer goes back. */
static int balloon_quiesce(struct virtio_dev *d)
{
	struct vballoon *b = d->priv;

	pthread_mutex_lock(&b->lock);
	stats_release(b);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

static int balloon_save(struct virtio_dev *d, struct state_writer *w)
{
	struct vballoon *b = d->priv;
	struct balloon_saved s = {
		.version = BALLOON_STATE_VERSION,
		.num_pages = __atomic_load_n(&b->num_pages, __ATOMIC_ACQUIRE),
		.actual = __atomic_load_n(&b->actual, __ATOMIC_ACQUIRE),
	};

	pthread_mutex_lock(&b->lock);
	s.interval = b->interval;
	s.last_update = b->stats.last_update;
	memcpy(s.stats, b->stats.v, sizeof(s.stats));
	pthread_mutex_unlock(&b->lock);
	return state_put(w, &s, sizeof(s));
}

static int balloon_load(struct virtio_dev *d, const void *buf, size_t len)
{
	struct vballoon *b = d->priv;
	struct balloon_saved s;

	if (len == 0)
		return 0;
	if (len != sizeof(s))
		return -EINVAL;
	memcpy(&s, buf, sizeof(s));
	if (s.version != BALLOON_STATE_VERSION || s.num_pages > b->mem_pages ||
	    s.actual > b->mem_pages || s.last_update < 0)
		return -EINVAL;
	__atomic_store_n(&b->num_pages, s.num_pages, __ATOMIC_RELEASE);
	__atomic_store_n(&b->actual, s.actual, __ATOMIC_RELEASE);
	pthread_mutex_lock(&b->lock);
	b->held = false;
	b->stats.last_update = s.last_update;
	memcpy(b->stats.v, s.stats, sizeof(s.stats));
	pthread_mutex_unlock(&b->lock);
	return virtio_balloon_set_interval(b, s.interval);
}

static void balloon_destroy(struct virtio_dev *d)
{
	struct vballoon *b = d->priv;

	/* the evloop has stopped: the timer fd can just go */
	if (b->timer_fd >= 0)
		close(b->timer_fd);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* The same device with and without DEFLATE_ON_OOM offered. */
/* clang-format off */
#define BALLOON_OPS(feat) {						\
	.name = "virtio-balloon",					\
	.device_id = VIRTIO_ID_BALLOON,					\
	.pci_class = 0x00ff, /* unclassified, other: as QEMU's */	\
	.num_queues = 3,						\
	.queue_max_size = 128,						\
	.features = (feat),						\
	.config_size = BALLOON_CONFIG_SIZE,				\
	.config_read = balloon_config_read,				\
	.config_write = balloon_config_write,				\
	.reset = balloon_reset,						\
	.queue_notify = balloon_notify,					\
	.destroy = balloon_destroy,					\
	.quiesce = balloon_quiesce,					\
	.save = balloon_save,						\
	.load = balloon_load,						\
}
/* clang-format on */

static const struct virtio_dev_ops balloon_ops[2] = {
	BALLOON_OPS(1ULL << VIRTIO_BALLOON_F_STATS_VQ),
	BALLOON_OPS(1ULL << VIRTIO_BALLOON_F_STATS_VQ |
		    1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM),
};

/* ---- the control side -------------------------------------------------- */

struct vballoon *virtio_balloon_find(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nhooks; i++)
		if (vm->hooks[i].name &&
		    !strcmp(vm->hooks[i].name, BALLOON_HOOK))
			return vm->hooks[i].opaque;
	return NULL;
}

int virtio_balloon_set_target(struct vballoon *b, uint64_t bytes)
{
	uint64_t keep;

	if (!bytes)
		return -EINVAL;
	keep = MIN(bytes >> BALLOON_PAGE_SHIFT, b->mem_pages);
	__atomic_store_n(&b->num_pages, (uint32_t)(b->mem_pages - keep),
			 __ATOMIC_RELEASE);
	virtio_dev_config_changed(b->d);
	return 0;
}

uint64_t virtio_balloon_actual(struct vballoon *b)
{
	return actual_bytes(b, __atomic_load_n(&b->actual, __ATOMIC_ACQUIRE));
}

void virtio_balloon_get_stats(struct vballoon *b, struct balloon_stats *s)
{
	pthread_mutex_lock(&b->lock);
	*s = b->stats;
	pthread_mutex_unlock(&b->lock);
}

int virtio_balloon_set_interval(struct vballoon *b, uint32_t seconds)
{
	struct itimerspec its = { .it_interval = { seconds, 0 },
				  .it_value = { seconds, 0 } };
	int r = 0;

	pthread_mutex_lock(&b->lock);
	if (timerfd_settime(b->timer_fd, 0, &its, NULL))
		r = -errno;
	else
		b->interval = seconds;
	pthread_mutex_unlock(&b->lock);
	return r;
}

uint32_t virtio_balloon_interval(struct vballoon *b)
{
	uint32_t s;

	pthread_mutex_lock(&b->lock);
	s = b->interval;
	pthread_mutex_unlock(&b->lock);
	return s;
}

/* ---- creation ---------------------------------------------------------- */

/* Parse the --balloon value; *oom gets deflate-on-oom. 0 or -EINVAL. */
static int parse_spec(const char *spec, bool *oom)
{
	char buf[128], *save = NULL, *tok;

	*oom = false;
	if (!spec || !*spec)
		return 0;
	if (strlen(spec) >= sizeof(buf)) {
		wirt_err("--balloon '%s': too long (use deflate-on-oom=on)",
			 spec);
		return -EINVAL;
	}
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "deflate-on-oom=on")) {
			*oom = true;
		} else if (!strcmp(tok, "deflate-on-oom=off")) {
			*oom = false;
		} else {
			wirt_err(
				"--balloon: unknown option '%s' (the only one is deflate-on-oom=on|off)",
				tok);
			return -EINVAL;
		}
	}
	return 0;
}

int virtio_balloon_create(struct vm *vm, const char *spec)
{
	struct vm_hook h = { .name = BALLOON_HOOK };
	struct vballoon *b;
	bool oom;
	int r;

	if (parse_spec(spec, &oom))
		return -EINVAL;
	if (virtio_balloon_find(vm)) {
		wirt_err(
			"--balloon: given twice; one balloon per VM (drop the second --balloon)");
		return -EINVAL;
	}
	if ((vm->cfg->memory >> BALLOON_PAGE_SHIFT) > UINT32_MAX) {
		wirt_err(
			"--balloon: the VM's memory is above the 16 TiB a balloon can describe");
		return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->vm = vm;
	b->mem_pages = vm->cfg->memory >> BALLOON_PAGE_SHIFT;
	pthread_mutex_init(&b->lock, NULL);
	b->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (b->timer_fd < 0) {
		r = -errno;
		wirt_err("--balloon: cannot create the stats timer: %s",
			 strerror(-r));
		goto fail;
	}
	for (r = 0; r < BALLOON_NR_STATS; r++)
		b->stats.v[r] = BALLOON_STAT_NONE;
	r = virtio_pci_add(vm, &balloon_ops[oom], b, &b->d);
	if (r) {
		wirt_err("--balloon: cannot add the virtio-balloon device: %s",
			 strerror(-r));
		goto fail;
	}
	/* from here the transport owns b (ops->destroy frees it) */
	r = evloop_add(b->d->loop, b->timer_fd, EPOLLIN, timer_fn, b);
	if (!r) {
		h.opaque = b;
		r = vm_add_hook(vm, &h);
	}
	if (r)
		wirt_err("--balloon: cannot set up the device: %s",
			 strerror(-r));
	return r;
fail:
	if (b->timer_fd >= 0)
		close(b->timer_fd);
	pthread_mutex_destroy(&b->lock);
	free(b);
	return r;
}
