// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Starting and stopping networks: the checks before a start (a subnet
 * shared with another active network or with an address of the host is
 * refused, naming both), then the running definition in RUN/networks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "wirtd/nets.h"
#include "wirtd/netup.h"
#include "wirtd/wirtd.h"

int net_host_subnet_used(struct in_addr net, unsigned int prefix, char *ifname,
			 size_t len)
{
	struct ifaddrs *ifa, *i;
	struct sockaddr_in *a, *m;
	unsigned int mlen;
	bool used = false;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i && !used; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    !i->ifa_netmask)
			continue;
		a = (struct sockaddr_in *)i->ifa_addr;
		m = (struct sockaddr_in *)i->ifa_netmask;
		mlen = __builtin_popcount(m->sin_addr.s_addr);
		if (!strncmp(i->ifa_name, "lo", 2) && mlen == 8)
			continue; /* 127/8 is never a network's subnet */
		used = netdef_overlaps(net, prefix, a->sin_addr, mlen);
		if (used)
			snprintf(ifname, len, "%s", i->ifa_name);
	}
	freeifaddrs(ifa);
	return used;
}

/* Refuse n when its subnet meets an active network's or the host's. */
static int check_subnet(struct netrec *n, char *err, size_t errlen)
{
	const struct netdef_ip *ip;
	struct in_addr net, other;
	unsigned int prefix, olen;
	char ifname[IFNAMSIZ];
	struct netrec *o;

	ip = netdef_ipv4(n->def, &net, &prefix);
	if (!ip)
		return 0;
	for (o = nets; o; o = o->next) {
		if (o == n || !o->active || !netdef_ipv4(o->def, &other, &olen))
			continue;
		if (netdef_overlaps(net, prefix, other, olen)) {
			snprintf(
				err, errlen,
				"internal error: the subnet %s/%u of network '%s' overlaps that of active network '%s': give it another <ip> subnet",
				ip->address, prefix, n->name, o->name);
			return -EADDRINUSE;
		}
	}
	if (n->def->forward != NETDEF_FWD_BRIDGE && !n->def->bridge[0])
		return 0;
	if (net_host_subnet_used(net, prefix, ifname, sizeof(ifname)) > 0 &&
	    strcmp(ifname, n->def->bridge)) {
		snprintf(
			err, errlen,
			"internal error: Network is already in use by interface %s: give network '%s' another <ip> subnet",
			ifname, n->name);
		return -EADDRINUSE;
	}
	return 0;
}

int net_start(struct netrec *n, char *err, size_t errlen)
{
	int r;

	if (n->active) {
		snprintf(
			err, errlen,
			"Requested operation is not valid: network '%s' is already active",
			n->name);
		return -EINVAL;
	}
	r = check_subnet(n, err, errlen);
	if (r)
		return r;
	r = netup_start(n, false, err, errlen);
	if (r)
		return r;
	r = net_write_def(n, W->paths.run);
	if (r) {
		netup_stop(n);
		snprintf(
			err, errlen,
			"cannot write the running definition of network '%s' under '%s': %s",
			n->name, W->paths.run, strerror(-r));
		return r;
	}
	n->active = true;
	return 0;
}

int net_stop(struct netrec *n, char *err, size_t errlen)
{
	if (!n->active) {
		snprintf(
			err, errlen,
			"Requested operation is not valid: network '%s' is not active",
			n->name);
		return -EINVAL;
	}
	netup_stop(n);
	net_remove_def(n, W->paths.run);
	n->active = false;
	if (!n->persistent)
		net_forget(n);
	return 0;
}

void nets_autostart(void)
{
	char err[512];
	struct netrec *n;

	pthread_mutex_lock(&nettab_lock);
	for (n = nets; n; n = n->next)
		if (n->autostart && !n->active &&
		    net_start(n, err, sizeof(err)))
			wirt_err("autostart of network '%s' failed: %s",
				 n->name, err);
	pthread_mutex_unlock(&nettab_lock);
}
