// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img info: what qemu-img info shows, human and JSON. */
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

/* The bitmap flags as qemu-img names them, in its order. */
static const char *const bm_flag_names[] = { "in-use", "auto" };

/* The bitmaps of @b as qemu-img info prints them (human). */
static void bitmaps_human(struct blk *b)
{
	struct blk_bitmap_info *l;
	int n = blk_bitmap_list(b, &l);

	if (n > 0)
		printf("    bitmaps:\n");
	for (int i = 0; i < n; i++) {
		unsigned int k = 0;

		printf("        [%d]:\n            flags:\n", i);
		for (unsigned int f = 0; f < 2; f++)
			if (l[i].flags & (1U << f))
				printf("                [%u]: %s\n", k++,
				       bm_flag_names[f]);
		printf("            name: %s\n            granularity: %llu\n",
		       l[i].name, (unsigned long long)l[i].granularity);
	}
	blk_bitmap_list_free(l, n);
}

/* The "bitmaps" array of qemu-img info's JSON format-specific data. */
static void bitmaps_json(struct blk *b, const char *ind)
{
	struct blk_bitmap_info *l;
	int n = blk_bitmap_list(b, &l);

	if (n > 0)
		printf("%s            \"bitmaps\": [\n", ind);
	for (int i = 0; i < n; i++) {
		const char *sep = "";

		printf("%s                {\n%s                    \"flags\": [\n",
		       ind, ind);
		for (unsigned int f = 0; f < 2; f++) {
			if (!(l[i].flags & (1U << f)))
				continue;
			printf("%s%s                        \"%s\"", sep, ind,
			       bm_flag_names[f]);
			sep = ",\n";
		}
		printf("%s%s                    ],\n%s                    \"name\": ",
		       *sep ? "\n" : "", ind, ind);
		img_json_str(stdout, l[i].name);
		printf(",\n%s                    \"granularity\": %llu\n%s                }%s\n",
		       ind, (unsigned long long)l[i].granularity, ind,
		       i + 1 < n ? "," : "");
	}
	if (n > 0)
		printf("%s            ],\n", ind);
	blk_bitmap_list_free(l, n);
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
	if (i.v3) {
		printf("    compression type: %s\n    lazy refcounts: %s\n",
		       i.compression_type, i.lazy_refcounts ? "true" : "false");
		bitmaps_human(b);
		printf("    refcount bits: %u\n    corrupt: %s\n    extended l2: false\n",
		       i.refcount_bits, i.corrupt ? "true" : "false");
	} else {
		printf("    compression type: zlib\n    refcount bits: 16\n");
	}
	blk_info_free(&i);
}

/* qemu-img's "format-specific" object of a qcow2 image. */
static void format_specific_json(struct blk *b, const struct blk_info *i,
				 const char *ind)
{
	printf("%s    \"format-specific\": {\n%s        \"type\": \"qcow2\",\n"
	       "%s        \"data\": {\n%s            \"compat\": \"%s\",\n",
	       ind, ind, ind, ind, i->compat);
	printf("%s            \"compression-type\": \"%s\",\n", ind,
	       i->compression_type);
	if (i->v3)
		printf("%s            \"lazy-refcounts\": %s,\n", ind,
		       i->lazy_refcounts ? "true" : "false");
	bitmaps_json(b, ind);
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
		format_specific_json(b, &inf, ind);
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
