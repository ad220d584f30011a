/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtnetlink requests for wirtd's networks; each returns 0 or -errno. */
#ifndef WIRT_WIRTD_RTNL_H
#define WIRT_WIRTD_RTNL_H

#include <stdbool.h>
#include <stdint.h>

/* rtnl_bridge_add - a new bridge name (MAC mac when not NULL), STP on or
 * off, forwarding delay in seconds. -EEXIST when the name is taken. */
int rtnl_bridge_add(const char *name, const uint8_t mac[6], bool stp,
		    unsigned int delay_s);

/* rtnl_link_del - delete the link name (-ENODEV when there is none). */
int rtnl_link_del(const char *name);

/* rtnl_link_up - set the link name up. */
int rtnl_link_up(const char *name);

/* rtnl_set_master - make port a port of bridge. */
int rtnl_set_master(const char *port, const char *bridge);

/* rtnl_addr_add - addr/prefix (family AF_INET or AF_INET6) on name. */
int rtnl_addr_add(const char *name, int family, const char *addr,
		  unsigned int prefix);

#endif
