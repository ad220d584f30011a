// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a network definition becomes on the host: dnsmasq's configuration
 * and hosts files, and the nftables ruleset of the network's own table
 * (NAT masquerade, forwarding, isolation, port forwards).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "netdef/netdef.h"

/* Close the memstream f (writing into *buf) and return *buf, or NULL. */
static char *finish(FILE *f, char **buf)
{
	if (fclose(f)) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

void netdef_table_name(const struct netdef *n, char out[40])
{
	const char *s;
	char *d = out + 5;

	strcpy(out, "wirt_");
	for (s = n->uuid; *s && d < out + 39; s++)
		if (*s != '-')
			*d++ = *s;
	*d = '\0';
}

/* The dhcp-range lines of ip. */
static void dhcp_ranges(FILE *f, const struct netdef_ip *ip)
{
	struct in_addr m = { htonl(~0u << (32 - ip->prefix)) };
	char mask[INET_ADDRSTRLEN];
	unsigned int i;

	inet_ntop(AF_INET, &m, mask, sizeof(mask));
	for (i = 0; i < ip->nranges; i++) {
		if (ip->family == AF_INET)
			fprintf(f, "dhcp-range=%s,%s,%s\n", ip->ranges[i].start,
				ip->ranges[i].end, mask);
		else
			fprintf(f, "dhcp-range=%s,%s,%u\n", ip->ranges[i].start,
				ip->ranges[i].end, ip->prefix);
	}
	if (ip->nhosts && !ip->nranges && ip->family == AF_INET)
		fprintf(f, "dhcp-range=%s,static,%s\n", ip->address, mask);
}

char *netdef_dnsmasq_conf(const struct netdef *n, const char *pidfile,
			  const char *leasefile, const char *hostsfile,
			  const char *addnhosts)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned int i, leases = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f,
		"# dnsmasq for wirt network '%s', written by wirtd at each "
		"start: edits are lost; change the network with net-edit\n",
		n->name);
	fprintf(f,
		"strict-order\npid-file=%s\nexcept-interface=lo\n"
		"bind-dynamic\ninterface=%s\n",
		pidfile, n->bridge);
	if (n->forward == NETDEF_FWD_NONE) /* isolated: no upstream, */
		fprintf(f, "no-resolv\ndhcp-option=3\n"); /* no router */
	if (n->domain[0])
		fprintf(f, "domain=%s\nlocal=/%s/\nexpand-hosts\n", n->domain,
			n->domain);
	for (i = 0; i < n->nips; i++) {
		dhcp_ranges(f, &n->ips[i]);
		leases += n->ips[i].nranges ?
				  1 << (32 - MIN(n->ips[i].prefix, 32u)) :
				  0;
		if (n->ips[i].family == AF_INET6 && n->ips[i].nranges)
			fprintf(f, "enable-ra\n");
	}
	if (leases)
		fprintf(f,
			"dhcp-no-override\ndhcp-authoritative\n"
			"dhcp-lease-max=%u\n",
			MIN(leases, 65535u));
	fprintf(f, "dhcp-leasefile=%s\ndhcp-hostsfile=%s\naddn-hosts=%s\n",
		leasefile, hostsfile, addnhosts);
	return finish(f, &buf);
}

char *netdef_dnsmasq_hosts(const struct netdef *n)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned int i, j;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (i = 0; i < n->nips; i++)
		for (j = 0; j < n->ips[i].nhosts; j++) {
			const struct netdef_host *h = &n->ips[i].hosts[j];
			bool v6 = n->ips[i].family == AF_INET6;

			fprintf(f, "%s%s%s%s%s%s%s\n", h->mac,
				h->mac[0] ? "," : "", v6 ? "[" : "", h->ip,
				v6 ? "]" : "", h->name[0] ? "," : "", h->name);
		}
	return finish(f, &buf);
}

char *netdef_addn_hosts(const struct netdef *n)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned int i, j;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (i = 0; i < n->ndns; i++) {
		fprintf(f, "%s", n->dns[i].ip);
		for (j = 0; j < n->dns[i].nnames; j++)
			fprintf(f, " %s", n->dns[i].names[j]);
		fputc('\n', f);
	}
	return finish(f, &buf);
}

/* The forward chain: what may enter and leave the bridge. */
static void nft_forward(FILE *f, const struct netdef *n, const char *net)
{
	const char *br = n->bridge;
	char out[64] = "";

	if (n->forward_dev[0])
		snprintf(out, sizeof(out), " oifname \"%s\"", n->forward_dev);
	fprintf(f,
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t\tiifname \"%s\" oifname \"%s\" accept\n",
		br, br);
	if (n->forward == NETDEF_FWD_NAT && *net)
		fprintf(f,
			"\t\tiifname \"%s\" ip saddr %s%s accept\n"
			"\t\toifname \"%s\" ip daddr %s ct state established,related accept\n"
			"\t\toifname \"%s\" ip daddr %s ct status dnat accept\n",
			br, net, out, br, net, br, net);
	if (n->forward == NETDEF_FWD_ROUTE && *net)
		fprintf(f,
			"\t\tiifname \"%s\" ip saddr %s%s accept\n"
			"\t\toifname \"%s\" ip daddr %s accept\n",
			br, net, out, br, net);
	fprintf(f,
		"\t\tiifname \"%s\" reject with icmpx admin-prohibited\n"
		"\t\toifname \"%s\" reject with icmpx admin-prohibited\n"
		"\t}\n",
		br, br);
}

/* The NAT chains: masquerade out of the network, port forwards in. */
static void nft_nat(FILE *f, const struct netdef *n, const char *net)
{
	static const char *const hooks[] = { "prerouting priority dstnat",
					     "output priority -100" };
	unsigned int i, h;

	fprintf(f,
		"\tchain postrouting {\n"
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		"\t\tip saddr %s ip daddr 224.0.0.0/24 return\n"
		"\t\tip saddr %s ip daddr 255.255.255.255 return\n"
		"\t\tip saddr %s ip daddr != %s%s%s%s masquerade\n\t}\n",
		net, net, net, net, n->forward_dev[0] ? " oifname \"" : "",
		n->forward_dev, n->forward_dev[0] ? "\"" : "");
	if (!n->nfwd)
		return;
	for (h = 0; h < ARRAY_SIZE(hooks); h++) {
		fprintf(f,
			"\tchain %s {\n\t\ttype nat hook %s; policy accept;\n",
			h ? "output" : "prerouting", hooks[h]);
		for (i = 0; i < n->nfwd; i++) {
			const struct netdef_portfwd *p = &n->fwd[i];

			fprintf(f, "\t\tfib daddr type local");
			if (p->address[0])
				fprintf(f, " ip daddr %s", p->address);
			fprintf(f, " %s dport %u dnat ip to %s:%u\n",
				p->udp ? "udp" : "tcp", p->port, p->to,
				p->toport);
		}
		fprintf(f, "\t}\n");
	}
}

char *netdef_nft_rules(const struct netdef *n)
{
	char table[40], net[INET_ADDRSTRLEN + 4] = "", a[INET_ADDRSTRLEN];
	char *buf = NULL;
	size_t len = 0;
	struct in_addr sub;
	unsigned int prefix;
	FILE *f;

	netdef_table_name(n, table);
	if (netdef_ipv4(n, &sub, &prefix))
		snprintf(net, sizeof(net), "%s/%u",
			 inet_ntop(AF_INET, &sub, a, sizeof(a)), prefix);
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	/* replace the table whole: create it (no-op if it exists), delete
	 * it, then write it anew, all in one transaction */
	fprintf(f,
		"# nftables for wirt network '%s', written by wirtd\n"
		"table inet %s\ndelete table inet %s\ntable inet %s {\n",
		n->name, table, table, table);
	if (n->forward != NETDEF_FWD_OPEN && n->forward != NETDEF_FWD_BRIDGE)
		nft_forward(f, n, net);
	if (n->forward == NETDEF_FWD_NAT && *net)
		nft_nat(f, n, net);
	fprintf(f, "}\n");
	return finish(f, &buf);
}
