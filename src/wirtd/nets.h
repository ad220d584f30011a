/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wirtd's virtual networks: definitions ETC/networks/NAME.xml (autostart
 * links in ETC/networks/autostart/), the running definition of each
 * active network RUN/networks/NAME.xml (it says what wirtd set up, so a
 * restarted wirtd finds it again), and the table behind the net-* commands.
 *
 * Locking: nettab_lock guards the table and every network's fields; the
 * net-* operations are short and run under it whole.
 */
#ifndef WIRT_WIRTD_NETS_H
#define WIRT_WIRTD_NETS_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "netdef/netdef.h"

struct netrec {
	char name[NETDEF_NAME_MAX + 1];
	struct netdef *def;
	bool persistent, autostart, active;
	struct netrec *next;
};

extern pthread_mutex_t nettab_lock;

/*
 * nets_load - at wirtd's start: the definitions, the networks that were
 * active (RUN/networks), and on the very first start the network named
 * 'default' (NAT, 192.168.122.0/24 or the next /24 free on the host,
 * autostart). Bad files are reported and skipped. Returns 0 or -errno
 * with err set (the directories cannot be made).
 */
int nets_load(char *err, size_t errlen);

/* nets_autostart - start the autostart networks that are not active. */
void nets_autostart(void);

/* net_find - the network named name (nettab_lock held), or NULL. */
struct netrec *net_find(const char *name);

/*
 * net_define - add or replace the definition def (taken over, also on
 * failure); persistent: written to ETC. *out gets the record. Returns 0
 * or -errno with err set.
 */
int net_define(struct netdef *def, bool persistent, struct netrec **out,
	       char *err, size_t errlen);

/* net_undefine - forget n's definition (an active n becomes transient). */
int net_undefine(struct netrec *n, char *err, size_t errlen);

/* net_start / net_stop - make n active / inactive. 0 or -errno, err set. */
int net_start(struct netrec *n, char *err, size_t errlen);
int net_stop(struct netrec *n, char *err, size_t errlen);

/* ---- internal to nets*.c ---- */
extern struct netrec *nets;
/* net_path - DIR/networks[/sub]/NAME.xml (name NULL: the directory). */
int net_path(char *buf, size_t len, const char *dir, const char *sub,
	     const char *name);
/* net_write_def - n's definition into DIR/networks/NAME.xml; 0 or -errno. */
int net_write_def(const struct netrec *n, const char *dir);
/* net_remove_def - remove DIR/networks/NAME.xml. */
void net_remove_def(const struct netrec *n, const char *dir);
/* net_forget - drop n from the table and free it. */
void net_forget(struct netrec *n);

/*
 * net_host_subnet_used - whether an IPv4 address of the host lies in
 * net/prefix or its subnet contains it (loopback's 127/8 aside); ifname
 * gets the interface. Returns 1, 0 or -errno.
 */
int net_host_subnet_used(struct in_addr net, unsigned int prefix, char *ifname,
			 size_t len);

/* net_set_autostart - the ETC/networks/autostart link. 0 or -errno. */
int net_set_autostart(struct netrec *n, bool on);

#endif
