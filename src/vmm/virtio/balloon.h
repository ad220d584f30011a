/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-balloon (virtio 1.2, 5.5): the host asks the guest to give back
 * memory (config num_pages, in 4 KiB pages), the guest hands page frame
 * numbers over the inflate queue (their host memory is discarded with
 * MADV_DONTNEED, so the VMM's RSS goes down) and takes them back over the
 * deflate queue, and reports memory statistics on the stats queue.
 *
 * Queues: 0 inflateq, 1 deflateq, 2 statsq (VIRTIO_BALLOON_F_STATS_VQ is
 * always offered; DEFLATE_ON_OOM with --balloon=deflate-on-oom=on).
 *
 * Statistics follow QEMU's model: the guest posts one buffer of
 * (le16 tag, le64 value) pairs; the device parses it and keeps it. Every
 * polling interval (0: never) it gives the buffer back, and the guest
 * answers with fresh numbers.
 *
 * The QMP side (control/balloon-cmd.c) reaches the device through
 * virtio_balloon_find() and the accessors below; all are thread-safe.
 */
#ifndef WIRT_VMM_VIRTIO_BALLOON_H
#define WIRT_VMM_VIRTIO_BALLOON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct vm;
struct gmem;
struct vq_elem;
struct vballoon;

/* Feature bits (virtio 1.2, 5.5.3) */
#define VIRTIO_BALLOON_F_MUST_TELL_HOST 0
#define VIRTIO_BALLOON_F_STATS_VQ 1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2

#define BALLOON_PAGE_SHIFT 12 /* PFNs and num_pages count 4 KiB pages */
#define BALLOON_PAGE_SIZE (1UL << BALLOON_PAGE_SHIFT)
#define BALLOON_Q_INFLATE 0
#define BALLOON_Q_DEFLATE 1
#define BALLOON_Q_STATS 2

/* Statistics tags (virtio 1.2, 5.5.6.3); QEMU's names in balloon.c. */
#define BALLOON_NR_STATS 10
#define BALLOON_STAT_ENTRY 10 /* packed le16 tag + le64 value */
/* most stats entries read from one buffer; the rest is ignored */
#define BALLOON_MAX_STAT_ENTRIES 64
#define BALLOON_STAT_NONE UINT64_MAX /* "not reported", QEMU's -1 */

/* QOM identity the control socket shows (QEMU's -device ...,id=balloon0) */
#define BALLOON_QOM_ID "balloon0"
#define BALLOON_QOM_PATH "/machine/peripheral/" BALLOON_QOM_ID
#define BALLOON_QOM_TYPE "virtio-balloon-pci"

struct balloon_stats {
	int64_t last_update; /* unix seconds of the last report, 0: none */
	uint64_t v[BALLOON_NR_STATS]; /* BALLOON_STAT_NONE when absent */
};

/*
 * virtio_balloon_create - the --balloon constructor for vdevs.c: spec is
 * "" or "deflate-on-oom=on|off"; one device per VM. Returns 0 or -errno
 * after printing one line.
 */
int virtio_balloon_create(struct vm *vm, const char *spec);

/* virtio_balloon_find - the VM's balloon, or NULL without --balloon. */
struct vballoon *virtio_balloon_find(struct vm *vm);

/*
 * virtio_balloon_set_target - ask the guest to shrink (or grow back) to
 * bytes of memory (QMP balloon "value"); more than the VM's memory means
 * all of it. Raises the configuration-change interrupt. Returns 0, or
 * -EINVAL for 0.
 */
int virtio_balloon_set_target(struct vballoon *b, uint64_t bytes);

/*
 * virtio_balloon_actual - the guest's memory as the balloon leaves it:
 * the VM's memory minus the pages the guest says it gave (bytes).
 */
uint64_t virtio_balloon_actual(struct vballoon *b);

/* virtio_balloon_get_stats - copy the last statistics report into *s. */
void virtio_balloon_get_stats(struct vballoon *b, struct balloon_stats *s);

/*
 * virtio_balloon_set_interval - poll the guest's statistics every seconds
 * (0 stops polling). Returns 0 or -errno (timerfd).
 */
int virtio_balloon_set_interval(struct vballoon *b, uint32_t seconds);

/* virtio_balloon_interval - the polling interval in seconds (0: off). */
uint32_t virtio_balloon_interval(struct vballoon *b);

/* balloon_stat_name - QEMU's QOM name of stats tag ("stat-swap-in"). */
const char *balloon_stat_name(unsigned int tag);

/*
 * balloon_parse_stats - parse the stats buffer iov (n segments, len bytes
 * in all) into v: every tag below BALLOON_NR_STATS found in the first
 * BALLOON_MAX_STAT_ENTRIES whole entries; other tags and a trailing
 * partial entry are ignored, absent tags become BALLOON_STAT_NONE.
 * Returns the number of entries read.
 */
unsigned int balloon_parse_stats(const struct iovec *iov, unsigned int n,
				 size_t len, uint64_t v[BALLOON_NR_STATS]);

/*
 * balloon_pages - apply one inflate (discard=true) or deflate request: the
 * little-endian 32-bit PFNs in e's driver-readable buffers. Each PFN must
 * name a 4 KiB page in mem's RAM; on inflate its host memory is discarded
 * (MADV_DONTNEED: it reads as zero and leaves the RSS). A trailing partial
 * PFN is ignored. Returns the number of valid PFNs; *bad gets the number
 * of PFNs outside RAM (ignored).
 */
size_t balloon_pages(const struct gmem *mem, const struct vq_elem *e,
		     bool discard, size_t *bad);

#endif
