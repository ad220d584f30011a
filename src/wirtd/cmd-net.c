// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The net-* commands: net_list, net_info, net_dumpxml (read-only),
 * net_define, net_create, net_undefine, net_start, net_destroy,
 * net_autostart. Each runs under nettab_lock and answers in virsh's
 * words.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "wirtd/cmds.h"
#include "wirtd/nets.h"
#include "wirtd/netup.h"
#include "wirtd/wirtd.h"

/* The network args' "network" names (nettab_lock held), or NULL with
 * err set as virsh says it. */
static struct netrec *find(struct json_object *args, struct cmd_ctx *c)
{
	const char *key = arg_str(args, "network");
	struct netrec *n = key ? net_find(key) : NULL;

	if (n)
		return n;
	c->errclass = "NetworkNotFound";
	if (!key)
		snprintf(c->err, c->errlen, "no \"network\" argument");
	else
		snprintf(c->err, c->errlen, "failed to get network '%s'", key);
	return NULL;
}

static struct json_object *summary(const struct netrec *n)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "uuid", json_object_new_string(n->def->uuid));
	json_object_object_add(o, "active", json_object_new_boolean(n->active));
	json_object_object_add(o, "persistent",
			       json_object_new_boolean(n->persistent));
	json_object_object_add(o, "autostart",
			       json_object_new_boolean(n->autostart));
	json_object_object_add(o, "bridge",
			       json_object_new_string(n->def->bridge));
	json_object_object_add(
		o, "forward",
		json_object_new_string(netdef_forward_name(n->def->forward)));
	return o;
}

/* Sort by name, as virsh lists them. */
static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct netrec *const *)a)->name,
		      (*(struct netrec *const *)b)->name);
}

struct json_object *cmd_net_list(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	struct netrec *n, **v = NULL, **nv;
	size_t cnt = 0, i;

	pthread_mutex_lock(&nettab_lock);
	for (n = nets; n; n = n->next) {
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[cnt++] = n;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), by_name);
	for (i = 0; i < cnt; i++)
		json_object_array_add(a, summary(v[i]));
	pthread_mutex_unlock(&nettab_lock);
	free(v);
	json_object_object_add(o, "networks", a);
	return o;
}

struct json_object *cmd_net_info(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *o = NULL;
	struct netrec *n;

	pthread_mutex_lock(&nettab_lock);
	n = find(args, c);
	if (n)
		o = summary(n);
	pthread_mutex_unlock(&nettab_lock);
	return o;
}

struct json_object *cmd_net_dumpxml(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *o = NULL;
	struct netrec *n;
	char *xml = NULL;

	pthread_mutex_lock(&nettab_lock);
	n = find(args, c);
	if (n)
		xml = netdef_format(n->def);
	pthread_mutex_unlock(&nettab_lock);
	if (xml) {
		o = json_object_new_object();
		json_object_object_add(o, "xml", json_object_new_string(xml));
	}
	free(xml);
	return o;
}

/* net_define and net_create: "xml", "origin" (a file name for errors). */
static struct json_object *define(struct json_object *args, struct cmd_ctx *c,
				  bool create)
{
	const char *xml = arg_str(args, "xml"),
		   *origin = arg_str(args, "origin");
	struct json_object *o = NULL;
	struct netdef *d;
	struct netrec *n;

	if (!xml) {
		snprintf(c->err, c->errlen, "no \"xml\" argument");
		return NULL;
	}
	if (netdef_parse(xml, strlen(xml), origin, &d, c->err, c->errlen))
		return NULL;
	pthread_mutex_lock(&nettab_lock);
	n = net_find(d->name);
	if (create && n && n->active) {
		snprintf(
			c->err, c->errlen,
			"operation failed: network '%s' already exists and is active",
			d->name);
		free(d);
		goto out;
	}
	if (net_define(d, !create, &n, c->err, c->errlen))
		goto out;
	if (create && net_start(n, c->err, c->errlen)) {
		if (!n->persistent)
			net_forget(n);
		goto out;
	}
	o = summary(n);
out:
	pthread_mutex_unlock(&nettab_lock);
	return o;
}

struct json_object *cmd_net_define(struct json_object *args, struct cmd_ctx *c)
{
	return define(args, c, false);
}

struct json_object *cmd_net_create(struct json_object *args, struct cmd_ctx *c)
{
	return define(args, c, true);
}

/* net_undefine, net_start, net_destroy, net_autostart ("disable"). */
static struct json_object *act(struct json_object *args, struct cmd_ctx *c,
			       const char *what)
{
	struct netrec *n;
	int r = -1;

	pthread_mutex_lock(&nettab_lock);
	n = find(args, c);
	if (n && !strcmp(what, "undefine"))
		r = net_undefine(n, c->err, c->errlen);
	else if (n && !strcmp(what, "start"))
		r = net_start(n, c->err, c->errlen);
	else if (n && !strcmp(what, "destroy"))
		r = net_stop(n, c->err, c->errlen);
	else if (n && !n->persistent)
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: cannot set autostart for transient network");
	else if (n) {
		r = net_set_autostart(n, !arg_bool(args, "disable"));
		if (r)
			snprintf(
				c->err, c->errlen,
				"cannot set the autostart link of network '%s': %s",
				n->name, strerror(-r));
	}
	pthread_mutex_unlock(&nettab_lock);
	return r ? NULL : ok();
}

struct json_object *cmd_net_undefine(struct json_object *args,
				     struct cmd_ctx *c)
{
	return act(args, c, "undefine");
}

struct json_object *cmd_net_start(struct json_object *args, struct cmd_ctx *c)
{
	return act(args, c, "start");
}

struct json_object *cmd_net_destroy(struct json_object *args, struct cmd_ctx *c)
{
	return act(args, c, "destroy");
}

struct json_object *cmd_net_autostart(struct json_object *args,
				      struct cmd_ctx *c)
{
	return act(args, c, "autostart");
}

/* One line of dnsmasq's lease file into o (prefix: the subnet's). */
static struct json_object *lease_of(char *line, unsigned int prefix)
{
	char mac[64], ip[64], host[128], id[256], addr[80];
	unsigned long long expiry;
	struct json_object *o;

	if (sscanf(line, "%llu %63s %63s %127s %255s", &expiry, mac, ip, host,
		   id) != 5)
		return NULL;
	o = json_object_new_object();
	snprintf(addr, sizeof(addr), "%s/%u", ip, prefix);
	json_object_object_add(o, "expiry", json_object_new_uint64(expiry));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "ip", json_object_new_string(addr));
	json_object_object_add(
		o, "ipv6", json_object_new_boolean(strchr(ip, ':') != NULL));
	json_object_object_add(o, "hostname", json_object_new_string(host));
	json_object_object_add(o, "clientid", json_object_new_string(id));
	return o;
}

/* net_dhcp_leases: "network"; the leases of its dnsmasq lease file. */
struct json_object *cmd_net_dhcp_leases(struct json_object *args,
					struct cmd_ctx *c)
{
	struct json_object *o = NULL, *a, *l;
	char path[PATH_MAX], line[512];
	unsigned int prefix = 24;
	struct netrec *n;
	FILE *f = NULL;

	pthread_mutex_lock(&nettab_lock);
	n = find(args, c);
	if (n)
		netdef_ipv4(n->def, NULL, &prefix);
	if (n && !netup_file(path, sizeof(path), n, ".leases"))
		f = fopen(path, "re");
	if (n) {
		o = json_object_new_object();
		a = json_object_new_array();
		while (f && fgets(line, sizeof(line), f))
			if ((l = lease_of(line, prefix)))
				json_object_array_add(a, l);
		json_object_object_add(o, "leases", a);
	}
	if (f)
		fclose(f);
	pthread_mutex_unlock(&nettab_lock);
	return o;
}

/*
 * net_update: "network", "command" (add, delete), "section"
 * (ip-dhcp-host), "xml". The definition changes (written back when
 * persistent) and, when active, dnsmasq re-reads its hosts file at once.
 */
struct json_object *cmd_net_update(struct json_object *args, struct cmd_ctx *c)
{
	const char *cmd = arg_str(args, "command"), *xml = arg_str(args, "xml");
	const char *sec = arg_str(args, "section");
	struct json_object *o = NULL;
	struct netrec *n;
	int r = -EINVAL;

	if (!cmd || (strcmp(cmd, "add") && strcmp(cmd, "delete")) || !sec ||
	    strcmp(sec, "ip-dhcp-host") || !xml) {
		snprintf(
			c->err, c->errlen,
			"net-update supports 'add' and 'delete' of section 'ip-dhcp-host' with a <host/> element");
		return NULL;
	}
	pthread_mutex_lock(&nettab_lock);
	n = find(args, c);
	if (n)
		r = netdef_update_host(n->def, !strcmp(cmd, "add"), xml, c->err,
				       c->errlen);
	if (!r && n->persistent)
		r = net_write_def(n, W->paths.etc);
	if (!r && n->active) {
		r = net_write_def(n, W->paths.run);
		if (!r)
			r = netup_dnsmasq_hosts(n);
		if (!r)
			netup_dnsmasq_reload(n);
	}
	if (!r)
		o = summary(n);
	else if (n && r != -EINVAL)
		snprintf(c->err, c->errlen,
			 "cannot save network '%s' after the update: %s",
			 n->name, strerror(-r));
	pthread_mutex_unlock(&nettab_lock);
	return o;
}
