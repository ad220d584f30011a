// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img check: the qcow2 metadata check, with qemu-img's report. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "img/img.h"

/* One finding of the check, on stderr as qemu-img prints it. */
static void check_log(const char *m)
{
	fprintf(stderr, "%s\n", m);
}

/* qemu-img check's human summary of *r. */
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

/* qemu-img check's JSON report of *r for image @b. */
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
