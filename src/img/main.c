// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img: qemu-img's command line for raw and qcow2 images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "img/img.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: wirt-img COMMAND [options]\n\nCommands:\n");
	for (size_t i = 0; i < img_nr_cmds; i++)
		fprintf(f, "    %s\n", img_cmds[i].usage);
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
	for (size_t i = 0; i < img_nr_cmds; i++)
		if (!strcmp(argv[1], img_cmds[i].name))
			return img_cmds[i].fn(argc - 1, argv + 1);
	wirt_err("unknown command '%s'; run 'wirt-img --help' for the list",
		 argv[1]);
	return 1;
}
