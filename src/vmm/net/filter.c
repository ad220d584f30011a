// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a guest on user-mode networking may send into libslirp.
 *
 * libslirp, unrestricted, opens a host socket to whatever address a guest
 * packet names: any address of the outside world, and the host's resolver
 * for the DNS address. wirt lets the guest reach the host's loopback
 * through the gateway (10.0.2.2 maps to 127.0.0.1) and nothing else, so
 * every frame is checked here before slirp_input():
 *  - ARP: passes (slirp answers for its own addresses only);
 *  - IPv4 to the gateway: passes (TCP, UDP and ICMP end on 127.0.0.1);
 *  - DHCP (UDP to port 67, to the gateway or broadcast): passes;
 *  - TCP to other addresses: only segments that cannot open a connection
 *    (slirp answers a stray one with a reset); these carry replies on
 *    connections a hostfwd rule opened from the host side;
 *  - everything else (other UDP and ICMP, DNS to 10.0.2.3, fragments to
 *    other addresses, IPv6, other EtherTypes): dropped.
 * The user backend also binds every outbound socket to 127.0.0.1 and turns
 * slirp's DNS forwarding off, so a packet that slipped through could still
 * not leave the machine.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vmm/net/backend.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

#define TCP_SYN 0x02
#define TCP_ACK 0x10

#define DHCP_SERVER_PORT 67

/* Big-endian 16-bit value at p. */
static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Big-endian 32-bit value at p. */
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Whether the IPv4 packet ip (len bytes, header checked) may pass. */
static bool ipv4_allowed(const uint8_t *ip, size_t len, size_t ihl)
{
	uint32_t dst = be32(ip + 16), gw;
	uint16_t frag = be16(ip + 6);
	const uint8_t *l4 = ip + ihl;
	size_t l4len = len - ihl;
	struct in_addr a;

	inet_pton(AF_INET, NET_USER_GATEWAY, &a);
	gw = ntohl(a.s_addr);
	if (dst == gw)
		return true;
	/* a fragment hides the transport header: only to the gateway */
	if (frag & 0x3fff)
		return false;
	switch (ip[9]) {
	case IPPROTO_UDP_:
		if (l4len < 8)
			return false;
		return dst == 0xffffffff && be16(l4 + 2) == DHCP_SERVER_PORT;
	case IPPROTO_TCP_:
		if (l4len < 20)
			return false;
		/* a bare SYN would make slirp connect to dst */
		return (l4[13] & (TCP_SYN | TCP_ACK)) != TCP_SYN;
	default:
		return false;
	}
}

bool net_user_filter(const uint8_t *frame, size_t len)
{
	const uint8_t *ip = frame + ETH_HLEN;
	size_t iplen, ihl, tot;

	if (len < ETH_HLEN)
		return false;
	switch (be16(frame + 12)) {
	case ETHERTYPE_ARP:
		return true;
	case ETHERTYPE_IPV4:
		break;
	default:
		return false;
	}
	iplen = len - ETH_HLEN;
	if (iplen < 20 || (ip[0] >> 4) != 4)
		return false;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = be16(ip + 2);
	if (ihl < 20 || tot < ihl || tot > iplen)
		return false;
	return ipv4_allowed(ip, tot, ihl);
}
