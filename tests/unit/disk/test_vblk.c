// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: virtio-blk. Request parsing on hand-built iovecs (hostile
 * ones included), then the whole device driven through a split virtqueue
 * in malloc'ed "guest RAM" by a small fake driver, with a real raw image,
 * the io_uring engine and the device's evloop thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmm/disk/disk.h"
#include "vmm/disk/stats.h"
#include "vmm/virtio/blk.h"
#include "vmm/virtio/ring.h"

/* ---- transport stand-ins (the PCI transport provides these) ---- */

static atomic_int irqs, fails;

void virtio_dev_interrupt(struct virtio_dev *d, unsigned int q)
{
	if (vq_should_notify(&d->vqs[q]))
		atomic_fetch_add(&irqs, 1);
}

void virtio_dev_fail(struct virtio_dev *d, const char *why)
{
	atomic_fetch_add(&fails, 1);
}

/*
 * The link wraps disk_submit (-Wl,--wrap=disk_submit): when race_mem is
 * set, a write at offset 0 first overwrites those guest bytes with a
 * qcow2 magic, as a second vCPU could do between the device's check and
 * the I/O. race_hits counts the writes it raced with.
 */
static uint8_t *race_mem;
static atomic_int race_hits;

void __real_disk_submit(struct disk *d, struct disk_io *io);
void __wrap_disk_submit(struct disk *d, struct disk_io *io);

void __wrap_disk_submit(struct disk *d, struct disk_io *io)
{
	if (race_mem && io->op == DISK_WRITE && io->off == 0) {
		memcpy(race_mem, "QFI\xfb", 4);
		atomic_fetch_add(&race_hits, 1);
	}
	__real_disk_submit(d, io);
}

/* ---- vblk_parse on iovecs ---- */

static const struct vblk_limits lim = { .capacity = 2048,
					.discard = true,
					.write_zeroes = true };

static void hdr(uint8_t *h, uint32_t type, uint64_t sector)
{
	memset(h, 0, VBLK_HDR_LEN);
	memcpy(h, &type, 4);
	memcpy(h + 8, &sector, 8);
}

static void test_parse_rw(void **state)
{
	static uint8_t h[16], data[4096], st[1];
	struct vq_elem e = { 0 };
	struct vblk_parsed p;

	hdr(h, VIRTIO_BLK_T_IN, 8);
	e.out[0] = (struct iovec){ h, 16 };
	e.n_out = 1;
	e.out_len = 16;
	e.in[0] = (struct iovec){ data, 4096 };
	e.in[1] = (struct iovec){ st, 1 };
	e.n_in = 2;
	e.in_len = 4097;
	assert_int_equal(vblk_parse(&lim, &e, &p), VIRTIO_BLK_S_OK);
	assert_int_equal(p.type, VIRTIO_BLK_T_IN);
	assert_int_equal(p.sector, 8);
	assert_ptr_equal(p.status, st);
	assert_int_equal(p.ndata, 1);
	assert_int_equal(p.data_len, 4096);

	/* status as the last byte of the data buffer, zero-length tail */
	memset(&e, 0, sizeof(e));
	e.out[0] = (struct iovec){ h, 16 };
	e.n_out = 1;
	e.out_len = 16;
	e.in[0] = (struct iovec){ data, 513 };
	e.in[1] = (struct iovec){ st, 0 };
	e.n_in = 2;
	e.in_len = 513;
	assert_int_equal(vblk_parse(&lim, &e, &p), VIRTIO_BLK_S_OK);
	assert_ptr_equal(p.status, data + 512);
	assert_int_equal(p.data_len, 512);
	assert_int_equal(p.data[0].iov_len, 512);

	/* a write whose header is split over two buffers */
	memset(&e, 0, sizeof(e));
	hdr(h, VIRTIO_BLK_T_OUT, 2047);
	e.out[0] = (struct iovec){ h, 5 };
	e.out[1] = (struct iovec){ h + 5, 11 };
	e.out[2] = (struct iovec){ data, 512 };
	e.n_out = 3;
	e.out_len = 528;
	e.in[0] = (struct iovec){ st, 1 };
	e.n_in = 1;
	e.in_len = 1;
	assert_int_equal(vblk_parse(&lim, &e, &p), VIRTIO_BLK_S_OK);
	assert_int_equal(p.sector, 2047);
	assert_int_equal(p.ndata, 1);
	assert_ptr_equal(p.data[0].iov_base, data);
}

/* Build a one-header request: header, optional out data, in bytes. */
static int parse_one(uint32_t type, uint64_t sector, size_t out_data,
		     size_t in_data, const struct vblk_limits *l)
{
	static uint8_t h[16], data[8192], st[1];
	struct vq_elem e = { 0 };
	struct vblk_parsed p;

	hdr(h, type, sector);
	e.out[e.n_out++] = (struct iovec){ h, 16 };
	if (out_data)
		e.out[e.n_out++] = (struct iovec){ data, out_data };
	e.out_len = 16 + out_data;
	if (in_data)
		e.in[e.n_in++] = (struct iovec){ data, in_data };
	e.in[e.n_in++] = (struct iovec){ st, 1 };
	e.in_len = in_data + 1;
	return vblk_parse(l, &e, &p);
}

static void test_parse_bad(void **state)
{
	struct vblk_limits ro = lim;
	static uint8_t h[16], st[1];
	struct vq_elem e = { 0 };
	struct vblk_parsed p;

	ro.readonly = true;
	/* range: last sector fine, one past it not, no wrap-around */
	assert_int_equal(parse_one(VIRTIO_BLK_T_IN, 2047, 0, 512, &lim),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(parse_one(VIRTIO_BLK_T_IN, 2047, 0, 1024, &lim),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_one(VIRTIO_BLK_T_IN, 2048, 0, 512, &lim),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_one(VIRTIO_BLK_T_OUT, UINT64_MAX, 512, 0, &lim),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(
		parse_one(VIRTIO_BLK_T_IN, UINT64_MAX - 0, 0, 512, &lim),
		VIRTIO_BLK_S_IOERR);
	/* lengths */
	assert_int_equal(parse_one(VIRTIO_BLK_T_IN, 0, 0, 100, &lim),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_one(VIRTIO_BLK_T_OUT, 0, 513, 0, &lim),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_one(VIRTIO_BLK_T_OUT, 0, 512, 512, &lim),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_one(VIRTIO_BLK_T_IN, 0, 512, 512, &lim),
			 VIRTIO_BLK_S_IOERR);
	/* types and read-only */
	assert_int_equal(parse_one(99, 0, 0, 0, &lim), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(parse_one(VIRTIO_BLK_T_OUT, 0, 512, 0, &ro),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_one(VIRTIO_BLK_T_IN, 0, 0, 512, &ro),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(parse_one(VIRTIO_BLK_T_FLUSH, 0, 0, 0, &lim),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(parse_one(VIRTIO_BLK_T_GET_ID, 0, 0, 20, &lim),
			 VIRTIO_BLK_S_OK);

	/* short header: answered with IOERR */
	e.out[0] = (struct iovec){ h, 8 };
	e.n_out = 1;
	e.out_len = 8;
	e.in[0] = (struct iovec){ st, 1 };
	e.n_in = 1;
	e.in_len = 1;
	assert_int_equal(vblk_parse(&lim, &e, &p), VIRTIO_BLK_S_IOERR);
	/* no writable byte for the status: unanswerable, -EINVAL */
	e.n_in = 0;
	e.in_len = 0;
	assert_int_equal(vblk_parse(&lim, &e, &p), -EINVAL);
	e.in[0] = (struct iovec){ st, 0 };
	e.n_in = 1;
	assert_int_equal(vblk_parse(&lim, &e, &p), -EINVAL);
}

/* A discard/write-zeroes request with the given segments. */
static int parse_segs(uint32_t type, const uint64_t *seg, unsigned int n,
		      const struct vblk_limits *l, struct vblk_parsed *p)
{
	static uint8_t h[16], data[64 * 16], st[1];
	struct vq_elem e = { 0 };
	unsigned int i;

	hdr(h, type, 0);
	for (i = 0; i < n; i++) {
		memcpy(data + i * 16, &seg[i * 3], 8);
		memcpy(data + i * 16 + 8, &(uint32_t){ seg[i * 3 + 1] }, 4);
		memcpy(data + i * 16 + 12, &(uint32_t){ seg[i * 3 + 2] }, 4);
	}
	e.out[0] = (struct iovec){ h, 16 };
	e.out[1] = (struct iovec){ data, n * 16 };
	e.n_out = 2;
	e.out_len = 16 + n * 16;
	e.in[0] = (struct iovec){ st, 1 };
	e.n_in = 1;
	e.in_len = 1;
	return vblk_parse(l, &e, p);
}

static void test_parse_ranges(void **state)
{
	const uint64_t two[] = { 0, 8, 0, 100, 16, 1 };
	const uint64_t unmap[] = { 0, 8, 1 };
	const uint64_t badflag[] = { 0, 8, 2 };
	const uint64_t past[] = { 2040, 9, 0 };
	const uint64_t huge[] = { 0, VBLK_MAX_WZ_SECTORS + 1, 0 };
	uint64_t many[(VBLK_MAX_RANGES + 1) * 3] = { 0 };
	struct vblk_limits nofeat = lim;
	struct vblk_parsed p;

	assert_int_equal(
		parse_segs(VIRTIO_BLK_T_WRITE_ZEROES, two, 2, &lim, &p),
		VIRTIO_BLK_S_OK);
	assert_int_equal(p.nranges, 2);
	assert_int_equal(p.range[1].sector, 100);
	assert_int_equal(p.range[1].num_sectors, 16);
	assert_true(p.range[1].unmap);
	assert_false(p.range[0].unmap);
	assert_int_equal(parse_segs(VIRTIO_BLK_T_DISCARD, unmap, 1, &lim, &p),
			 VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(
		parse_segs(VIRTIO_BLK_T_WRITE_ZEROES, badflag, 1, &lim, &p),
		VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(parse_segs(VIRTIO_BLK_T_DISCARD, past, 1, &lim, &p),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(
		parse_segs(VIRTIO_BLK_T_WRITE_ZEROES, huge, 1, &lim, &p),
		VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_segs(VIRTIO_BLK_T_DISCARD, many,
				    VBLK_MAX_RANGES + 1, &lim, &p),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse_segs(VIRTIO_BLK_T_DISCARD, many, 0, &lim, &p),
			 VIRTIO_BLK_S_IOERR);
	nofeat.discard = false;
	assert_int_equal(parse_segs(VIRTIO_BLK_T_DISCARD, two, 1, &nofeat, &p),
			 VIRTIO_BLK_S_UNSUPP);
	nofeat.readonly = true;
	assert_int_equal(
		parse_segs(VIRTIO_BLK_T_WRITE_ZEROES, two, 1, &nofeat, &p),
		VIRTIO_BLK_S_IOERR);
}

/* ---- the device through a virtqueue ---- */

#define RAM_SIZE (8u << 20)
#define QSIZE 64
#define DESC_GPA 0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA 0x3000
#define BUF_GPA 0x10000 /* data buffers from here */
#define DISK_SIZE (1u << 20)

struct fake {
	uint8_t *ram;
	struct gmem mem;
	struct disk *disk;
	struct evloop *loop;
	struct vblk *blk;
	struct virtio_dev *vdev;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t next_desc, avail_idx, used_seen;
	uint64_t next_buf;
	char path[64];
};

static struct fake F;

static void *gpa(uint64_t a)
{
	return F.ram + a;
}

/* Reserve len bytes of guest buffer; returns its guest address. */
static uint64_t alloc_buf(size_t len)
{
	uint64_t a = F.next_buf;

	F.next_buf = (F.next_buf + len + 4095) & ~4095ULL;
	assert_true(F.next_buf < RAM_SIZE);
	return a;
}

/* Start a fresh device over a new raw image with the given options. */
static void fake_up(const char *extra, unsigned int nq)
{
	char spec[200];
	struct disk_opts o;
	char err[DISK_ERR_LEN];
	struct virtqueue *vq;
	uint8_t *img = malloc(DISK_SIZE);
	unsigned int i;
	int fd;

	memset(&F, 0, sizeof(F));
	F.ram = aligned_alloc(4096, RAM_SIZE);
	memset(F.ram, 0, RAM_SIZE);
	F.mem.r[0] = (struct gmem_region){ 0, RAM_SIZE, F.ram };
	F.mem.n = 1;
	F.next_buf = BUF_GPA;
	snprintf(F.path, sizeof(F.path), "/var/tmp/wirt-vblk-XXXXXX");
	fd = mkstemp(F.path);
	assert_true(fd >= 0);
	for (i = 0; i < DISK_SIZE; i++)
		img[i] = (uint8_t)(i / 512);
	assert_int_equal(write(fd, img, DISK_SIZE), DISK_SIZE);
	close(fd);
	free(img);
	snprintf(spec, sizeof(spec), "path=%s%s", F.path, extra);
	assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)), 0);
	assert_int_equal(disk_open(&F.disk, &o, 64, err, sizeof(err)), 0);
	disk_opts_free(&o);
	F.loop = evloop_new("vblk-test");
	assert_non_null(F.loop);
	assert_int_equal(evloop_start(F.loop), 0);
	F.blk = vblk_new(F.disk, nq);
	assert_non_null(F.blk);
	/* what the transport does: the device's half, queues, loop */
	F.vdev = calloc(1, sizeof(*F.vdev));
	F.vdev->ops = vblk_ops(F.blk);
	F.vdev->priv = F.blk;
	F.vdev->loop = F.loop;
	F.vdev->vqs = calloc(nq, sizeof(struct virtqueue));
	F.vdev->mem = &F.mem;
	assert_int_equal(vblk_attach(F.blk, F.vdev), 0);
	F.vdev->features = F.vdev->ops->features | 1ULL << VIRTIO_F_VERSION_1;
	vq = &F.vdev->vqs[0];
	vq->mem = &F.mem;
	vq->size = QSIZE;
	vq->desc_gpa = DESC_GPA;
	vq->avail_gpa = AVAIL_GPA;
	vq->used_gpa = USED_GPA;
	assert_int_equal(vq_start(vq), 0);
	vq->ready = true;
	F.desc = gpa(DESC_GPA);
	F.avail = gpa(AVAIL_GPA);
	F.used = gpa(USED_GPA);
	assert_int_equal(F.vdev->ops->activate(F.vdev), 0);
	atomic_store(&irqs, 0);
	atomic_store(&fails, 0);
}

static void fake_down(void)
{
	evloop_stop(F.loop);
	vblk_free(F.blk);
	evloop_free(F.loop);
	free(F.vdev->vqs);
	free(F.vdev);
	unlink(F.path);
	free(F.ram);
}

struct seg {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

/* Put one chain in the available ring (not yet visible to the device). */
static uint16_t add_chain(const struct seg *s, unsigned int n)
{
	uint16_t head = F.next_desc;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint16_t d = (F.next_desc + i) % QSIZE;

		F.desc[d].addr = s[i].gpa;
		F.desc[d].len = s[i].len;
		F.desc[d].flags = (s[i].write ? VIRTQ_DESC_F_WRITE : 0) |
				  (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
		F.desc[d].next = (d + 1) % QSIZE;
	}
	F.next_desc = (F.next_desc + n) % QSIZE;
	F.avail->ring[F.avail_idx % QSIZE] = head;
	F.avail_idx++;
	return head;
}

/* Publish the avail index and kick queue 0. */
static void kick(void)
{
	__atomic_store_n(&F.avail->idx, F.avail_idx, __ATOMIC_RELEASE);
	F.vdev->ops->queue_notify(F.vdev, 0);
}

/* Wait until the used ring holds n more entries; returns the last one. */
static struct virtq_used_elem wait_used(unsigned int n)
{
	struct timespec ts = { 0, 1000000 };
	int spins = 0;

	while ((uint16_t)(__atomic_load_n(&F.used->idx, __ATOMIC_ACQUIRE) -
			  F.used_seen) < n) {
		assert_true(++spins < 5000);
		nanosleep(&ts, NULL);
	}
	F.used_seen += n;
	return F.used->ring[(F.used_seen - 1) % QSIZE];
}

/* One request: header + out data, in data + status. Returns the status. */
static int request(uint32_t type, uint64_t sector, uint64_t out_gpa,
		   uint32_t out_len, uint64_t in_gpa, uint32_t in_len,
		   uint32_t *used_len)
{
	uint64_t h = alloc_buf(16), st = alloc_buf(1);
	struct seg s[4];
	unsigned int n = 0;
	struct virtq_used_elem u;
	uint16_t head;

	hdr(gpa(h), type, sector);
	*(uint8_t *)gpa(st) = 0xff;
	s[n++] = (struct seg){ h, 16, false };
	if (out_len)
		s[n++] = (struct seg){ out_gpa, out_len, false };
	if (in_len)
		s[n++] = (struct seg){ in_gpa, in_len, true };
	s[n++] = (struct seg){ st, 1, true };
	head = add_chain(s, n);
	kick();
	u = wait_used(1);
	assert_int_equal(u.id, head);
	if (used_len)
		*used_len = u.len;
	return *(uint8_t *)gpa(st);
}

static void read_file(uint64_t off, void *buf, size_t len)
{
	int fd = open(F.path, O_RDONLY);

	assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void test_config(void **state)
{
	uint8_t c[VBLK_CONFIG_SIZE];
	uint64_t cap;
	uint32_t seg_max, blk_size;
	uint16_t nq;

	fake_up(",format=raw,serial=wirt-serial-1", 4);
	F.vdev->ops->config_read(F.vdev, 0, c, sizeof(c));
	memcpy(&cap, c, 8);
	memcpy(&seg_max, c + 12, 4);
	memcpy(&blk_size, c + 20, 4);
	memcpy(&nq, c + 34, 2);
	assert_int_equal(cap, DISK_SIZE / 512);
	assert_int_equal(seg_max, VBLK_SEG_MAX);
	assert_int_equal(blk_size, 512);
	assert_int_equal(nq, 4);
	assert_int_equal(F.vdev->ops->num_queues, 4);
	assert_true(F.vdev->ops->features & 1ULL << VIRTIO_BLK_F_DISCARD);
	assert_true(F.vdev->ops->features & 1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	assert_true(F.vdev->ops->features & 1ULL << VIRTIO_BLK_F_FLUSH);
	assert_true(F.vdev->ops->features & 1ULL << VIRTIO_BLK_F_MQ);
	assert_false(F.vdev->ops->features & 1ULL << VIRTIO_BLK_F_RO);
	assert_false(F.vdev->ops->features & 1ULL << VIRTIO_BLK_F_SIZE_MAX);
	/* reads past the config space are zeroes, not memory */
	memset(c, 0xff, 8);
	F.vdev->ops->config_read(F.vdev, VBLK_CONFIG_SIZE - 2, c, 8);
	assert_int_equal(c[2], 0);
	assert_int_equal(c[7], 0);
	fake_down();

	fake_up(",format=raw,readonly=on", 1);
	assert_true(F.vdev->ops->features & 1ULL << VIRTIO_BLK_F_RO);
	assert_false(F.vdev->ops->features & 1ULL << VIRTIO_BLK_F_DISCARD);
	fake_down();
}

static void test_read_write(void **state)
{
	uint64_t buf;
	uint8_t want[4096], got[4096];
	uint32_t len;
	unsigned int i;

	fake_up(",format=raw,serial=wirt-serial-1", 1);
	/* read sectors 3..10: the image holds the sector number */
	buf = alloc_buf(4096);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 3, 0, 0, buf, 4096, &len),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(len, 4097);
	for (i = 0; i < 8; i++)
		assert_int_equal(((uint8_t *)gpa(buf))[i * 512 + 100], 3 + i);

	/* write a pattern at sector 100, find it in the file and read it */
	for (i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)(i * 13 + 1);
	buf = alloc_buf(4096);
	memcpy(gpa(buf), want, 4096);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 100, buf, 4096, 0, 0, &len),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(len, 1);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, 0, NULL),
			 VIRTIO_BLK_S_OK);
	read_file(100 * 512, got, 4096);
	assert_memory_equal(got, want, 4096);
	buf = alloc_buf(4096);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 100, 0, 0, buf, 4096, NULL),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(gpa(buf), want, 4096);

	/* GET_ID */
	buf = alloc_buf(20);
	memset(gpa(buf), 0xff, 20);
	assert_int_equal(request(VIRTIO_BLK_T_GET_ID, 0, 0, 0, buf, 20, &len),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(len, 21);
	assert_memory_equal(gpa(buf), "wirt-serial-1\0\0\0\0\0\0\0", 20);

	/* bad requests get a status, the device goes on */
	buf = alloc_buf(1024);
	assert_int_equal(request(VIRTIO_BLK_T_IN, DISK_SIZE / 512 - 1, 0, 0,
				 buf, 1024, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(42, 0, 0, 0, 0, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, buf, 100, 0, 0, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(atomic_load(&fails), 0);
	assert_true(atomic_load(&irqs) > 0);
	fake_down();
}

static void test_discard_zeroes(void **state)
{
	uint64_t seg = 0;
	uint8_t got[8192], zero[8192] = { 0 };
	struct stat a, b;

	fake_up(",format=raw", 1);
	seg = alloc_buf(32);
	/* write-zeroes sectors 10..17, discard sectors 512..1023 */
	memcpy(gpa(seg), &(uint64_t){ 10 }, 8);
	memcpy((uint8_t *)gpa(seg) + 8, &(uint32_t){ 8 }, 4);
	memcpy((uint8_t *)gpa(seg) + 12, &(uint32_t){ 0 }, 4);
	assert_int_equal(
		request(VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, 16, 0, 0, NULL),
		VIRTIO_BLK_S_OK);
	read_file(10 * 512, got, 4096);
	assert_memory_equal(got, zero, 4096);
	read_file(9 * 512, got, 1);
	assert_int_equal(got[0], 9);
	read_file(18 * 512, got, 1);
	assert_int_equal(got[0], 18);

	stat(F.path, &a);
	seg = alloc_buf(32);
	memcpy(gpa(seg), &(uint64_t){ 512 }, 8);
	memcpy((uint8_t *)gpa(seg) + 8, &(uint32_t){ 512 }, 4);
	assert_int_equal(request(VIRTIO_BLK_T_DISCARD, 0, seg, 16, 0, 0, NULL),
			 VIRTIO_BLK_S_OK);
	stat(F.path, &b);
	assert_true(b.st_blocks < a.st_blocks);
	read_file(512 * 512, got, 8192);
	assert_memory_equal(got, zero, 8192);
	fake_down();
}

static void test_readonly(void **state)
{
	uint64_t buf;
	uint8_t got[512];

	fake_up(",format=raw,readonly=on", 1);
	buf = alloc_buf(512);
	memset(gpa(buf), 0x77, 512);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, buf, 512, 0, 0, NULL),
			 VIRTIO_BLK_S_IOERR);
	read_file(0, got, 512);
	assert_int_equal(got[0], 0);
	/* DISCARD was not offered, so not negotiated */
	assert_int_equal(request(VIRTIO_BLK_T_DISCARD, 0, buf, 16, 0, 0, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	fake_down();
}

static void test_probed_raw_block0(void **state)
{
	uint64_t buf;

	fake_up("", 1); /* no format=: probed as raw */
	buf = alloc_buf(512);
	memcpy(gpa(buf), "QFI\xfb", 4);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, buf, 512, 0, 0, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 1, buf, 512, 0, 0, NULL),
			 VIRTIO_BLK_S_OK);
	memset(gpa(buf), 0, 4);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, buf, 512, 0, 0, NULL),
			 VIRTIO_BLK_S_OK);
	fake_down();
}

/*
 * The block 0 guard checks a host copy and writes that copy: guest memory
 * changed after the check (by the wrapped disk_submit) does not reach the
 * image, and a write longer than one block still lands whole.
 */
static void test_probed_raw_block0_race(void **state)
{
	uint8_t want[8192], got[8192];
	uint64_t buf;
	unsigned int i;

	fake_up("", 1); /* probed as raw */
	buf = alloc_buf(sizeof(want));
	for (i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)(i * 7 + 3);
	memcpy(gpa(buf), want, sizeof(want));
	race_mem = gpa(buf);
	atomic_store(&race_hits, 0);
	assert_int_equal(
		request(VIRTIO_BLK_T_OUT, 0, buf, sizeof(want), 0, 0, NULL),
		VIRTIO_BLK_S_OK);
	race_mem = NULL;
	assert_int_equal(atomic_load(&race_hits), 1);
	assert_memory_equal(gpa(buf), "QFI\xfb", 4); /* the guest did change */
	read_file(0, got, sizeof(got));
	assert_memory_equal(got, want, sizeof(want));

	/* a one-sector write at 0, split over two guest buffers */
	memset(gpa(buf), 0x5a, 512);
	race_mem = gpa(buf);
	{
		uint64_t h = alloc_buf(16), st = alloc_buf(1);
		struct seg s[4] = { { h, 16, false },
				    { buf, 2, false },
				    { buf + 2, 510, false },
				    { st, 1, true } };

		hdr(gpa(h), VIRTIO_BLK_T_OUT, 0);
		add_chain(s, 4);
		kick();
		wait_used(1);
		assert_int_equal(*(uint8_t *)gpa(st), VIRTIO_BLK_S_OK);
	}
	race_mem = NULL;
	read_file(0, got, 512);
	memset(want, 0x5a, 512);
	assert_memory_equal(got, want, 512);
	fake_down();
}

/* A chain with no device-writable byte cannot be answered: NEEDS_RESET. */
static void test_malformed(void **state)
{
	uint64_t h;
	struct seg s[1];

	fake_up(",format=raw", 1);
	h = alloc_buf(16);
	hdr(gpa(h), VIRTIO_BLK_T_IN, 0);
	s[0] = (struct seg){ h, 16, false };
	add_chain(s, 1);
	kick();
	assert_int_equal(atomic_load(&fails), 1);
	assert_int_equal(__atomic_load_n(&F.used->idx, __ATOMIC_ACQUIRE), 0);
	/* further kicks are ignored until reset */
	kick();
	assert_int_equal(atomic_load(&fails), 1);
	F.vdev->ops->reset(F.vdev);
	fake_down();
}

/* Many requests in one kick: all answered, interrupts coalesced. */
static void test_batch_and_reset(void **state)
{
	enum { N = 20 }; /* 3 descriptors each: 60 of QSIZE */
	uint64_t h[N], st[N], buf[N];
	struct seg s[3];
	unsigned int i;

	fake_up(",format=raw,cache=none", 1);
	for (i = 0; i < N; i++) {
		h[i] = alloc_buf(16);
		st[i] = alloc_buf(1);
		buf[i] = alloc_buf(4096);
		hdr(gpa(h[i]), VIRTIO_BLK_T_IN, i * 8);
		s[0] = (struct seg){ h[i], 16, false };
		s[1] = (struct seg){ buf[i], 4096, true };
		s[2] = (struct seg){ st[i], 1, true };
		add_chain(s, 3);
	}
	kick();
	wait_used(N);
	for (i = 0; i < N; i++) {
		assert_int_equal(*(uint8_t *)gpa(st[i]), VIRTIO_BLK_S_OK);
		assert_int_equal(((uint8_t *)gpa(buf[i]))[4095], i * 8 + 7);
	}
	assert_true(atomic_load(&irqs) >= 1);
	assert_true(atomic_load(&irqs) <= N);

	/* answered within the kick (GET_ID): one interrupt for the batch */
	atomic_store(&irqs, 0);
	for (i = 0; i < N; i++) {
		hdr(gpa(h[i]), VIRTIO_BLK_T_GET_ID, 0);
		s[0] = (struct seg){ h[i], 16, false };
		s[1] = (struct seg){ buf[i], 20, true };
		s[2] = (struct seg){ st[i], 1, true };
		add_chain(s, 3);
	}
	kick();
	wait_used(N);
	assert_int_equal(atomic_load(&irqs), 1);
	for (i = 0; i < N; i++)
		hdr(gpa(h[i]), VIRTIO_BLK_T_IN, i * 8);

	/* reset while requests are in flight: it waits for all of them */
	for (i = 0; i < N; i++) {
		s[0] = (struct seg){ h[i], 16, false };
		s[1] = (struct seg){ buf[i], 4096, true };
		s[2] = (struct seg){ st[i], 1, true };
		add_chain(s, 3);
	}
	kick();
	F.vdev->ops->reset(F.vdev);
	assert_int_equal(vblk_inflight(F.blk), 0);
	assert_int_equal(disk_inflight(F.disk), 0);
	fake_down();
}

/* Every answered request is accounted once, as query-blockstats shows. */
static void test_stats(void **state)
{
	struct blk_stats_snap v;
	uint64_t buf, seg;

	fake_up(",format=raw", 1);
	buf = alloc_buf(8192);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 3, 0, 0, buf, 4096, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 0, 0, buf, 512, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 100, buf, 8192, 0, 0, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, 0, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(VIRTIO_BLK_T_GET_ID, 0, 0, 0, buf, 20, NULL),
			 VIRTIO_BLK_S_OK);
	/* past the end, and not whole sectors: invalid, no I/O */
	assert_int_equal(
		request(VIRTIO_BLK_T_IN, DISK_SIZE / 512, 0, 0, buf, 512, NULL),
		VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, buf, 100, 0, 0, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(42, 0, 0, 0, 0, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	seg = alloc_buf(16);
	memcpy(gpa(seg), &(uint64_t){ 1000 }, 8);
	memcpy((uint8_t *)gpa(seg) + 8, &(uint32_t){ 16 }, 4);
	memcpy((uint8_t *)gpa(seg) + 12, &(uint32_t){ 0 }, 4);
	assert_int_equal(
		request(VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, 16, 0, 0, NULL),
		VIRTIO_BLK_S_OK);
	assert_int_equal(request(VIRTIO_BLK_T_DISCARD, 0, seg, 16, 0, 0, NULL),
			 VIRTIO_BLK_S_OK);

	blk_stats_read(&F.disk->stats, blk_stats_now(), &v);
	assert_int_equal(v.ops[BLK_ACCT_READ], 2);
	assert_int_equal(v.bytes[BLK_ACCT_READ], 4096 + 512);
	assert_int_equal(v.invalid[BLK_ACCT_READ], 1);
	assert_int_equal(v.ops[BLK_ACCT_WRITE], 2);
	assert_int_equal(v.bytes[BLK_ACCT_WRITE], 8192 + 16 * 512);
	assert_int_equal(v.invalid[BLK_ACCT_WRITE], 1);
	assert_int_equal(v.failed[BLK_ACCT_WRITE], 0);
	assert_int_equal(v.wr_highest, (1000 + 16) * 512);
	assert_int_equal(v.ops[BLK_ACCT_FLUSH], 1);
	assert_int_equal(v.ops[BLK_ACCT_UNMAP], 1);
	assert_int_equal(v.bytes[BLK_ACCT_UNMAP], 16 * 512);
	assert_true(v.total_ns[BLK_ACCT_READ] > 0);
	assert_true(v.total_ns[BLK_ACCT_WRITE] > 0);
	assert_true(v.has_idle);
	assert_true(v.idle_ns < 10ULL * 1000000000ULL);
	fake_down();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rw),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_ranges),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_discard_zeroes),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_probed_raw_block0),
		cmocka_unit_test(test_probed_raw_block0_race),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_batch_and_reset),
		cmocka_unit_test(test_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
