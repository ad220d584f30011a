// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dom_normalize FILE: parse a domain definition, normalize it as `wirt
 * define` does and print it as `dumpxml` would; what domain_check() says
 * goes to stderr ("error LINE: ..." / "warning LINE: ..."). Exit 0, or 1
 * with the parser's message. For tests/unit/domain/validate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/domain.h"

int main(int argc, char **argv)
{
	struct dom_issue is[64];
	char err[512], *xml = NULL, *out;
	struct domain *d;
	size_t len = 0;
	unsigned int n, i;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: dom_normalize FILE\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f || getdelim(&xml, &len, '\0', f) < 0) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);
	if (domain_parse(xml, strlen(xml), argv[1], &d, err, sizeof(err)) ||
	    domain_normalize(d, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	out = domain_format(d);
	if (!out)
		return 1;
	fputs(out, stdout);
	n = domain_check(d, is, 64);
	for (i = 0; i < n && i < 64; i++)
		fprintf(stderr, "%s %d: %s\n",
			is[i].fatal ? "error" : "warning", is[i].line,
			is[i].text);
	free(out);
	free(xml);
	domain_free(d);
	return 0;
}
