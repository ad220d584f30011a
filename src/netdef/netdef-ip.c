// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The addressing parts of a network definition: <ip> with its <dhcp>
 * ranges and hosts, <dns> host entries, and wirt's port forwards in
 * <metadata>. Every address is checked to lie in its subnet.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "common/util.h"
#include "netdef/netdef-int.h"

bool nd_valid_mac(const char *s, char out[18])
{
	unsigned int i;
	char m[18];

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
		m[i] = tolower((unsigned char)s[i]);
	}
	m[17] = '\0';
	if (strchr("13579bdf", m[1]) || !strcmp(m, "00:00:00:00:00:00"))
		return false; /* multicast, or no address */
	memcpy(out, m, 18);
	return true;
}

bool nd_valid_hostname(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n >= NETDEF_HOSTNAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* The first prefix bits of a and b (16 bytes, or 4 for IPv4) agree. */
static bool same_prefix(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return false;
	return !rest || !((a[full] ^ b[full]) & (0xff << (8 - rest)));
}

bool nd_in_subnet(const struct netdef_ip *ip, const char *a)
{
	uint8_t x[16], y[16];

	if (inet_pton(ip->family, ip->address, x) != 1 ||
	    inet_pton(ip->family, a, y) != 1)
		return false;
	return same_prefix(x, y, ip->prefix);
}

bool netdef_overlaps(struct in_addr a, unsigned int alen, struct in_addr b,
		     unsigned int blen)
{
	return same_prefix((const uint8_t *)&a.s_addr,
			   (const uint8_t *)&b.s_addr, MIN(alen, blen));
}

/* A dotted netmask's prefix length, or -1 when not contiguous. */
static int mask_prefix(const char *s)
{
	struct in_addr m;
	uint32_t v;
	int n = 0;

	if (inet_pton(AF_INET, s, &m) != 1)
		return -1;
	v = ntohl(m.s_addr);
	while (v & 0x80000000u) {
		v <<= 1;
		n++;
	}
	return v ? -1 : n;
}

/* family=, address=, netmask= or prefix= of an <ip> into ip. */
static int parse_ip_addr(struct nd_parse *p, xmlNodePtr e, struct netdef_ip *ip)
{
	const char *fam = nd_prop(e, "family"), *a = nd_prop(e, "address");
	const char *mask = nd_prop(e, "netmask"), *pre = nd_prop(e, "prefix");
	uint8_t buf[16];
	uint64_t v;
	int m;

	ip->family = fam && !strcmp(fam, "ipv6") ? AF_INET6 : AF_INET;
	if (fam && strcmp(fam, "ipv4") && strcmp(fam, "ipv6"))
		return nd_fail(p, e, "<ip family='%s'>: use ipv4 or ipv6", fam);
	if (!a || strlen(a) >= NETDEF_ADDR_LEN ||
	    inet_pton(ip->family, a, buf) != 1)
		return nd_fail(p, e, "<ip address='%s'>: not an %s address",
			       a ? a : "", fam ? fam : "ipv4");
	strcpy(ip->address, a);
	if (mask && ip->family == AF_INET) {
		m = mask_prefix(mask);
		if (m < 1 || m > 30)
			return nd_fail(
				p, e,
				"<ip netmask='%s'>: give a contiguous netmask from 128.0.0.0 to 255.255.255.252",
				mask);
		ip->prefix = m;
		ip->netmask_form = true;
		return 0;
	}
	if (!pre || parse_uint(pre, 1, ip->family == AF_INET ? 30 : 126, &v))
		return nd_fail(
			p, e,
			"<ip address='%s'>: give netmask= (IPv4) or prefix= (1 to 30 for IPv4, 1 to 126 for IPv6)",
			a);
	ip->prefix = (unsigned int)v;
	return 0;
}

/* Whether text address a <= b (same family). */
static bool addr_le(int family, const char *a, const char *b)
{
	uint8_t x[16], y[16];

	inet_pton(family, a, x);
	inet_pton(family, b, y);
	return memcmp(x, y, family == AF_INET ? 4 : 16) <= 0;
}

/* <range start= end=> of <dhcp>. */
static int parse_range(struct nd_parse *p, xmlNodePtr e, struct netdef_ip *ip)
{
	const char *s = nd_prop(e, "start"), *t = nd_prop(e, "end");
	struct netdef_range *r;

	if (ip->nranges == NETDEF_RANGES_MAX)
		return nd_fail(p, e, "at most %d DHCP ranges per <ip>",
			       NETDEF_RANGES_MAX);
	if (!s || !t || !nd_in_subnet(ip, s) || !nd_in_subnet(ip, t) ||
	    !addr_le(ip->family, s, t))
		return nd_fail(
			p, e,
			"<range start='%s' end='%s'>: give two addresses of %s/%u, start first",
			s ? s : "", t ? t : "", ip->address, ip->prefix);
	r = &ip->ranges[ip->nranges++];
	strcpy(r->start, s);
	strcpy(r->end, t);
	return 0;
}

/* <host mac= name= ip=> of <dhcp>. */
static int parse_host(struct nd_parse *p, xmlNodePtr e, struct netdef_ip *ip)
{
	const char *mac = nd_prop(e, "mac"), *name = nd_prop(e, "name");
	const char *a = nd_prop(e, "ip");
	struct netdef_host *h;

	if (ip->nhosts == NETDEF_HOSTS_MAX)
		return nd_fail(p, e, "at most %d DHCP hosts per <ip>",
			       NETDEF_HOSTS_MAX);
	h = &ip->hosts[ip->nhosts];
	memset(h, 0, sizeof(*h));
	if (mac && !nd_valid_mac(mac, h->mac))
		return nd_fail(p, e,
			       "<host mac='%s'>: not a unicast MAC address",
			       mac);
	if (name && !nd_valid_hostname(name))
		return nd_fail(p, e, "<host name='%s'>: not a host name", name);
	if (!a || !nd_in_subnet(ip, a))
		return nd_fail(p, e, "<host ip='%s'>: give an address of %s/%u",
			       a ? a : "", ip->address, ip->prefix);
	if (!mac && !name)
		return nd_fail(p, e, "<host ip='%s'> needs mac= or name=", a);
	if (name)
		strcpy(h->name, name);
	strcpy(h->ip, a);
	ip->nhosts++;
	return 0;
}

/* <dhcp> of an <ip>. */
static int parse_dhcp(struct nd_parse *p, xmlNodePtr e, struct netdef_ip *ip)
{
	xmlNodePtr c;
	int r;

	for (c = e->children; c; c = c->next) {
		if (!nd_is(c, NULL))
			continue;
		if (nd_is(c, "range"))
			r = parse_range(p, c, ip);
		else if (nd_is(c, "host"))
			r = parse_host(p, c, ip);
		else
			r = nd_fail(
				p, c,
				"<dhcp><%s> is not supported; use <range> and <host>",
				(const char *)c->name);
		if (r)
			return r;
	}
	return 0;
}

int nd_parse_ip(struct nd_parse *p, xmlNodePtr e)
{
	struct netdef_ip *ip;
	xmlNodePtr c;
	int r;

	if (p->n->nips == NETDEF_IPS_MAX)
		return nd_fail(p, e, "at most %d <ip> elements",
			       NETDEF_IPS_MAX);
	ip = &p->n->ips[p->n->nips];
	memset(ip, 0, sizeof(*ip));
	r = parse_ip_addr(p, e, ip);
	for (c = e->children; !r && c; c = c->next) {
		if (!nd_is(c, NULL))
			continue;
		if (nd_is(c, "dhcp"))
			r = parse_dhcp(p, c, ip);
		else
			r = nd_fail(p, c,
				    "<ip><%s> is not supported; use <dhcp>",
				    (const char *)c->name);
	}
	if (!r)
		p->n->nips++;
	return r;
}

/* One <host ip=> of <dns> with its <hostname>s. */
static int parse_dns_host(struct nd_parse *p, xmlNodePtr e)
{
	struct netdef_dnshost *h = &p->n->dns[p->n->ndns];
	const char *a = nd_prop(e, "ip"), *t;
	uint8_t buf[16];
	xmlNodePtr c;

	if (p->n->ndns == NETDEF_DNS_MAX)
		return nd_fail(p, e, "at most %d <dns><host> entries",
			       NETDEF_DNS_MAX);
	memset(h, 0, sizeof(*h));
	if (!a || strlen(a) >= NETDEF_ADDR_LEN ||
	    (inet_pton(AF_INET, a, buf) != 1 &&
	     inet_pton(AF_INET6, a, buf) != 1))
		return nd_fail(p, e, "<dns><host ip='%s'>: not an address",
			       a ? a : "");
	strcpy(h->ip, a);
	for (c = e->children; c; c = c->next) {
		if (!nd_is(c, NULL))
			continue;
		t = c->children && c->children->type == XML_TEXT_NODE ?
			    (const char *)c->children->content :
			    "";
		if (!nd_is(c, "hostname") || !nd_valid_hostname(t) ||
		    h->nnames == NETDEF_DNS_NAMES)
			return nd_fail(
				p, c,
				"<dns><host> takes 1 to %d <hostname> elements with host names",
				NETDEF_DNS_NAMES);
		strcpy(h->names[h->nnames++], t);
	}
	if (!h->nnames)
		return nd_fail(p, e, "<dns><host ip='%s'> needs a <hostname>",
			       a);
	p->n->ndns++;
	return 0;
}

int nd_parse_dns(struct nd_parse *p, xmlNodePtr e)
{
	xmlNodePtr c;
	int r;

	for (c = e->children; c; c = c->next) {
		if (!nd_is(c, NULL))
			continue;
		if (!nd_is(c, "host"))
			return nd_fail(
				p, c,
				"<dns><%s> is not supported; use <host ip=><hostname>",
				(const char *)c->name);
		r = parse_dns_host(p, c);
		if (r)
			return r;
	}
	return 0;
}

/* One <wirt:portforward proto= port= to= toport= address=>. */
static int parse_portfwd(struct nd_parse *p, xmlNodePtr e)
{
	const char *proto = nd_prop(e, "proto"), *a = nd_prop(e, "address");
	const char *port = nd_prop(e, "port"), *to = nd_prop(e, "to");
	const char *toport = nd_prop(e, "toport");
	struct netdef_portfwd *f = &p->n->fwd[p->n->nfwd];
	struct in_addr buf;
	uint64_t v, w;

	if (p->n->nfwd == NETDEF_FWD_MAX)
		return nd_fail(p, e, "at most %d port forwards",
			       NETDEF_FWD_MAX);
	memset(f, 0, sizeof(*f));
	if (proto && strcmp(proto, "tcp") && strcmp(proto, "udp"))
		return nd_fail(p, e, "<portforward proto='%s'>: use tcp or udp",
			       proto);
	f->udp = proto && !strcmp(proto, "udp");
	if (a &&
	    (strlen(a) >= NETDEF_ADDR_LEN || inet_pton(AF_INET, a, &buf) != 1))
		return nd_fail(
			p, e, "<portforward address='%s'>: not an IPv4 address",
			a);
	if (!port || parse_uint(port, 1, 65535, &v) || !to ||
	    strlen(to) >= NETDEF_ADDR_LEN || inet_pton(AF_INET, to, &buf) != 1)
		return nd_fail(
			p, e,
			"<portforward>: give port='HOSTPORT' (1-65535) and to='GUEST-IPV4' [toport='PORT']");
	if (toport && parse_uint(toport, 1, 65535, &w))
		return nd_fail(p, e,
			       "<portforward toport='%s'>: give 1 to 65535",
			       toport);
	f->port = (uint16_t)v;
	f->toport = toport ? (uint16_t)w : f->port;
	strcpy(f->address, a ? a : "");
	strcpy(f->to, to);
	p->n->nfwd++;
	return 0;
}

int nd_parse_metadata(struct nd_parse *p, xmlNodePtr e)
{
	xmlNodePtr c;
	int r;

	for (c = e->children; c; c = c->next) {
		if (!nd_is(c, NULL))
			continue;
		if (!nd_is(c, "portforward") || !c->ns ||
		    strcmp((const char *)c->ns->href, NETDEF_WIRT_NS))
			return nd_fail(
				p, c,
				"<metadata> holds only wirt's <portforward xmlns='%s'> elements here; remove <%s>",
				NETDEF_WIRT_NS, (const char *)c->name);
		r = parse_portfwd(p, c);
		if (r)
			return r;
	}
	return 0;
}

const struct netdef_ip *netdef_ipv4(const struct netdef *n, struct in_addr *net,
				    unsigned int *prefix)
{
	unsigned int i;
	struct in_addr a;
	uint32_t mask;

	for (i = 0; i < n->nips; i++) {
		if (n->ips[i].family != AF_INET)
			continue;
		inet_pton(AF_INET, n->ips[i].address, &a);
		mask = n->ips[i].prefix ? ~0u << (32 - n->ips[i].prefix) : 0;
		if (net)
			net->s_addr = a.s_addr & htonl(mask);
		if (prefix)
			*prefix = n->ips[i].prefix;
		return &n->ips[i];
	}
	return NULL;
}

/* Whether host h matches k (by MAC, else by name, else by address). */
static bool same_host(const struct netdef_host *h, const struct netdef_host *k)
{
	if (k->mac[0])
		return !strcmp(h->mac, k->mac);
	if (k->name[0])
		return !strcmp(h->name, k->name);
	return !strcmp(h->ip, k->ip);
}

/* Parse the <host> snippet xml into *h for ip (a scratch netdef_ip). */
static int parse_host_snippet(struct nd_parse *p, const char *xml,
			      struct netdef_ip *scratch)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), p->origin, NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR |
					      XML_PARSE_NOWARNING);
	xmlNodePtr e = doc ? xmlDocGetRootElement(doc) : NULL;
	int r;

	if (!nd_is(e, "host") || doc->intSubset)
		r = nd_fail(
			p, e,
			"give one <host mac='MAC' [name='NAME'] ip='ADDRESS'/> element");
	else
		r = parse_host(p, e, scratch);
	xmlFreeDoc(doc);
	return r;
}

int netdef_update_host(struct netdef *n, bool add, const char *xml, char *err,
		       size_t errlen)
{
	struct nd_parse p = { "net-update", err, errlen, n };
	struct netdef_ip *ip = NULL, scratch = { 0 };
	const struct netdef_host *k;
	unsigned int i, j;
	int r;

	for (i = 0; i < n->nips && !ip; i++)
		if (n->ips[i].family == AF_INET)
			ip = &n->ips[i];
	if (!ip)
		return nd_fail(&p, NULL,
			       "network '%s' has no IPv4 <ip> for DHCP hosts",
			       n->name);
	scratch.family = AF_INET;
	strcpy(scratch.address, ip->address);
	scratch.prefix = ip->prefix;
	r = parse_host_snippet(&p, xml, &scratch);
	if (r)
		return r;
	k = &scratch.hosts[0];
	for (j = 0; j < ip->nhosts; j++)
		if (same_host(&ip->hosts[j], k) ||
		    (add && !strcmp(ip->hosts[j].ip, k->ip)))
			break;
	if (add && j < ip->nhosts)
		return nd_fail(
			&p, NULL,
			"there is already a DHCP host entry for %s (or for %s): delete it first",
			k->mac[0] ? k->mac : k->name, k->ip);
	if (!add && j == ip->nhosts)
		return nd_fail(&p, NULL, "no DHCP host entry matches %s",
			       k->mac[0]  ? k->mac :
			       k->name[0] ? k->name :
					    k->ip);
	if (add && ip->nhosts == NETDEF_HOSTS_MAX)
		return nd_fail(&p, NULL, "at most %d DHCP hosts per <ip>",
			       NETDEF_HOSTS_MAX);
	if (add)
		ip->hosts[ip->nhosts++] = *k;
	else
		memmove(&ip->hosts[j], &ip->hosts[j + 1],
			(--ip->nhosts - j) * sizeof(*k));
	return 0;
}
