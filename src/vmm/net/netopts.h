/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --net option:
 *   user[,hostfwd=tcp|udp:[ADDR]:HPORT-[GADDR]:GPORT]...[,mac=M]
 *   tap=IFNAME[,vhost=on|off][,mac=M]
 *   tap-fd=N[,vhost=on|off][,mac=M]   (an open tap handed over, e.g. by wirtd)
 */
#ifndef WIRT_VMM_NET_NETOPTS_H
#define WIRT_VMM_NET_NETOPTS_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_MAX_HOSTFWD 16

/* The user-mode network, as the guest sees it. */
#define NET_USER_NETWORK "10.0.2.0"
#define NET_USER_NETMASK "255.255.255.0"
#define NET_USER_GATEWAY "10.0.2.2" /* the host's 127.0.0.1 */
#define NET_USER_DNS "10.0.2.3" /* announced, never forwarded */
#define NET_USER_DHCP_START "10.0.2.15"

enum net_kind {
	NET_USER,
	NET_TAP,
};

struct net_hostfwd {
	bool udp;
	struct in_addr haddr; /* host address to listen on */
	uint16_t hport;
	struct in_addr gaddr; /* guest address (0: the first DHCP lease) */
	uint16_t gport;
};

struct net_opts {
	enum net_kind kind;
	char ifname[IFNAMSIZ]; /* tap=, empty with tap-fd= */
	int tapfd; /* tap-fd=N: an already open tap, else -1 */
	bool vhost; /* tap: vhost-net moves the frames */
	uint8_t mac[6];
	unsigned int nfwd;
	struct net_hostfwd fwd[NET_MAX_HOSTFWD];
};

/*
 * net_parse_opts - parse the value of --net for the index-th network
 * device (0-based; it picks the default MAC 52:54:00:12:34:56+index).
 * Returns 0, or -EINVAL with a one-line reason (without the option name)
 * in err.
 */
int net_parse_opts(const char *spec, unsigned int index, struct net_opts *o,
		   char *err, size_t errlen);

/*
 * net_parse_mac - "52:54:00:ab:cd:ef" (hex pairs split by ':') into mac.
 * Refuses multicast and all-zero addresses. Returns 0 or -EINVAL.
 */
int net_parse_mac(const char *s, uint8_t mac[6]);

/*
 * net_parse_hostfwd - "tcp:ADDR:HPORT-GADDR:GPORT" with ADDR defaulting to
 * 127.0.0.1 and GADDR to the first DHCP lease. Returns 0 or -EINVAL with a
 * reason in err.
 */
int net_parse_hostfwd(const char *s, struct net_hostfwd *f, char *err,
		      size_t errlen);

#endif
