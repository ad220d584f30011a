// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img info, check, map, measure. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "block/info.h"
#include "common/util.h"
#include "img/img.h"

static void vm_clock(uint64_t ns, char *out, size_t len)
{
	uint64_t s = ns / 1000000000ULL;

	snprintf(out, len, "%02llu:%02llu:%02llu.%03llu",
		 (unsigned long long)(s / 3600),
		 (unsigned long long)(s / 60 % 60),
		 (unsigned long long)(s % 60),
		 (unsigned long long)(ns / 1000000 % 1000));
}

void img_print_snapshots(const struct blk_snapshot *list, int n)
{
	printf("ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n");
	for (int i = 0; i < n; i++) {
		const struct blk_snapshot *s = &list[i];
		char vs[32], date[32], clk[32];
		time_t t = s->date_sec;
		struct tm tm;

		img_size_str(s->vm_state_size, vs, sizeof(vs));
		localtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		vm_clock(s->vm_clock_nsec, clk, sizeof(clk));
		printf("%-9s %-17s %7s%20s%13s", s->id, s->name, vs, date, clk);
		if (s->icount == UINT64_MAX)
			printf("%11s\n", "");
		else
			printf("%11llu\n", (unsigned long long)s->icount);
	}
}

/* The snapshots of a qcow2 image @b in *list; their count (0 on error). */
static int snapshots(struct blk *b, struct blk_snapshot **list)
{
	int n;

	*list = NULL;
	if (blk_get_format(b) != BLK_FMT_QCOW2)
		return 0;
	n = blk_snapshot_list(b, list);
	return n < 0 ? 0 : n;
}

/* qemu-img info's human output for one layer. */
static void info_human(struct blk *b)
{
	struct blk_snapshot *list;
	struct blk_info i;
	char vs[32], ds[32];
	int n;

	blk_get_info(b, &i);
	img_size_str(i.virtual_size, vs, sizeof(vs));
	img_size_str(i.actual_size, ds, sizeof(ds));
	printf("image: %s\nfile format: %s\nvirtual size: %s (%llu bytes)\ndisk size: %s\n",
	       i.filename, blk_format_name(i.format), vs,
	       (unsigned long long)i.virtual_size, ds);
	if (!i.qcow2) {
		blk_info_free(&i);
		return;
	}
	printf("cluster_size: %llu\n", (unsigned long long)i.cluster_size);
	if (i.backing_file) {
		printf("backing file: %s", i.backing_file);
		if (i.full_backing && strcmp(i.full_backing, i.backing_file))
			printf(" (actual path: %s)", i.full_backing);
		printf("\n");
		if (i.backing_fmt)
			printf("backing file format: %s\n", i.backing_fmt);
	}
	n = snapshots(b, &list);
	if (n) {
		printf("Snapshot list:\n");
		img_print_snapshots(list, n);
	}
	blk_snapshot_list_free(list, n);
	printf("Format specific information:\n    compat: %s\n", i.compat);
	if (i.v3)
		printf("    compression type: %s\n    lazy refcounts: %s\n"
		       "    refcount bits: %u\n    corrupt: %s\n    extended l2: false\n",
		       i.compression_type, i.lazy_refcounts ? "true" : "false",
		       i.refcount_bits, i.corrupt ? "true" : "false");
	else
		printf("    compression type: zlib\n    refcount bits: 16\n");
	blk_info_free(&i);
}

/* qemu-img's "format-specific" object of a qcow2 image. */
static void format_specific_json(const struct blk_info *i, const char *ind)
{
	printf("%s    \"format-specific\": {\n%s        \"type\": \"qcow2\",\n"
	       "%s        \"data\": {\n%s            \"compat\": \"%s\",\n",
	       ind, ind, ind, ind, i->compat);
	printf("%s            \"compression-type\": \"%s\",\n", ind,
	       i->compression_type);
	if (i->v3)
		printf("%s            \"lazy-refcounts\": %s,\n", ind,
		       i->lazy_refcounts ? "true" : "false");
	printf("%s            \"refcount-bits\": %u%s\n", ind, i->refcount_bits,
	       i->v3 ? "," : "");
	if (i->v3)
		printf("%s            \"corrupt\": %s,\n%s            \"extended-l2\": false\n",
		       ind, i->corrupt ? "true" : "false", ind);
	printf("%s        }\n%s    },\n", ind, ind);
}

/* The "snapshots" array of qemu-img info's JSON output. */
static void snapshots_json(const struct blk_snapshot *list, int n,
			   const char *ind)
{
	printf("%s    \"snapshots\": [\n", ind);
	for (int i = 0; i < n; i++) {
		const struct blk_snapshot *s = &list[i];

		printf("%s        {\n", ind);
		if (s->icount != UINT64_MAX)
			printf("%s            \"icount\": %llu,\n", ind,
			       (unsigned long long)s->icount);
		printf("%s            \"vm-clock-nsec\": %llu,\n%s            \"name\": ",
		       ind,
		       (unsigned long long)(s->vm_clock_nsec % 1000000000ULL),
		       ind);
		img_json_str(stdout, s->name);
		printf(",\n%s            \"date-sec\": %u,\n%s            \"date-nsec\": %u,\n"
		       "%s            \"vm-clock-sec\": %llu,\n%s            \"id\": ",
		       ind, s->date_sec, ind, s->date_nsec, ind,
		       (unsigned long long)(s->vm_clock_nsec / 1000000000ULL),
		       ind);
		img_json_str(stdout, s->id);
		printf(",\n%s            \"vm-state-size\": %llu\n%s        }%s\n",
		       ind, (unsigned long long)s->vm_state_size, ind,
		       i + 1 < n ? "," : "");
	}
	printf("%s    ],\n", ind);
}

/* qemu-img info's JSON object for one layer, indented by @ind. */
static void info_json(struct blk *b, const char *ind)
{
	struct blk_snapshot *list;
	struct blk_info inf;
	int n;

	blk_get_info(b, &inf);
	printf("%s{\n", ind);
	if (inf.backing_fmt) {
		printf("%s    \"backing-filename-format\": ", ind);
		img_json_str(stdout, inf.backing_fmt);
		printf(",\n");
	}
	printf("%s    \"virtual-size\": %llu,\n%s    \"filename\": ", ind,
	       (unsigned long long)inf.virtual_size, ind);
	img_json_str(stdout, inf.filename);
	printf(",\n");
	if (inf.qcow2)
		printf("%s    \"cluster-size\": %llu,\n", ind,
		       (unsigned long long)inf.cluster_size);
	printf("%s    \"format\": \"%s\",\n%s    \"actual-size\": %llu,\n", ind,
	       blk_format_name(inf.format), ind,
	       (unsigned long long)inf.actual_size);
	n = snapshots(b, &list);
	if (n)
		snapshots_json(list, n, ind);
	blk_snapshot_list_free(list, n);
	if (inf.qcow2)
		format_specific_json(&inf, ind);
	if (inf.backing_file) {
		printf("%s    \"full-backing-filename\": ", ind);
		img_json_str(stdout, inf.full_backing ? inf.full_backing :
							inf.backing_file);
		printf(",\n%s    \"backing-filename\": ", ind);
		img_json_str(stdout, inf.backing_file);
		printf(",\n");
	}
	printf("%s    \"dirty-flag\": %s\n%s}", ind,
	       inf.dirty ? "true" : "false", ind);
	blk_info_free(&inf);
}

int cmd_info(int argc, char **argv)
{
	struct img_args a = { .takes_output = true };
	bool json, chain = false;
	struct blk *b;
	int c;

	while ((c = img_getopt(argc, argv, "f:hU", &a)) != -1) {
		if (c != IMG_OPT_CHAIN)
			return img_usage("info", c);
		chain = true;
	}
	if (optind != argc - 1) {
		wirt_err("info needs exactly one image file name");
		return 1;
	}
	json = a.json;
	b = img_open(argv[optind], a.fmt,
		     BLK_O_NO_PROBE_WARN | (chain ? 0 : BLK_O_NO_BACKING));
	if (!b)
		return 1;
	if (json && chain)
		printf("[\n");
	for (struct blk *l = b; l; l = chain ? blk_backing(l) : NULL) {
		if (json) {
			info_json(l, chain ? "    " : "");
			printf("%s\n", chain && blk_backing(l) ? "," : "");
		} else {
			if (l != b)
				printf("\n");
			info_human(l);
		}
	}
	if (json && chain)
		printf("]\n");
	blk_close(b);
	return 0;
}

static void check_log(const char *m)
{
	fprintf(stderr, "%s\n", m);
}

static void check_human(struct blk_check_result *r)
{
	if (!r->corruptions && !r->leaks && !r->check_errors)
		printf("No errors were found on the image.\n");
	if (r->corruptions)
		printf("\n%llu errors were found on the image.\n"
		       "Data may be corrupted, or further writes to the image may corrupt it.\n",
		       (unsigned long long)r->corruptions);
	if (r->leaks)
		printf("\n%llu leaked clusters were found on the image.\n"
		       "This means waste of disk space, but no harm to data.\n",
		       (unsigned long long)r->leaks);
	if (r->check_errors)
		printf("\n%llu internal errors have occurred during the check.\n",
		       (unsigned long long)r->check_errors);
	if (r->total_clusters && r->allocated_clusters)
		printf("%llu/%llu = %.2f%% allocated, %.2f%% fragmented, %.2f%% compressed clusters\n",
		       (unsigned long long)r->allocated_clusters,
		       (unsigned long long)r->total_clusters,
		       100.0 * r->allocated_clusters / r->total_clusters,
		       r->allocated_clusters ? 100.0 * r->fragmented_clusters /
						       r->allocated_clusters :
					       0.0,
		       r->allocated_clusters ? 100.0 * r->compressed_clusters /
						       r->allocated_clusters :
					       0.0);
	printf("Image end offset: %llu\n",
	       (unsigned long long)r->image_end_offset);
}

static void check_json(struct blk *b, struct blk_check_result *r)
{
	printf("{\n    \"image-end-offset\": %llu,\n    \"total-clusters\": %llu,\n"
	       "    \"check-errors\": %llu,\n",
	       (unsigned long long)r->image_end_offset,
	       (unsigned long long)r->total_clusters,
	       (unsigned long long)r->check_errors);
#define OPT(name, v) \
	if (v)       \
		printf("    \"" name "\": %llu,\n", (unsigned long long)(v));
	OPT("leaks", r->leaks)
	OPT("corruptions", r->corruptions)
	OPT("leaks-fixed", r->leaks_fixed)
	OPT("corruptions-fixed", r->corruptions_fixed)
	printf("    \"allocated-clusters\": %llu,\n    \"filename\": ",
	       (unsigned long long)r->allocated_clusters);
	img_json_str(stdout, blk_filename(b));
	printf(",\n    \"format\": \"qcow2\"");
	if (r->fragmented_clusters)
		printf(",\n    \"fragmented-clusters\": %llu",
		       (unsigned long long)r->fragmented_clusters);
	if (r->compressed_clusters)
		printf(",\n    \"compressed-clusters\": %llu",
		       (unsigned long long)r->compressed_clusters);
	printf("\n}\n");
#undef OPT
}

/* Parse check's options into *a and *repair; 0 or an exit status. */
static int check_opts(int argc, char **argv, struct img_args *a,
		      enum blk_repair *repair)
{
	int c;

	while ((c = img_getopt(argc, argv, "f:r:hqU", a)) != -1) {
		if (c != 'r')
			return img_usage("check", c);
		if (!strcmp(optarg, "leaks")) {
			*repair = BLK_REPAIR_LEAKS;
		} else if (!strcmp(optarg, "all")) {
			*repair = BLK_REPAIR_ALL;
		} else {
			wirt_err("-r must be 'leaks' or 'all'");
			return 1;
		}
	}
	if (optind != argc - 1) {
		wirt_err("check needs exactly one image file name");
		return 1;
	}
	return 0;
}

/*
 * Check @b, repairing as @repair allows, then check a repaired image once
 * more (as qemu-img does) keeping the first run's repair counts in *r.
 */
static int check_run(struct blk *b, enum blk_repair repair, bool json,
		     struct blk_check_result *r)
{
	void (*log)(const char *m) = json ? NULL : check_log;
	uint64_t lf, cf;
	int ret = blk_check(b, repair, r, log);

	if (ret || !repair || (!r->leaks_fixed && !r->corruptions_fixed))
		return ret;
	lf = r->leaks_fixed;
	cf = r->corruptions_fixed;
	if (!json)
		printf("The following inconsistencies were found and repaired:\n\n"
		       "    %llu leaked clusters\n    %llu corruptions\n\n"
		       "Double checking the fixed image now...\n",
		       (unsigned long long)lf, (unsigned long long)cf);
	ret = blk_check(b, BLK_REPAIR_NONE, r, log);
	r->leaks_fixed = lf;
	r->corruptions_fixed = cf;
	return ret;
}

int cmd_check(int argc, char **argv)
{
	enum blk_repair repair = BLK_REPAIR_NONE;
	struct img_args a = { .takes_output = true };
	struct blk_check_result r;
	struct blk *b;
	int ret = check_opts(argc, argv, &a, &repair);

	if (ret)
		return ret;
	b = img_open(argv[optind], a.fmt,
		     BLK_O_NO_PROBE_WARN | BLK_O_NO_BACKING | BLK_O_NO_REPAIR |
			     BLK_O_CHECK | (repair ? BLK_O_RDWR : 0));
	if (!b)
		return 1;
	if (blk_get_format(b) != BLK_FMT_QCOW2) {
		wirt_err("format %s of '%s' does not support checks",
			 blk_format_name(blk_get_format(b)), argv[optind]);
		blk_close(b);
		return 63;
	}
	if (check_run(b, repair, a.json, &r) < 0) {
		wirt_err("check of '%s' failed: %s", argv[optind],
			 blk_last_error());
		blk_close(b);
		return 1;
	}
	if (a.json)
		check_json(b, &r);
	else
		check_human(&r);
	blk_close(b);
	if (r.check_errors)
		return 1;
	if (r.corruptions)
		return 2;
	return r.leaks ? 3 : 0;
}

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
