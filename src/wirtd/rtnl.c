// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A minimal rtnetlink client for wirtd's networks: create and delete a
 * Linux bridge, bring a link up, add an address, put a port on a bridge.
 * One request per socket, acknowledged (NLM_F_ACK): the kernel's error
 * comes back as -errno.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wirtd/rtnl.h"

#define RTNL_BUF 1024

struct req {
	struct nlmsghdr h;
	char buf[RTNL_BUF];
};

/* Append attribute type with len bytes of data at the end of r. */
static struct rtattr *put(struct req *r, unsigned short type, const void *data,
			  size_t len)
{
	struct rtattr *a =
		(struct rtattr *)((char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len));

	if (NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len) > sizeof(*r))
		return NULL;
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len);
	return a;
}

/* Close a nested attribute a opened by put(r, type, NULL, 0). */
static void end_nest(struct req *r, struct rtattr *a)
{
	a->rta_len = (char *)&r->h + r->h.nlmsg_len - (char *)a;
}

/* Send r and wait for its acknowledgement; 0 or -errno. */
static int talk(struct req *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nlmsghdr *h;
	ssize_t n;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int err = -EIO;

	if (fd < 0)
		return -errno;
	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = 1;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n))
		if (h->nlmsg_type == NLMSG_ERROR) {
			err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			break;
		}
out:
	close(fd);
	return err;
}

/* A link request of type with ifi filled; the ifinfomsg follows h. */
static struct ifinfomsg *link_req(struct req *r, unsigned short type,
				  unsigned short flags, int ifindex)
{
	struct ifinfomsg *ifi = NLMSG_DATA(&r->h);

	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = flags;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

int rtnl_bridge_add(const char *name, const uint8_t mac[6], bool stp,
		    unsigned int delay_s)
{
	struct rtattr *info, *data;
	uint32_t fd = delay_s * 100, st = stp;
	struct req r;

	link_req(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (mac)
		put(&r, IFLA_ADDRESS, mac, 6);
	info = put(&r, IFLA_LINKINFO, NULL, 0);
	put(&r, IFLA_INFO_KIND, "bridge", 7);
	data = put(&r, IFLA_INFO_DATA, NULL, 0);
	put(&r, IFLA_BR_FORWARD_DELAY, &fd, 4);
	put(&r, IFLA_BR_STP_STATE, &st, 4);
	end_nest(&r, data);
	end_nest(&r, info);
	return talk(&r);
}

int rtnl_link_del(const char *name)
{
	int idx = (int)if_nametoindex(name);
	struct req r;

	if (!idx)
		return -ENODEV;
	link_req(&r, RTM_DELLINK, 0, idx);
	return talk(&r);
}

int rtnl_link_up(const char *name)
{
	int idx = (int)if_nametoindex(name);
	struct ifinfomsg *ifi;
	struct req r;

	if (!idx)
		return -ENODEV;
	ifi = link_req(&r, RTM_NEWLINK, 0, idx);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return talk(&r);
}

int rtnl_set_master(const char *port, const char *bridge)
{
	int idx = (int)if_nametoindex(port);
	uint32_t master = if_nametoindex(bridge);
	struct req r;

	if (!idx || !master)
		return -ENODEV;
	link_req(&r, RTM_NEWLINK, 0, idx);
	put(&r, IFLA_MASTER, &master, 4);
	return talk(&r);
}

int rtnl_addr_add(const char *name, int family, const char *addr,
		  unsigned int prefix)
{
	int idx = (int)if_nametoindex(name);
	struct ifaddrmsg *ifa;
	uint8_t a[16];
	struct req r;

	if (!idx)
		return -ENODEV;
	if (inet_pton(family, addr, a) != 1)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	r.h.nlmsg_type = RTM_NEWADDR;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa = NLMSG_DATA(&r.h);
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = idx;
	put(&r, IFA_LOCAL, a, family == AF_INET ? 4 : 16);
	put(&r, IFA_ADDRESS, a, family == AF_INET ? 4 : 16);
	return talk(&r);
}
