// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img map and measure: what the chain maps where, and how big. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "img/img.h"

/* One extent of the chain's map, as qemu-img map reports it. */
struct ext {
	uint64_t start, len, offset;
	int depth;
	bool present, zero, data, has_off;
	const char *file;
};

/* Status at @off down the chain; fills @e for up to @len bytes. */
static int chain_status(struct blk *b, uint64_t off, uint64_t len,
			struct ext *e)
{
	int depth = 0;

	for (;;) {
		uint64_t pnum, map;
		int st = blk_block_status(b, off, len, &pnum, &map);

		if (st < 0)
			return st;
		if ((st & BLK_ST_ALLOCATED) || !blk_backing(b) ||
		    off >= blk_getlength(blk_backing(b))) {
			e->start = off;
			e->len = pnum;
			e->depth = depth;
			e->present = st & BLK_ST_ALLOCATED;
			e->zero = st & BLK_ST_ZERO;
			e->data = st & BLK_ST_DATA;
			e->has_off =
				(st & BLK_ST_OFFSET) && (e->data || e->present);
			e->offset = map;
			e->file = blk_filename(b);
			if (!blk_backing(b) && !e->present)
				e->zero = true;
			return 0;
		}
		len = MIN(pnum, blk_getlength(blk_backing(b)) - off);
		b = blk_backing(b);
		depth++;
	}
}

/* Print extent @e (human: data only; @first: the first line printed). */
static void print_ext(struct ext *e, bool json, bool *first)
{
	if (json) {
		printf("%s{ \"start\": %llu, \"length\": %llu, \"depth\": %d, \"present\": %s, \"zero\": %s, \"data\": %s",
		       *first ? "[" : ",\n", (unsigned long long)e->start,
		       (unsigned long long)e->len, e->depth,
		       e->present ? "true" : "false",
		       e->zero ? "true" : "false", e->data ? "true" : "false");
		if (e->has_off)
			printf(", \"offset\": %llu",
			       (unsigned long long)e->offset);
		printf("}");
	} else if (e->data && e->has_off) {
		if (*first)
			printf("%-16s%-16s%-16s%s\n", "Offset", "Length",
			       "Mapped to", "File");
		printf("%#-16llx%#-16llx%#-16llx%s\n",
		       (unsigned long long)e->start, (unsigned long long)e->len,
		       (unsigned long long)e->offset, e->file);
	} else {
		return;
	}
	*first = false;
}

int cmd_map(int argc, char **argv)
{
	struct img_args a = { .takes_output = true };
	bool json, first = true, have = false;
	struct ext cur = { 0 }, n;
	uint64_t off = 0, size;
	struct blk *b;
	int c;

	c = img_getopt(argc, argv, "f:hU", &a);
	if (c != -1)
		return img_usage("map", c);
	if (optind != argc - 1) {
		wirt_err("map needs exactly one image file name");
		return 1;
	}
	json = a.json;
	b = img_open(argv[optind], a.fmt, BLK_O_NO_PROBE_WARN);
	if (!b)
		return 1;
	size = blk_getlength(b);
	while (off < size) {
		if (chain_status(b, off, size - off, &n) < 0) {
			wirt_err("map of '%s' failed: %s", argv[optind],
				 blk_last_error());
			blk_close(b);
			return 1;
		}
		if (have && cur.depth == n.depth && cur.present == n.present &&
		    cur.zero == n.zero && cur.data == n.data &&
		    cur.has_off == n.has_off && cur.file == n.file &&
		    (!n.has_off || cur.offset + cur.len == n.offset)) {
			cur.len += n.len;
		} else {
			if (have)
				print_ext(&cur, json, &first);
			cur = n;
			have = true;
		}
		off += n.len;
	}
	if (have)
		print_ext(&cur, json, &first);
	if (json)
		printf(first ? "[]\n" : "]\n");
	blk_close(b);
	return 0;
}

/* qcow2 metadata bytes for a fully allocated disk of @size. */
static uint64_t qcow2_meta(uint64_t size, uint64_t cs)
{
	uint64_t asz = ALIGN_UP(size, cs), meta = cs, l2e, l1e, blocks = 0,
		 table = 0, last, cl, rbe = cs / 2;

	l2e = ALIGN_UP(asz / cs, cs / 8);
	meta += l2e * 8;
	l1e = l2e * 8 / cs;
	meta += ALIGN_UP(l1e * 8, cs);
	cl = (meta + asz) / cs;
	do {
		last = blocks + table;
		blocks = (cl + table + blocks + rbe - 1) / rbe;
		table = (blocks + cs / 8 - 1) / (cs / 8);
	} while (blocks + table != last);
	return meta + (blocks + table) * cs;
}

/* Bytes of data (cluster granular) visible through the chain of @b. */
static int data_bytes(struct blk *b, uint64_t cs, uint64_t *out)
{
	uint64_t off = 0, size = blk_getlength(b), total = 0, last_end = 0;
	struct ext e;

	while (off < size) {
		if (chain_status(b, off, size - off, &e) < 0)
			return -1;
		if (e.data) {
			uint64_t s = MAX(ALIGN_DOWN(off, cs), last_end);
			uint64_t en = ALIGN_UP(off + e.len, cs);

			if (en > s)
				total += en - s;
			last_end = MAX(last_end, en);
		}
		off += e.len;
	}
	*out = total;
	return 0;
}

int cmd_measure(int argc, char **argv)
{
	const char *oname = "raw";
	enum blk_format ofmt;
	struct blk_create_opts o = { 0 };
	uint64_t size = 0, req, full, data = 0, cs;
	struct img_args a = { .takes_output = true };
	bool have_size = false;
	struct blk *b = NULL;
	int c;

	while ((c = img_getopt(argc, argv, "f:O:o:hU", &a)) != -1) {
		switch (c) {
		case 'O':
			oname = optarg;
			break;
		case 'o':
			if (img_parse_create_opts(optarg, &o) < 0)
				return 1;
			break;
		case IMG_OPT_SIZE:
			if (parse_size(optarg, &size) < 0) {
				wirt_err("bad --size '%s'", optarg);
				return 1;
			}
			have_size = true;
			break;
		default:
			return img_usage("measure", c);
		}
	}
	if (have_size == (optind < argc)) {
		wirt_err("measure needs either --size or one image file name");
		return 1;
	}
	if (blk_format_parse(oname, &ofmt) < 0) {
		wirt_err("unknown output format '%s' (raw, qcow2)", oname);
		return 1;
	}
	cs = o.cluster_size ? o.cluster_size : 65536;
	if (!have_size) {
		b = img_open(argv[optind], a.fmt, BLK_O_NO_PROBE_WARN);
		if (!b)
			return 1;
		size = blk_getlength(b);
		if (data_bytes(b, ofmt == BLK_FMT_QCOW2 ? cs : 512, &data) <
		    0) {
			wirt_err("cannot read '%s': %s", argv[optind],
				 blk_last_error());
			blk_close(b);
			return 1;
		}
		blk_close(b);
	}
	if (ofmt == BLK_FMT_QCOW2) {
		full = qcow2_meta(size, cs) + ALIGN_UP(size, cs);
		req = qcow2_meta(size, cs) + data;
	} else {
		full = size;
		req = have_size ? size : data;
	}
	if (a.json)
		printf("{\n%s    \"required\": %llu,\n    \"fully-allocated\": %llu\n}\n",
		       ofmt == BLK_FMT_QCOW2 ? "    \"bitmaps\": 0,\n" : "",
		       (unsigned long long)req, (unsigned long long)full);
	else
		printf("required size: %llu\nfully allocated size: %llu\n",
		       (unsigned long long)req, (unsigned long long)full);
	return 0;
}
