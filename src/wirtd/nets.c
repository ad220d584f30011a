// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirtd's network table and files (see nets.h): definitions under
 * ETC/networks, the running definitions under RUN/networks, the network
 * 'default' made on the first start, the checks before a start (no
 * subnet shared with another active network or an address of the host).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tmpfile.h"
#include "common/util.h"
#include "wirtd/nets.h"
#include "wirtd/wirtd.h"

pthread_mutex_t nettab_lock = PTHREAD_MUTEX_INITIALIZER;
struct netrec *nets;

int net_path(char *buf, size_t len, const char *dir, const char *sub,
	     const char *name)
{
	int n = snprintf(buf, len, "%s/networks%s%s%s%s", dir, sub ? "/" : "",
			 sub ? sub : "", name ? "/" : "", name ? name : "");

	if (n < 0 || (size_t)n + 4 >= len)
		return -ENAMETOOLONG;
	if (name)
		strcat(buf, ".xml");
	return 0;
}

struct netrec *net_find(const char *name)
{
	struct netrec *n;

	for (n = nets; n; n = n->next)
		if (!strcmp(n->name, name) || !strcmp(n->def->uuid, name))
			return n;
	return NULL;
}

int net_write_def(const struct netrec *n, const char *dir)
{
	char path[PATH_MAX], *xml = netdef_format(n->def);
	int r;

	if (!xml)
		return -ENOMEM;
	r = net_path(path, sizeof(path), dir, NULL, n->name);
	if (!r)
		r = store_write(path, xml, strlen(xml), 0600);
	free(xml);
	return r;
}

void net_remove_def(const struct netrec *n, const char *dir)
{
	char path[PATH_MAX];

	if (!net_path(path, sizeof(path), dir, NULL, n->name) && !unlink(path))
		tmpfile_sync_dir(path);
}

/* Whether some network other than self uses bridge name br. */
static bool bridge_taken(const char *br, const struct netrec *self)
{
	struct netrec *n;

	for (n = nets; n; n = n->next)
		if (n != self && !strcmp(n->def->bridge, br))
			return true;
	return if_nametoindex(br) != 0;
}

/* The first virbrN that no network and no host interface uses. */
static void free_bridge(char out[NETDEF_IFNAME_MAX], const struct netrec *self)
{
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		snprintf(out, NETDEF_IFNAME_MAX, "virbr%u", i);
		if (!bridge_taken(out, self))
			return;
	}
}

int net_define(struct netdef *def, bool persistent, struct netrec **out,
	       char *err, size_t errlen)
{
	struct netrec *n = net_find(def->name);
	char br[NETDEF_IFNAME_MAX] = "";
	int r;

	if (n && def->uuid[0] && strcmp(n->def->uuid, def->uuid)) {
		snprintf(
			err, errlen,
			"operation failed: network '%s' already exists with uuid %s",
			def->name, n->def->uuid);
		free(def);
		return -EEXIST;
	}
	if (n && !def->uuid[0])
		strcpy(def->uuid, n->def->uuid);
	if (n && !def->bridge[0] && def->forward != NETDEF_FWD_BRIDGE)
		strcpy(def->bridge, n->def->bridge);
	if (!def->bridge[0])
		free_bridge(br, n);
	r = netdef_normalize(def, br);
	if (r) {
		snprintf(err, errlen, "cannot normalize network '%s': %s",
			 def->name, strerror(-r));
		free(def);
		return r;
	}
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n) {
			free(def);
			return -ENOMEM;
		}
		strcpy(n->name, def->name);
		n->next = nets;
		nets = n;
	}
	free(n->def);
	n->def = def;
	n->persistent = n->persistent || persistent;
	r = persistent ? net_write_def(n, W->paths.etc) : 0;
	if (r)
		snprintf(err, errlen,
			 "cannot write the definition of network '%s': %s",
			 n->name, strerror(-r));
	*out = n;
	return r;
}

void net_forget(struct netrec *n)
{
	struct netrec **p;

	for (p = &nets; *p; p = &(*p)->next)
		if (*p == n) {
			*p = n->next;
			break;
		}
	free(n->def);
	free(n);
}

int net_set_autostart(struct netrec *n, bool on)
{
	char link[PATH_MAX], target[PATH_MAX];
	int r = net_path(link, sizeof(link), W->paths.etc, "autostart",
			 n->name);

	if (r)
		return r;
	unlink(link);
	snprintf(target, sizeof(target), "../%s.xml", n->name);
	if (on && symlink(target, link))
		return -errno;
	r = tmpfile_sync_dir(link);
	if (!r)
		n->autostart = on;
	return r;
}

int net_undefine(struct netrec *n, char *err, size_t errlen)
{
	if (!n->persistent) {
		snprintf(
			err, errlen,
			"Requested operation is not valid: network '%s' is not persistent",
			n->name);
		return -EINVAL;
	}
	net_set_autostart(n, false);
	net_remove_def(n, W->paths.etc);
	n->persistent = false;
	if (!n->active)
		net_forget(n);
	return 0;
}
