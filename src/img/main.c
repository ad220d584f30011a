// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img: qemu-img's command line for raw and qcow2 images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "img/img.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "amend", cmd_amend, "amend [-f fmt] -o options filename" },
	{ "bench", cmd_bench,
	  "bench [-c count] [-d depth] [-f fmt] [-n] [-o offset] [-s size] [-S step] [-t none] [-w] filename" },
	{ "check", cmd_check,
	  "check [-f fmt] [--output=human|json] [-r leaks|all] filename" },
	{ "commit", cmd_commit, "commit [-f fmt] [-p] filename" },
	{ "compare", cmd_compare,
	  "compare [-f fmt] [-F fmt] [-p] [-s] filename1 filename2" },
	{ "convert", cmd_convert,
	  "convert [-c] [-p] [-f fmt] [-O output_fmt] [-o options] filename output_filename" },
	{ "create", cmd_create,
	  "create [-f fmt] [-b backing_file [-F backing_fmt]] [-o options] filename [size]" },
	{ "info", cmd_info,
	  "info [-f fmt] [--output=human|json] [--backing-chain] filename" },
	{ "map", cmd_map, "map [-f fmt] [--output=human|json] filename" },
	{ "measure", cmd_measure,
	  "measure [--output=human|json] [-O output_fmt] [-o options] [--size N | [-f fmt] filename]" },
	{ "rebase", cmd_rebase,
	  "rebase [-f fmt] [-p] [-u] -b backing_file [-F backing_fmt] filename" },
	{ "resize", cmd_resize,
	  "resize [-f fmt] [--shrink] filename [+ | -]size" },
	{ "snapshot", cmd_snapshot,
	  "snapshot [-l | -a snapshot | -c snapshot | -d snapshot] filename" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: wirt-img COMMAND [options]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "    %s\n", cmds[i].usage);
	fprintf(f, "\nFormats: raw, qcow2\n");
}

int main(int argc, char **argv)
{
	wirt_set_progname("wirt-img");
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	wirt_err("unknown command '%s'; run 'wirt-img --help' for the list",
		 argv[1]);
	return 1;
}
