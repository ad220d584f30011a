/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host side of wirtd's networks (netup.c, netup-dnsmasq.c,
 * netup-sync.c): bridge, nftables table, dnsmasq. nettab_lock held.
 */
#ifndef WIRT_WIRTD_NETUP_H
#define WIRT_WIRTD_NETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct netrec;

/* netup_file - n's file with extension ext (".leases" under LIB/networks,
 * the others under RUN/networks) into buf. 0 or -ENAMETOOLONG. */
int netup_file(char *buf, size_t len, const struct netrec *n, const char *ext);

/*
 * netup_run - run argv[0] from /usr/sbin, /usr/bin, /sbin or /bin with
 * argv and wait; stdout goes to logpath when not NULL. Returns 0 when it
 * exits 0, else -EIO with its first stderr line (or "NAME is not
 * installed") in err, or -errno.
 */
int netup_run(char *const argv[], const char *logpath, char *err,
	      size_t errlen);

/*
 * netup_start - set up n on the host: its bridge with addresses (or,
 * for forward mode bridge, check the host bridge exists), IPv4
 * forwarding for nat/route, its nftables table, dnsmasq when it has
 * addresses. With again (reconciliation at wirtd's start) what exists
 * is kept; otherwise a host interface already named as the bridge is
 * refused (it is not wirt's to take or delete). On failure what was set
 * up is removed. Returns 0 or -errno with err set.
 */
int netup_start(struct netrec *n, bool again, char *err, size_t errlen);

/* netup_stop - remove n's dnsmasq, table and bridge (not a host bridge). */
void netup_stop(struct netrec *n);

/* netup_dnsmasq - start n's dnsmasq unless it runs. 0 or -errno, err. */
int netup_dnsmasq(struct netrec *n, char *err, size_t errlen);
/* netup_dnsmasq_pid - the pid of n's dnsmasq when it runs, else 0. */
pid_t netup_dnsmasq_pid(const struct netrec *n);
/* netup_dnsmasq_hosts - rewrite n's DHCP and DNS hosts files. */
int netup_dnsmasq_hosts(struct netrec *n);
/* netup_dnsmasq_reload - SIGHUP: dnsmasq re-reads its hosts files. */
void netup_dnsmasq_reload(struct netrec *n);
void netup_dnsmasq_stop(struct netrec *n);

/*
 * netup_sync - at wirtd's start: set up again what is missing of every
 * active network (bridge, table, dnsmasq), and delete the nftables
 * tables named wirt_* that no active network owns.
 */
void netup_sync(void);

#define NETUP_SUPERVISE_S 3

/* netup_supervise - start the thread that starts a dead dnsmasq again
 * (checked every NETUP_SUPERVISE_S seconds). Returns 0 or -errno. */
int netup_supervise(void);

/* netup_cleanup - tear down every active network's host side (wirtd
 * --cleanup at exit); they are set up again at the next start. */
void netup_cleanup(void);

#endif
