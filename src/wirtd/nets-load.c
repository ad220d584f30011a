// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading networks at wirtd's start: ETC/networks/NAME.xml (persistent),
 * RUN/networks/NAME.xml (active: what wirtd had set up before it stopped),
 * and on the first start, the network 'default' as libvirt ships it.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "wirtd/nets.h"
#include "wirtd/wirtd.h"

/* Parse DIR/networks/FILE into a definition, or NULL (reported). */
static struct netdef *read_def(const char *dir, const char *file,
			       const char *name)
{
	char path[PATH_MAX], err[512], *xml;
	struct netdef *d;
	size_t len;

	if (snprintf(path, sizeof(path), "%s/networks/%s", dir, file) >=
		    (int)sizeof(path) ||
	    store_read(path, &xml, &len, NETDEF_XML_MAX))
		return NULL;
	if (netdef_parse(xml, len, path, &d, err, sizeof(err))) {
		wirt_err("skipping network definition %s", err);
		free(xml);
		return NULL;
	}
	free(xml);
	if (strcmp(d->name, name)) {
		wirt_err(
			"skipping network definition '%s': its <name> is '%s'; rename the file or the network",
			path, d->name);
		free(d);
		return NULL;
	}
	return d;
}

/* Every NAME.xml of DIR/networks into the table (active: running). */
static void load_dir(const char *dir, bool active)
{
	char path[PATH_MAX], name[NETDEF_NAME_MAX + 1], err[512];
	struct netrec *n;
	struct netdef *d;
	struct dirent *e;
	struct stat st;
	size_t len;
	DIR *dd;

	if (net_path(path, sizeof(path), dir, NULL, NULL))
		return;
	dd = opendir(path);
	while (dd && (e = readdir(dd))) {
		len = strlen(e->d_name);
		if (len < 5 || len - 4 > NETDEF_NAME_MAX ||
		    strcmp(e->d_name + len - 4, ".xml"))
			continue;
		memcpy(name, e->d_name, len - 4);
		name[len - 4] = '\0';
		d = read_def(dir, e->d_name, name);
		if (!d || net_define(d, false, &n, err, sizeof(err)))
			continue;
		if (active) {
			n->active = true;
			continue;
		}
		n->persistent = true;
		if (!net_path(path, sizeof(path), dir, "autostart", name))
			n->autostart = !lstat(path, &st);
	}
	if (dd)
		closedir(dd);
}

/* The network 'default': NAT on the first /24 from 192.168.122.0 up
 * that no host address uses, DHCP for .2 to .254, autostart, except in
 * an independent instance (--root: tests), which touches the host's
 * network only when told to (net-start). */
static void make_default(void)
{
	char xml[1024], err[512], ifname[32];
	struct netdef *d;
	struct netrec *n;
	struct in_addr net;
	unsigned int c;

	for (c = 122; c < 255; c++) {
		net.s_addr = htonl(0xc0a80000u | c << 8);
		if (net_host_subnet_used(net, 24, ifname, sizeof(ifname)) == 0)
			break;
	}
	if (c == 255) {
		wirt_err(
			"no free 192.168.N.0/24 for the network 'default'; define one with net-define");
		return;
	}
	snprintf(xml, sizeof(xml),
		 "<network><name>default</name><forward mode='nat'/>"
		 "<ip address='192.168.%u.1' netmask='255.255.255.0'><dhcp>"
		 "<range start='192.168.%u.2' end='192.168.%u.254'/>"
		 "</dhcp></ip></network>",
		 c, c, c);
	if (netdef_parse(xml, strlen(xml), "default", &d, err, sizeof(err)) ||
	    net_define(d, true, &n, err, sizeof(err)) ||
	    net_set_autostart(n, !W->independent))
		wirt_err("cannot define the network 'default': %s", err);
}

int nets_load(char *err, size_t errlen)
{
	const char *dirs[] = { W->paths.etc, W->paths.run, W->paths.lib };
	char path[PATH_MAX];
	bool first = false;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (net_path(path, sizeof(path), dirs[i], NULL, NULL))
			return -ENAMETOOLONG;
		/* RUN/networks: dnsmasq re-reads its hosts files there as
		 * nobody (SIGHUP); the definitions in it are 0600 */
		if (mkdir(path, i == 1 ? 0755 : 0700) == 0)
			first = first || i == 0;
		else if (errno != EEXIST)
			goto fail;
		if (i == 1 && chmod(path, 0755))
			goto fail;
		if (i == 0 &&
		    (net_path(path, sizeof(path), dirs[i], "autostart", NULL) ||
		     (mkdir(path, 0700) && errno != EEXIST)))
			goto fail;
	}
	pthread_mutex_lock(&nettab_lock);
	load_dir(W->paths.etc, false);
	load_dir(W->paths.run, true);
	if (first && !net_find("default"))
		make_default();
	pthread_mutex_unlock(&nettab_lock);
	return 0;
fail:
	snprintf(err, errlen, "cannot create directory '%s': %s", path,
		 strerror(errno));
	return -errno;
}
