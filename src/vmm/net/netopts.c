// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing of the --net option (see netopts.h). */
#include "vmm/net/netopts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define NET_SPEC_MAX 1024

/* Format a reason into err and return -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* One hex digit's value, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int net_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	unsigned int i;

	for (i = 0; i < 6; i++) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		m[i] = hi << 4 | lo;
		s += 2;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	if (m[0] & 1) /* multicast/broadcast: not a station address */
		return -EINVAL;
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return -EINVAL;
	memcpy(mac, m, 6);
	return 0;
}

/* A port number 1..65535 from s; 0 or -EINVAL. */
static int parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (parse_uint(s, 1, 65535, &v))
		return -EINVAL;
	*port = v;
	return 0;
}

/*
 * Split "ADDR:PORT" at its last ':' into an IPv4 address (def when empty)
 * and a port. Modifies s. Returns 0 or -EINVAL.
 */
static int parse_addr_port(char *s, const char *def, struct in_addr *a,
			   uint16_t *port)
{
	char *colon = strrchr(s, ':');

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (inet_pton(AF_INET, *s ? s : def, a) != 1)
		return -EINVAL;
	return parse_port(colon + 1, port);
}

int net_parse_hostfwd(const char *s, struct net_hostfwd *f, char *err,
		      size_t errlen)
{
	static const char form[] = "use tcp:[ADDR]:HPORT-[GADDR]:GPORT, "
				   "e.g. tcp:127.0.0.1:2222-:22";
	char buf[128], host[130], *guest, *p;
	struct net_hostfwd n = { 0 };
	struct in_addr net, mask;

	if (strlen(s) >= sizeof(buf))
		return fail(err, errlen, "hostfwd '%s' is too long", s);
	strcpy(buf, s);
	if (!strncmp(buf, "tcp:", 4)) {
		p = buf + 4;
	} else if (!strncmp(buf, "udp:", 4)) {
		n.udp = true;
		p = buf + 4;
	} else {
		return fail(err, errlen, "hostfwd '%s': %s", s, form);
	}
	guest = strchr(p, '-');
	if (!guest)
		return fail(err, errlen, "hostfwd '%s': %s", s, form);
	*guest++ = '\0';
	/* "tcp:HPORT-..." has no address part: make it ":HPORT" */
	snprintf(host, sizeof(host), "%s%s", strchr(p, ':') ? "" : ":", p);
	if (parse_addr_port(host, "127.0.0.1", &n.haddr, &n.hport))
		return fail(err, errlen,
			    "hostfwd '%s': bad host address or port (%s)", s,
			    form);
	if (parse_addr_port(guest, "0.0.0.0", &n.gaddr, &n.gport))
		return fail(err, errlen,
			    "hostfwd '%s': bad guest address or port (%s)", s,
			    form);
	inet_pton(AF_INET, NET_USER_NETWORK, &net);
	inet_pton(AF_INET, NET_USER_NETMASK, &mask);
	if (n.gaddr.s_addr && (n.gaddr.s_addr & mask.s_addr) != net.s_addr)
		return fail(err, errlen,
			    "hostfwd '%s': the guest address must be in %s/24",
			    s, NET_USER_NETWORK);
	*f = n;
	return 0;
}

/* Whether name is usable as a Linux interface name. */
static bool valid_ifname(const char *name)
{
	const char *p;

	if (!*name || strlen(name) >= IFNAMSIZ || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) ||
		    !isprint((unsigned char)*p))
			return false;
	return true;
}

/* Apply one key=value item to o; 0 or -EINVAL with err set. */
static int parse_item(char *item, struct net_opts *o, bool *mac_set, char *err,
		      size_t errlen)
{
	char *val = strchr(item, '=');

	if (!val)
		return fail(err, errlen, "'%s' is not KEY=VALUE", item);
	*val++ = '\0';
	if (!strcmp(item, "mac")) {
		if (*mac_set)
			return fail(err, errlen, "mac= given twice");
		if (net_parse_mac(val, o->mac))
			return fail(
				err, errlen,
				"mac '%s': give six hex pairs such as 52:54:00:12:34:56 (unicast, not all zero)",
				val);
		*mac_set = true;
		return 0;
	}
	if (!strcmp(item, "hostfwd") && o->kind == NET_USER) {
		if (o->nfwd == NET_MAX_HOSTFWD)
			return fail(err, errlen, "at most %d hostfwd= rules",
				    NET_MAX_HOSTFWD);
		return net_parse_hostfwd(val, &o->fwd[o->nfwd++], err, errlen);
	}
	if (!strcmp(item, "vhost") && o->kind == NET_TAP) {
		if (!strcmp(val, "on"))
			o->vhost = true;
		else if (!strcmp(val, "off"))
			o->vhost = false;
		else
			return fail(err, errlen, "vhost '%s': use on or off",
				    val);
		return 0;
	}
	if (o->kind == NET_USER)
		return fail(
			err, errlen,
			"unknown key '%s' for user networking (it takes hostfwd= and mac=)",
			item);
	return fail(err, errlen,
		    "unknown key '%s' for a tap (it takes vhost= and mac=)",
		    item);
}

/* The N of "tap-fd=N" into o; 0 or -EINVAL with err set. */
static int parse_tapfd(const char *val, struct net_opts *o, char *err,
		       size_t errlen)
{
	uint64_t v;

	if (parse_uint(val, 3, 65535, &v))
		return fail(
			err, errlen,
			"tap-fd '%s': give the number (3 to 65535) of an open tap file descriptor this process inherits",
			val);
	o->kind = NET_TAP;
	o->tapfd = (int)v;
	return 0;
}

int net_parse_opts(const char *spec, unsigned int index, struct net_opts *o,
		   char *err, size_t errlen)
{
	static const uint8_t defmac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	char buf[NET_SPEC_MAX], *item, *save = NULL;
	bool mac_set = false;
	int r;

	memset(o, 0, sizeof(*o));
	o->tapfd = -1;
	if (strlen(spec) >= sizeof(buf))
		return fail(err, errlen, "the value is too long");
	strcpy(buf, spec);
	item = strtok_r(buf, ",", &save);
	if (!item)
		return fail(
			err, errlen,
			"give user[,hostfwd=...][,mac=M], tap=IFNAME[,vhost=on][,mac=M] or tap-fd=N[,vhost=on][,mac=M]");
	if (!strcmp(item, "user")) {
		o->kind = NET_USER;
	} else if (!strncmp(item, "tap=", 4)) {
		o->kind = NET_TAP;
		if (!valid_ifname(item + 4))
			return fail(
				err, errlen,
				"tap '%s': give an interface name of 1 to %d characters",
				item + 4, IFNAMSIZ - 1);
		strcpy(o->ifname, item + 4);
	} else if (!strncmp(item, "tap-fd=", 7)) {
		r = parse_tapfd(item + 7, o, err, errlen);
		if (r)
			return r;
	} else {
		return fail(
			err, errlen,
			"unknown backend '%s': use user, tap=IFNAME or tap-fd=N",
			item);
	}
	while ((item = strtok_r(NULL, ",", &save))) {
		r = parse_item(item, o, &mac_set, err, errlen);
		if (r)
			return r;
	}
	if (!mac_set) {
		memcpy(o->mac, defmac, 6);
		o->mac[5] = defmac[5] + (index & 0xff);
		o->mac[4] = defmac[4] + ((index >> 8) & 0xff);
	}
	return 0;
}
