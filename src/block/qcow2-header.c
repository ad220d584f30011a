// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 header: parsing with validation, writing back, creating a new file. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "common/util.h"

#define HDR_V2_LEN 72 /* bytes of the fixed header in version 2 */
#define HDR_V3_LEN 104 /* ... and in version 3 */

/* The fixed header fields (qcow2 spec, "Header"), in host order. */
struct qcow2_hdr {
	uint32_t magic, version;
	uint64_t backing_offset;
	uint32_t backing_size, cluster_bits;
	uint64_t size;
	uint32_t crypt_method, l1_size;
	uint64_t l1_offset, rct_offset;
	uint32_t rct_clusters, nr_snaps;
	uint64_t snaps_offset;
	/* version 3 */
	uint64_t incompat, compat, autoclear;
	uint32_t refcount_order, header_length;
};

#define HF(field, offset)                                       \
	{                                                       \
		offset, sizeof(((struct qcow2_hdr *)0)->field), \
			offsetof(struct qcow2_hdr, field)       \
	}

/* Where each field of struct qcow2_hdr is in the file, big-endian. */
static const struct hdr_field {
	uint8_t off, width, member;
} hdr_fields[] = {
	HF(magic, 0),	      HF(version, 4),	      HF(backing_offset, 8),
	HF(backing_size, 16), HF(cluster_bits, 20),   HF(size, 24),
	HF(crypt_method, 32), HF(l1_size, 36),	      HF(l1_offset, 40),
	HF(rct_offset, 48),   HF(rct_clusters, 56),   HF(nr_snaps, 60),
	HF(snaps_offset, 64), HF(incompat, 72),	      HF(compat, 80),
	HF(autoclear, 88),    HF(refcount_order, 96), HF(header_length, 100),
};

/* Decode the fields within the first @len bytes of @p into *h (rest 0). */
static void hdr_decode(const uint8_t *p, size_t len, struct qcow2_hdr *h)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < ARRAY_SIZE(hdr_fields); i++) {
		const struct hdr_field *f = &hdr_fields[i];
		uint8_t *m = (uint8_t *)h + f->member;
		uint64_t v64;
		uint32_t v32;

		if ((size_t)f->off + f->width > len)
			continue;
		if (f->width == 8) {
			v64 = qbe64(p + f->off);
			memcpy(m, &v64, 8);
		} else {
			v32 = qbe32(p + f->off);
			memcpy(m, &v32, 4);
		}
	}
}

/* Encode the fields of *h within the first @len bytes of @p. */
static void hdr_encode(const struct qcow2_hdr *h, uint8_t *p, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(hdr_fields); i++) {
		const struct hdr_field *f = &hdr_fields[i];
		const uint8_t *m = (const uint8_t *)h + f->member;
		uint64_t v64;
		uint32_t v32;

		if ((size_t)f->off + f->width > len)
			continue;
		if (f->width == 8) {
			memcpy(&v64, m, 8);
			qput64(p + f->off, v64);
		} else {
			memcpy(&v32, m, 4);
			qput32(p + f->off, v32);
		}
	}
}

/* Name of incompatible feature @bit from the feature name table, or NULL. */
static const char *feature_name(struct qcow2 *q, unsigned bit, char *out,
				size_t outlen)
{
	for (unsigned i = 0; i < q->nr_exts; i++) {
		struct qcow2_ext *e = &q->exts[i];

		if (e->type != QC_EXT_FEATURES)
			continue;
		for (uint32_t o = 0; o + 48 <= e->len; o += 48) {
			if (e->data[o] == 0 && e->data[o + 1] == bit) {
				snprintf(out, outlen, "%.46s",
					 (char *)e->data + o + 2);
				return out;
			}
		}
	}
	return NULL;
}

static int refuse_incompat(struct qcow2 *q, uint64_t bits)
{
	char name[64];
	unsigned bit = __builtin_ctzll(bits);
	const char *n = feature_name(q, bit, name, sizeof(name));

	if (!n && bit == 2)
		n = "external data file";
	if (!n && bit == 4)
		n = "extended L2 entries";
	return blk_error(
		ENOTSUP,
		"qcow2 image '%s' uses unsupported incompatible feature bit %u (%s); convert it with qemu-img first",
		q->b->filename, bit, n ? n : "unknown");
}

/* Parse header extensions from @p (cluster buffer) at @start. */
static int read_exts(struct qcow2 *q, const uint8_t *p, uint64_t start)
{
	uint64_t o = start;

	while (o + 8 <= q->cs) {
		uint32_t type = qbe32(p + o), len = qbe32(p + o + 4);
		struct qcow2_ext *n;

		o += 8;
		if (type == QC_EXT_END)
			return 0;
		if (len > q->cs - o)
			return blk_error(
				EINVAL,
				"qcow2 image '%s': header extension 0x%x is longer than the header cluster",
				q->b->filename, type);
		if (type == QC_EXT_BITMAPS) {
			if (q->bmext_seen || len != sizeof(q->bmext))
				return blk_error(
					EINVAL,
					"qcow2 image '%s': bitmaps extension repeated or of length %u (not 24); the image is corrupt",
					q->b->filename, len);
			q->bmext_seen = true;
			memcpy(q->bmext, p + o, len);
		} else if (type == QC_EXT_BACKING_FMT) {
			free(q->backing_fmt);
			q->backing_fmt = strndup((const char *)p + o, len);
		} else {
			if (q->nr_exts >= 64)
				return blk_error(
					EINVAL,
					"qcow2 image '%s' has too many header extensions",
					q->b->filename);
			n = realloc(q->exts, (q->nr_exts + 1) * sizeof(*n));
			if (!n)
				return -ENOMEM;
			q->exts = n;
			n = &q->exts[q->nr_exts++];
			n->type = type;
			n->len = len;
			n->data = malloc(len + 1);
			if (!n->data)
				return -ENOMEM;
			memcpy(n->data, p + o, len);
		}
		o += ALIGN_UP((uint64_t)len, 8);
	}
	return 0;
}

/* Check that [off, off+len) is cluster aligned and inside the file. */
static int check_region(struct qcow2 *q, const char *what, uint64_t off,
			uint64_t len, uint64_t fsize)
{
	if (off & (q->cs - 1))
		return blk_error(
			EINVAL,
			"qcow2 image '%s': %s offset 0x%llx is not cluster aligned; the image is corrupt",
			q->b->filename, what, (unsigned long long)off);
	if (off == 0 || off > fsize || len > fsize - off)
		return blk_error(
			EINVAL,
			"qcow2 image '%s': %s (0x%llx, %llu bytes) lies outside the file; the image is corrupt",
			q->b->filename, what, (unsigned long long)off,
			(unsigned long long)len);
	return 0;
}

static bool overlap(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	return al && bl && a < b + bl && b < a + al;
}

/*
 * For check (q->check_mode), a table that is aligned but runs past the end
 * of the file is noted in *outside instead of refused: check reports it.
 */
static int check_table(struct qcow2 *q, const char *what, uint64_t off,
		       uint64_t len, uint64_t fsize, bool *outside)
{
	int ret = check_region(q, what, off, len, fsize);

	if (ret < 0 && q->check_mode && off && !(off & (q->cs - 1)) &&
	    off + len > off) {
		*outside = true;
		return 0;
	}
	return ret;
}

static int check_layout(struct qcow2 *q, uint64_t fsize)
{
	uint64_t l1b = (uint64_t)q->l1_size * 8, rb = q->rct_clusters * q->cs;
	int ret;

	ret = check_table(q, "refcount table", q->rct_offset, rb, fsize,
			  &q->rct_outside);
	if (ret < 0)
		return ret;
	if (q->l1_size) {
		ret = check_table(q, "L1 table", q->l1_offset, l1b, fsize,
				  &q->l1_outside);
		if (ret < 0)
			return ret;
	}
	if (overlap(q->l1_offset, l1b, q->rct_offset, rb) && !q->check_mode)
		return blk_error(
			EINVAL,
			"qcow2 image '%s': L1 table and refcount table overlap; the image is corrupt",
			q->b->filename);
	return 0;
}

/*
 * Take and check the version 3 fields of *h; the compression type is the
 * byte at HDR_V3_LEN of the header cluster @p when the header has it.
 */
static int parse_v3(struct qcow2 *q, const struct qcow2_hdr *h,
		    const uint8_t *p)
{
	q->incompat = h->incompat;
	q->compat = h->compat;
	q->autoclear = h->autoclear;
	q->refcount_order = h->refcount_order;
	q->header_length = h->header_length;
	if (q->header_length < HDR_V3_LEN || q->header_length > q->cs ||
	    (q->header_length & 7 && q->header_length > HDR_V3_LEN))
		return blk_error(EINVAL,
				 "qcow2 image '%s': bad header length %u",
				 q->b->filename, q->header_length);
	if (q->refcount_order > 6)
		return blk_error(
			EINVAL, "qcow2 image '%s': refcount order %u is over 6",
			q->b->filename, q->refcount_order);
	if (q->header_length > HDR_V3_LEN)
		q->compression_type = p[HDR_V3_LEN];
	if (q->compression_type > 1)
		return blk_error(
			ENOTSUP,
			"qcow2 image '%s': unknown compression type %u",
			q->b->filename, q->compression_type);
	if (!!q->compression_type != !!(q->incompat & QC_INCOMPAT_COMPRESSION))
		return blk_error(
			EINVAL,
			"qcow2 image '%s': compression type and its feature bit disagree",
			q->b->filename);
	return 0;
}

/*
 * Read the first bytes of the header into *h and check magic, version and
 * cluster size; sets q's version and cluster geometry.  0 or -errno.
 */
static int read_first(struct qcow2 *q, struct qcow2_hdr *h)
{
	uint8_t hdr[112];
	ssize_t n = pread_full(q->fd, hdr, sizeof(hdr), 0);

	if (n < 0)
		return blk_error(-n, "cannot read '%s'", q->b->filename);
	hdr_decode(hdr, n, h);
	if (n < HDR_V2_LEN || h->magic != QCOW2_MAGIC)
		return blk_error(EINVAL, "'%s' is not a qcow2 image",
				 q->b->filename);
	q->version = h->version;
	if (q->version != 2 && q->version != 3)
		return blk_error(
			ENOTSUP,
			"qcow2 image '%s' has version %u; only 2 and 3 are supported",
			q->b->filename, q->version);
	q->cluster_bits = h->cluster_bits;
	if (q->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
	    q->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
		return blk_error(
			EINVAL,
			"qcow2 image '%s': cluster bits %u outside 9..21",
			q->b->filename, q->cluster_bits);
	q->cs = 1ULL << q->cluster_bits;
	q->l2_bits = q->cluster_bits - 3;
	return 0;
}

/*
 * Take the fields of *h (read from @n bytes of the header cluster @p) into
 * q, with the version 3 part and the extensions.  0 or -errno.
 */
static int apply_header(struct qcow2 *q, const struct qcow2_hdr *h,
			const uint8_t *p, ssize_t n)
{
	int ret;

	q->size = h->size;
	if (h->crypt_method != 0)
		return blk_error(
			ENOTSUP,
			"qcow2 image '%s' is encrypted; encryption is not supported",
			q->b->filename);
	q->l1_size = h->l1_size;
	q->l1_offset = h->l1_offset;
	q->rct_offset = h->rct_offset;
	q->rct_clusters = h->rct_clusters;
	q->nr_snaps = h->nr_snaps;
	q->snaps_offset = h->snaps_offset;
	q->refcount_order = 4;
	q->header_length = HDR_V2_LEN;
	if (q->version == 3) {
		if (n < HDR_V3_LEN)
			return blk_error(EINVAL,
					 "qcow2 image '%s' is truncated",
					 q->b->filename);
		ret = parse_v3(q, h, p);
		if (ret < 0)
			return ret;
	}
	ret = read_exts(q, p, q->header_length);
	if (ret < 0)
		return ret;
	if (q->incompat & ~QC_INCOMPAT_KNOWN)
		return refuse_incompat(q, q->incompat & ~QC_INCOMPAT_KNOWN);
	q->rb_bits = q->cluster_bits + 3 - q->refcount_order;
	return 0;
}

/* Check the virtual size and the sizes and places of the tables. */
static int check_tables(struct qcow2 *q, uint64_t fsize)
{
	uint64_t l2cov = q->cs << q->l2_bits;
	uint64_t need = (q->size + l2cov - 1) / l2cov;

	if (q->size > (1ULL << 62))
		return blk_error(
			EINVAL, "qcow2 image '%s': virtual size %llu is absurd",
			q->b->filename, (unsigned long long)q->size);
	if ((uint64_t)q->l1_size * 8 > QCOW2_MAX_L1_BYTES || need > q->l1_size)
		return blk_error(
			EINVAL,
			"qcow2 image '%s': L1 table of %u entries does not fit virtual size %llu (limit %llu bytes)",
			q->b->filename, q->l1_size, (unsigned long long)q->size,
			QCOW2_MAX_L1_BYTES);
	if (!q->rct_clusters ||
	    (uint64_t)q->rct_clusters * q->cs > QCOW2_MAX_RCT_BYTES)
		return blk_error(
			EINVAL,
			"qcow2 image '%s': refcount table of %u clusters is out of range",
			q->b->filename, q->rct_clusters);
	return check_layout(q, fsize);
}

/* Read the backing file name (@bl bytes at @bo, none when @bo is 0). */
static int read_backing_name(struct qcow2 *q, uint64_t bo, uint32_t bl,
			     uint64_t fsize)
{
	if (!bo)
		return 0;
	if (bl > QCOW2_MAX_BACKING_NAME || bl == 0 || bo > fsize ||
	    bl > fsize - bo)
		return blk_error(
			EINVAL,
			"qcow2 image '%s': backing file name is out of range",
			q->b->filename);
	q->backing_file = calloc(1, bl + 1);
	if (!q->backing_file)
		return -ENOMEM;
	if (pread_full(q->fd, q->backing_file, bl, bo) != bl)
		return blk_error(EIO, "cannot read backing name of '%s'",
				 q->b->filename);
	if (strlen(q->backing_file) != bl)
		return blk_error(
			EINVAL,
			"qcow2 image '%s': backing file name holds a NUL byte",
			q->b->filename);
	return 0;
}

int qcow2_read_header(struct qcow2 *q)
{
	struct qcow2_hdr h;
	struct stat st;
	uint8_t *p;
	ssize_t n;
	int ret;

	if (fstat(q->fd, &st) < 0)
		return -errno;
	ret = read_first(q, &h);
	if (ret < 0)
		return ret;
	p = calloc(1, q->cs);
	if (!p)
		return -ENOMEM;
	n = pread_full(q->fd, p, q->cs, 0);
	if (n < 0) {
		ret = blk_error(-n, "cannot read '%s'", q->b->filename);
		goto out;
	}
	/* past what was read, the zeroed buffer reads as zeroes */
	hdr_decode(p, q->cs, &h);
	ret = apply_header(q, &h, p, n);
	if (!ret)
		ret = check_tables(q, st.st_size);
	if (!ret)
		ret = read_backing_name(q, h.backing_offset, h.backing_size,
					st.st_size);
	if (!ret)
		q->host_end = ALIGN_UP((uint64_t)st.st_size, q->cs);
out:
	free(p);
	return ret;
}

/* Serialize the header cluster's used part into @p; returns bytes used. */
static int build_header(struct qcow2 *q, uint8_t *p)
{
	size_t bl = q->backing_file ? strlen(q->backing_file) : 0;
	struct qcow2_hdr h = {
		.magic = QCOW2_MAGIC,
		.version = q->version,
		.cluster_bits = q->cluster_bits,
		.size = q->size,
		.l1_size = q->l1_size,
		.l1_offset = q->l1_offset,
		.rct_offset = q->rct_offset,
		.rct_clusters = q->rct_clusters,
		.nr_snaps = q->nr_snaps,
		.snaps_offset = q->snaps_offset,
		.incompat = q->incompat,
		.compat = q->compat,
		.autoclear = q->autoclear,
		.refcount_order = q->refcount_order,
		.header_length = 112, /* with the compression type, padded */
	};

	uint64_t o = q->version == 3 ? h.header_length : HDR_V2_LEN;

	memset(p, 0, q->cs);
	if (q->backing_fmt) {
		size_t l = strlen(q->backing_fmt);

		if (o + 16 + ALIGN_UP(l, 8) > q->cs)
			return -ENOSPC;
		qput32(p + o, QC_EXT_BACKING_FMT);
		qput32(p + o + 4, l);
		memcpy(p + o + 8, q->backing_fmt, l);
		o += 8 + ALIGN_UP(l, 8);
	}
	if (q->nr_bms) {
		if (o + 16 + 24 > q->cs)
			return -ENOSPC;
		qput32(p + o, QC_EXT_BITMAPS);
		qput32(p + o + 4, 24);
		qcow2_bitmaps_ext(q, p + o + 8);
		o += 8 + 24;
	}
	for (unsigned i = 0; i < q->nr_exts; i++) {
		struct qcow2_ext *e = &q->exts[i];

		if (o + 16 + ALIGN_UP((uint64_t)e->len, 8) > q->cs)
			return -ENOSPC;
		qput32(p + o, e->type);
		qput32(p + o + 4, e->len);
		memcpy(p + o + 8, e->data, e->len);
		o += 8 + ALIGN_UP((uint64_t)e->len, 8);
	}
	o += 8; /* end marker, already zero */
	if (bl) {
		if (o + bl > q->cs)
			return -ENOSPC;
		h.backing_offset = o;
		h.backing_size = bl;
		memcpy(p + o, q->backing_file, bl);
		o += bl;
	}
	hdr_encode(&h, p, q->version == 3 ? HDR_V3_LEN : HDR_V2_LEN);
	if (q->version == 3)
		p[HDR_V3_LEN] = q->compression_type;
	return (int)o;
}

int qcow2_write_header(struct qcow2 *q)
{
	uint8_t *p = malloc(q->cs);
	ssize_t n;
	int len;

	if (!p)
		return -ENOMEM;
	len = build_header(q, p);
	if (len < 0) {
		free(p);
		return blk_error(
			ENOSPC,
			"qcow2 header of '%s' does not fit in one cluster (backing name too long?)",
			q->b->filename);
	}
	qcow2_meta_changed(q); /* tables may have moved */
	n = blk_io_pwrite(q->fd, p, len, 0);
	free(p);
	if (n < 0)
		return blk_error(-n, "cannot write header of '%s': %s",
				 q->b->filename, strerror(-n));
	return 0;
}

void qcow2_free_header(struct qcow2 *q)
{
	for (unsigned i = 0; i < q->nr_exts; i++)
		free(q->exts[i].data);
	free(q->exts);
	free(q->backing_file);
	free(q->backing_fmt);
	q->exts = NULL;
	q->nr_exts = 0;
	q->backing_file = q->backing_fmt = NULL;
}

/*
 * A corruption was found: the message (which names the file and what to
 * do) is set, a writer prints the event once and sets the v3 corrupt bit
 * (later read-write opens are refused) and becomes read-only.  Returns
 * -EIO for the failed request.
 */
int qcow2_mark_corrupt(struct qcow2 *q, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	blk_error(
		EIO,
		"qcow2 image '%s' is corrupt: %s; run 'wirt-img check -r all' on it",
		q->b->filename, msg);
	if (q->rw && !q->corrupt_said) {
		/* the event is said once, also where no caller prints errors */
		wirt_warn(
			"qcow2 image '%s': marking it corrupt: %s; further writes are refused",
			q->b->filename, msg);
		q->corrupt_said = true;
	}
	if (q->rw && q->version == 3 && !(q->incompat & QC_INCOMPAT_CORRUPT)) {
		q->incompat |= QC_INCOMPAT_CORRUPT;
		if (qcow2_write_header(q) == 0)
			blk_datasync(q->b);
		q->rw = false;
		q->b->readonly = true;
	}
	return -EIO;
}

/*
 * Write a minimal empty image: header, refcount table, one refcount block,
 * no L1 table, size 0.  The driver then grows it to the wanted size.
 */
int qcow2_create_file(const char *path, const struct blk_create_opts *o)
{
	struct qcow2 q = { 0 };
	struct blk fake = { .filename = (char *)path };
	uint8_t *buf;
	int fd, ret;
	uint32_t cs = o->cluster_size ? o->cluster_size : 65536;

	if (cs < 512 || cs > 2 * MiB || (cs & (cs - 1)))
		return blk_error(
			EINVAL,
			"cluster size %u must be a power of two from 512 to 2M",
			cs);
	q.b = &fake;
	q.version = o->compat == 2 ? 2 : 3;
	q.cluster_bits = __builtin_ctz(cs);
	q.cs = cs;
	q.refcount_order = 4;
	q.rct_offset = cs;
	q.rct_clusters = 1;
	q.compat = (o->lazy_refcounts && q.version == 3) ? QC_COMPAT_LAZY : 0;
	if (o->lazy_refcounts && q.version == 2)
		return blk_error(EINVAL,
				 "lazy_refcounts needs compat=1.1 (qcow2 v3)");
	if (o->compression_type == BLK_COMPRESS_ZSTD) {
		if (q.version == 2)
			return blk_error(
				EINVAL,
				"compression_type=zstd needs compat=1.1");
		q.compression_type = 1;
		q.incompat |= QC_INCOMPAT_COMPRESSION;
	}
	if (o->backing_file)
		q.backing_file = (char *)o->backing_file;
	if (o->backing_fmt)
		q.backing_fmt = (char *)o->backing_fmt;
	buf = calloc(3, cs);
	if (!buf)
		return -ENOMEM;
	ret = build_header(&q, buf);
	if (ret < 0) {
		free(buf);
		return blk_error(EINVAL, "backing file name too long for '%s'",
				 path);
	}
	qput64(buf + cs, 2ULL * cs); /* refcount table -> block at cluster 2 */
	for (int i = 0; i < 3; i++) /* header, table, block: refcount 1 */
		qput16(buf + 2 * cs + 2 * i, 1);
	fd = blk_io_open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = blk_error(errno, "cannot create '%s': %s", path,
				strerror(errno));
		free(buf);
		return ret;
	}
	ret = blk_io_pwrite(fd, buf, 3 * cs, 0) < 0 ? -errno : 0;
	if (ret < 0)
		blk_error(-ret, "cannot write '%s': %s", path, strerror(-ret));
	close(fd);
	free(buf);
	return ret;
}
