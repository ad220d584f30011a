// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writing a network definition as libvirt does (element order name, uuid,
 * metadata, forward, bridge, mac, domain, dns, ip), and the defaults
 * libvirt's net-define fills in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/util.h"
#include "netdef/netdef.h"

const char *netdef_forward_name(enum netdef_forward f)
{
	static const char *const names[] = { "none", "nat", "route", "open",
					     "bridge" };

	return (unsigned int)f < ARRAY_SIZE(names) ? names[f] : "?";
}

/* n random bytes into b; 0 or -errno. */
static int random_bytes(uint8_t *b, size_t n)
{
	ssize_t r = getrandom(b, n, 0);

	return r == (ssize_t)n ? 0 : -EIO;
}

int netdef_normalize(struct netdef *n, const char *bridge_name)
{
	uint8_t b[16];
	int r;

	if (!n->uuid[0]) {
		r = random_bytes(b, 16);
		if (r)
			return r;
		b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
		b[8] = (b[8] & 0x3f) | 0x80;
		snprintf(
			n->uuid, sizeof(n->uuid),
			"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
			b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	}
	if (n->forward == NETDEF_FWD_BRIDGE)
		return 0;
	if (!n->bridge[0] && bridge_name)
		snprintf(n->bridge, sizeof(n->bridge), "%s", bridge_name);
	if (!n->mac[0]) {
		r = random_bytes(b, 3);
		if (r)
			return r;
		snprintf(n->mac, sizeof(n->mac), "52:54:00:%02x:%02x:%02x",
			 b[0], b[1], b[2]);
	}
	return 0;
}

/* attr - " NAME='VALUE'" with the value escaped. */
static void attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s='", name);
	fput_xml(f, value, true);
	fputc('\'', f);
}

static void format_metadata(FILE *f, const struct netdef *n)
{
	unsigned int i;
	char port[8];

	if (!n->nfwd)
		return;
	fprintf(f, "  <metadata>\n");
	for (i = 0; i < n->nfwd; i++) {
		const struct netdef_portfwd *p = &n->fwd[i];

		fprintf(f, "    <wirt:portforward xmlns:wirt='%s'",
			NETDEF_WIRT_NS);
		attr(f, "proto", p->udp ? "udp" : "tcp");
		if (p->address[0])
			attr(f, "address", p->address);
		snprintf(port, sizeof(port), "%u", p->port);
		attr(f, "port", port);
		attr(f, "to", p->to);
		snprintf(port, sizeof(port), "%u", p->toport);
		attr(f, "toport", port);
		fprintf(f, "/>\n");
	}
	fprintf(f, "  </metadata>\n");
}

static void format_head(FILE *f, const struct netdef *n)
{
	fprintf(f, "<network>\n  <name>");
	fput_xml(f, n->name, false);
	fprintf(f, "</name>\n");
	if (n->uuid[0])
		fprintf(f, "  <uuid>%s</uuid>\n", n->uuid);
	format_metadata(f, n);
	if (n->forward != NETDEF_FWD_NONE) {
		fprintf(f, "  <forward");
		if (n->forward_dev[0])
			attr(f, "dev", n->forward_dev);
		attr(f, "mode", netdef_forward_name(n->forward));
		fprintf(f, "/>\n");
	}
	if (n->bridge[0]) {
		fprintf(f, "  <bridge");
		attr(f, "name", n->bridge);
		if (n->forward != NETDEF_FWD_BRIDGE)
			fprintf(f, " stp='%s' delay='%u'",
				n->stp ? "on" : "off", n->delay);
		fprintf(f, "/>\n");
	}
	if (n->mac[0])
		fprintf(f, "  <mac address='%s'/>\n", n->mac);
	if (n->domain[0]) {
		fprintf(f, "  <domain");
		attr(f, "name", n->domain);
		fprintf(f, "/>\n");
	}
}

static void format_dns(FILE *f, const struct netdef *n)
{
	unsigned int i, j;

	if (!n->ndns)
		return;
	fprintf(f, "  <dns>\n");
	for (i = 0; i < n->ndns; i++) {
		fprintf(f, "    <host ip='%s'>\n", n->dns[i].ip);
		for (j = 0; j < n->dns[i].nnames; j++) {
			fprintf(f, "      <hostname>");
			fput_xml(f, n->dns[i].names[j], false);
			fprintf(f, "</hostname>\n");
		}
		fprintf(f, "    </host>\n");
	}
	fprintf(f, "  </dns>\n");
}

/* The netmask of an IPv4 prefix length as text into buf. */
static const char *netmask(unsigned int prefix, char buf[INET_ADDRSTRLEN])
{
	struct in_addr m = { htonl(prefix ? ~0u << (32 - prefix) : 0) };

	return inet_ntop(AF_INET, &m, buf, INET_ADDRSTRLEN);
}

static void format_ip(FILE *f, const struct netdef_ip *ip)
{
	char mask[INET_ADDRSTRLEN];
	unsigned int i;

	fprintf(f, "  <ip");
	if (ip->family == AF_INET6)
		fprintf(f, " family='ipv6'");
	fprintf(f, " address='%s'", ip->address);
	if (ip->netmask_form)
		fprintf(f, " netmask='%s'", netmask(ip->prefix, mask));
	else
		fprintf(f, " prefix='%u'", ip->prefix);
	if (!ip->nranges && !ip->nhosts) {
		fprintf(f, "/>\n");
		return;
	}
	fprintf(f, ">\n    <dhcp>\n");
	for (i = 0; i < ip->nranges; i++)
		fprintf(f, "      <range start='%s' end='%s'/>\n",
			ip->ranges[i].start, ip->ranges[i].end);
	for (i = 0; i < ip->nhosts; i++) {
		fprintf(f, "      <host");
		if (ip->hosts[i].mac[0])
			attr(f, "mac", ip->hosts[i].mac);
		if (ip->hosts[i].name[0])
			attr(f, "name", ip->hosts[i].name);
		attr(f, "ip", ip->hosts[i].ip);
		fprintf(f, "/>\n");
	}
	fprintf(f, "    </dhcp>\n  </ip>\n");
}

char *netdef_format(const struct netdef *n)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned int i;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	format_head(f, n);
	format_dns(f, n);
	for (i = 0; i < n->nips; i++)
		format_ip(f, &n->ips[i]);
	fprintf(f, "</network>\n");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
