/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to src/netdef/: the parser's state and its shared helpers. */
#ifndef WIRT_NETDEF_NETDEF_INT_H
#define WIRT_NETDEF_NETDEF_INT_H

#include <libxml/tree.h>

#include "netdef/netdef.h"

struct nd_parse {
	const char *origin;
	char *err;
	size_t errlen;
	struct netdef *n;
};

/* nd_fail - "ORIGIN:LINE: MESSAGE" into p->err; returns -EINVAL. */
int nd_fail(struct nd_parse *p, xmlNodePtr at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* nd_prop - attribute name of e ("" when empty), or NULL when absent. */
const char *nd_prop(xmlNodePtr e, const char *name);

/* nd_is - whether n is an element (named name, when not NULL). */
bool nd_is(xmlNodePtr n, const char *name);

/* nd_parse_ip - one <ip> element into p->n. Returns 0 or -EINVAL. */
int nd_parse_ip(struct nd_parse *p, xmlNodePtr e);

/* nd_parse_dns - the <dns> element into p->n. Returns 0 or -EINVAL. */
int nd_parse_dns(struct nd_parse *p, xmlNodePtr e);

/* nd_parse_metadata - wirt's port forwards in <metadata>; others in it
 * are refused. Returns 0 or -EINVAL. */
int nd_parse_metadata(struct nd_parse *p, xmlNodePtr e);

/* nd_valid_mac - "52:54:00:ab:cd:ef" (unicast, not zero) copied to out
 * in lower case; false when malformed. */
bool nd_valid_mac(const char *s, char out[18]);

/* nd_valid_hostname - letters, digits, '-', '.'; 1..63 characters. */
bool nd_valid_hostname(const char *s);

/* nd_in_subnet - whether address a (text) lies inside ip's subnet. */
bool nd_in_subnet(const struct netdef_ip *ip, const char *a);

#endif
