// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net_normalize FILE: parse a network definition with wirt's netdef
 * library, normalize it (bridge "virbr9" when it names none) and print it;
 * errors on stderr, exit status 1. For the validate script.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netdef/netdef.h"

int main(int argc, char **argv)
{
	static char xml[NETDEF_XML_MAX + 1];
	struct netdef *n;
	char err[512], *out;
	size_t len;
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: net_normalize FILE (readable)\n");
		return 1;
	}
	len = fread(xml, 1, sizeof(xml), f);
	fclose(f);
	if (netdef_parse(xml, len, argv[1], &n, err, sizeof(err)) ||
	    netdef_normalize(n, "virbr9")) {
		fprintf(stderr, "net_normalize: %s\n", err);
		return 1;
	}
	out = netdef_format(n);
	fputs(out, stdout);
	free(out);
	free(n);
	return 0;
}
