/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt network XML: parse a network definition into a typed, checked
 * struct netdef, normalize it as libvirt's net-define does (UUID, bridge
 * name, MAC address), and write it back in libvirt's layout.
 *
 * Supported: <name>, <uuid>, <forward mode='nat|route|open|bridge'
 * [dev=]>, <bridge name= stp= delay=>, <mac address=>, <domain name=>,
 * <dns><host ip=><hostname>..</host></dns>, <ip address= netmask=|prefix=
 * [family=]> with <dhcp><range start= end=/><host mac= name= ip=/>, and
 * wirt's port forwards inside <metadata> (namespace NETDEF_WIRT_NS):
 *   <wirt:portforward proto='tcp' port='2222' to='192.168.122.10'
 *                     toport='22' [address='HOSTADDR']/>
 * Anything else is refused with its element and line.
 *
 * Errors follow the (err, errlen) convention: -errno and one sentence in
 * err naming the problem (with "ORIGIN:LINE:") and what to do.
 */
#ifndef WIRT_NETDEF_NETDEF_H
#define WIRT_NETDEF_NETDEF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETDEF_XML_MAX (1 << 20)
#define NETDEF_NAME_MAX 64
#define NETDEF_IPS_MAX 4
#define NETDEF_RANGES_MAX 8
#define NETDEF_HOSTS_MAX 128
#define NETDEF_DNS_MAX 32
#define NETDEF_DNS_NAMES 4
#define NETDEF_FWD_MAX 32
#define NETDEF_ADDR_LEN 46 /* INET6_ADDRSTRLEN */
#define NETDEF_HOSTNAME_MAX 64
#define NETDEF_IFNAME_MAX 16 /* IFNAMSIZ */

#define NETDEF_WIRT_NS "https://wirt.dev/xmlns/network/1"

enum netdef_forward {
	NETDEF_FWD_NONE, /* isolated: VMs and host only */
	NETDEF_FWD_NAT,
	NETDEF_FWD_ROUTE,
	NETDEF_FWD_OPEN,
	NETDEF_FWD_BRIDGE, /* an existing host bridge; wirt plugs taps */
};

struct netdef_range {
	char start[NETDEF_ADDR_LEN], end[NETDEF_ADDR_LEN];
};

struct netdef_host {
	char mac[18]; /* lower case, may be empty (IPv6: by name) */
	char name[NETDEF_HOSTNAME_MAX];
	char ip[NETDEF_ADDR_LEN];
};

struct netdef_ip {
	int family; /* AF_INET or AF_INET6 */
	char address[NETDEF_ADDR_LEN];
	unsigned int prefix;
	bool netmask_form; /* given as netmask= (written back so) */
	unsigned int nranges, nhosts;
	struct netdef_range ranges[NETDEF_RANGES_MAX];
	struct netdef_host hosts[NETDEF_HOSTS_MAX];
};

struct netdef_dnshost {
	char ip[NETDEF_ADDR_LEN];
	unsigned int nnames;
	char names[NETDEF_DNS_NAMES][NETDEF_HOSTNAME_MAX];
};

struct netdef_portfwd {
	bool udp;
	char address[NETDEF_ADDR_LEN]; /* host address, "" for all */
	uint16_t port; /* on the host */
	char to[NETDEF_ADDR_LEN]; /* guest address in the network */
	uint16_t toport;
};

struct netdef {
	char name[NETDEF_NAME_MAX + 1];
	char uuid[37];
	enum netdef_forward forward;
	char forward_dev[NETDEF_IFNAME_MAX]; /* nat/route: only out of it */
	char bridge[NETDEF_IFNAME_MAX];
	bool stp; /* default on */
	unsigned int delay;
	char mac[18];
	char domain[NETDEF_HOSTNAME_MAX];
	unsigned int nips, ndns, nfwd;
	struct netdef_ip ips[NETDEF_IPS_MAX];
	struct netdef_dnshost dns[NETDEF_DNS_MAX];
	struct netdef_portfwd fwd[NETDEF_FWD_MAX];
};

/*
 * netdef_parse - parse len bytes of network XML (origin names it in
 * errors) into a new *out (free it with free()). Every value is checked:
 * addresses, prefixes, ranges and hosts inside their subnet, MACs, names.
 * Returns 0, or -EINVAL / -E2BIG / -ENOMEM with err set.
 */
int netdef_parse(const char *xml, size_t len, const char *origin,
		 struct netdef **out, char *err, size_t errlen);

/*
 * netdef_normalize - what libvirt adds on define: a UUID, a MAC address
 * for the bridge (52:54:00:xx:xx:xx), and for networks with their own
 * bridge and none named, bridge_name (e.g. "virbr1", chosen by the
 * caller). Returns 0 or -errno.
 */
int netdef_normalize(struct netdef *n, const char *bridge_name);

/*
 * netdef_format - the definition as libvirt writes it (two-space
 * indentation, single-quoted attributes). Returns a malloc'd string or
 * NULL on ENOMEM.
 */
char *netdef_format(const struct netdef *n);

/* netdef_forward_name - "nat", "route", "open", "bridge" or "none". */
const char *netdef_forward_name(enum netdef_forward f);

/*
 * netdef_ipv4 - the first IPv4 <ip> of n, or NULL. *net and *prefix (may
 * be NULL) get its subnet (network byte order).
 */
const struct netdef_ip *netdef_ipv4(const struct netdef *n, struct in_addr *net,
				    unsigned int *prefix);

/*
 * netdef_overlaps - whether the IPv4 subnets a/alen and b/blen (network
 * byte order) share an address.
 */
bool netdef_overlaps(struct in_addr a, unsigned int alen, struct in_addr b,
		     unsigned int blen);

/* netdef_valid_name - whether s is usable as a network name (also a file
 * name): 1 to NETDEF_NAME_MAX of [A-Za-z0-9_.+-], not starting with '.'. */
bool netdef_valid_name(const char *s);

/*
 * netdef_update_host - net-update's add / delete of a DHCP host entry
 * given as "<host mac= [name=] ip=/>" in the first IPv4 <ip> of n. Add
 * refuses an entry whose MAC, name or address is taken; delete matches
 * by MAC, else name, else address. Returns 0 or -EINVAL with err set.
 */
int netdef_update_host(struct netdef *n, bool add, const char *xml, char *err,
		       size_t errlen);

/* ---- netdef-conf.c: what the network becomes on the host ---- */

/* netdef_table_name - the network's nftables table: "wirt_" + its UUID's
 * hex digits (unique, and a valid nft identifier). */
void netdef_table_name(const struct netdef *n, char out[40]);

/*
 * netdef_dnsmasq_conf - dnsmasq's configuration for n (listening on its
 * bridge only; DHCP ranges; isolated networks get no upstream DNS) with
 * the given pid, lease, DHCP hosts and DNS hosts files. malloc'd, or NULL.
 */
char *netdef_dnsmasq_conf(const struct netdef *n, const char *pidfile,
			  const char *leasefile, const char *hostsfile,
			  const char *addnhosts);

/* netdef_dnsmasq_hosts - the dhcp-hostsfile: "MAC,IP[,NAME]" lines. */
char *netdef_dnsmasq_hosts(const struct netdef *n);

/* netdef_addn_hosts - the addn-hosts file: "IP NAME..." of <dns>. */
char *netdef_addn_hosts(const struct netdef *n);

/*
 * netdef_nft_rules - an `nft -f` script that replaces the network's own
 * table (inet family) atomically: forwarding by forward mode (nat and
 * route: the subnet in and out, established traffic back; isolated:
 * nothing in or out but host and bridge; open: no filtering), NAT
 * masquerade and port forwards (DNAT) for nat. malloc'd, or NULL.
 */
char *netdef_nft_rules(const struct netdef *n);

#endif
