// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reconciliation at wirtd's start (after a crash, a kill -9 or a host
 * reboot): every active network gets back what it lacks, and wirt's
 * nftables tables that no active network owns are deleted. And the
 * teardown of `wirtd --cleanup`.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "wirtd/nets.h"
#include "wirtd/netup.h"
#include "wirtd/wirtd.h"

/* Whether an active network owns nftables table name. */
static bool owned(const char *name)
{
	char table[40];
	struct netrec *n;

	for (n = nets; n; n = n->next) {
		if (!n->active)
			continue;
		netdef_table_name(n->def, table);
		if (!strcmp(table, name))
			return true;
	}
	return false;
}

/* Delete the "table inet wirt_*" tables no active network owns. */
static void drop_orphan_tables(void)
{
	char line[256], name[200], msg[256];
	char *argv[] = { "nft", "delete", "table", "inet", name, NULL };
	FILE *p = popen("nft list tables inet 2>/dev/null", "re");

	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "table inet %199s", name) != 1 ||
		    strncmp(name, "wirt_", 5) || owned(name))
			continue;
		/* popen's child is done writing lines like this one */
		if (netup_run(argv, NULL, msg, sizeof(msg)))
			wirt_warn("cannot delete stale nftables table %s: %s",
				  name, msg);
		else
			wirt_info("deleted stale nftables table inet %s", name);
	}
	pclose(p);
}

void netup_sync(void)
{
	char err[512];
	struct netrec *n;

	pthread_mutex_lock(&nettab_lock);
	for (n = nets; n; n = n->next)
		if (n->active && netup_start(n, true, err, sizeof(err))) {
			wirt_err("network '%s' could not be set up again: %s",
				 n->name, err);
			n->active = false;
			net_remove_def(n, W->paths.run);
		}
	drop_orphan_tables();
	pthread_mutex_unlock(&nettab_lock);
}

void netup_cleanup(void)
{
	struct netrec *n;

	pthread_mutex_lock(&nettab_lock);
	for (n = nets; n; n = n->next)
		if (n->active)
			netup_stop(n);
	pthread_mutex_unlock(&nettab_lock);
}

/* The supervisor thread: every few seconds, a dnsmasq that died is
 * started again (logged). */
static void *supervise(void *arg)
{
	char err[512];
	struct netrec *n;

	for (;;) {
		sleep(NETUP_SUPERVISE_S);
		pthread_mutex_lock(&nettab_lock);
		for (n = nets; n; n = n->next) {
			if (!n->active || !n->def->nips ||
			    n->def->forward == NETDEF_FWD_BRIDGE ||
			    netup_dnsmasq_pid(n))
				continue;
			wirt_warn(
				"dnsmasq of network '%s' is gone; starting it again",
				n->name);
			if (netup_dnsmasq(n, err, sizeof(err)))
				wirt_err("%s", err);
		}
		pthread_mutex_unlock(&nettab_lock);
	}
	return NULL;
}

int netup_supervise(void)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, supervise, NULL);

	if (!r)
		pthread_detach(t);
	return -r;
}
