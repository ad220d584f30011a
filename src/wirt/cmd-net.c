// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirt's net-* commands, with virsh's output: net-list, net-info,
 * net-dumpxml, net-define, net-create, net-undefine, net-start,
 * net-destroy, net-autostart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "wirt/wirt.h"

/* {"network": the first positional argument}. */
static struct json_object *net_args(const struct ctx *c)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "network",
			       json_object_new_string(c->cl.pos[0]));
	return a;
}

/* Whether network n is listed under net-list's flags. */
static bool net_match(const struct ctx *c, struct json_object *n)
{
	if (flag(c, "inactive"))
		return !yes(n, "active");
	if (!flag(c, "all") && !yes(n, "active"))
		return false;
	if (flag(c, "persistent") && !yes(n, "persistent"))
		return false;
	if (flag(c, "transient") && yes(n, "persistent"))
		return false;
	if (flag(c, "autostart") && !yes(n, "autostart"))
		return false;
	return !flag(c, "no-autostart") || !yes(n, "autostart");
}

int do_net_list(struct ctx *c)
{
	static const char *const heads[] = { "Name", "State", "Autostart",
					     "Persistent" };
	struct json_object *r = call(c, "net_list", NULL, NULL), *ns, *n;
	struct table *t = NULL;
	size_t i;

	if (!r)
		return 1;
	json_object_object_get_ex(r, "networks", &ns);
	if (!flag(c, "name") && !flag(c, "uuid"))
		t = table_new(4, heads);
	for (i = 0; i < json_object_array_length(ns); i++) {
		n = json_object_array_get_idx(ns, i);
		if (!net_match(c, n))
			continue;
		if (flag(c, "name") || flag(c, "uuid")) {
			printf("%s\n",
			       str(n, flag(c, "name") ? "name" : "uuid"));
		} else {
			const char *row[] = {
				str(n, "name"),
				yes(n, "active") ? "active" : "inactive",
				yes(n, "autostart") ? "yes" : "no",
				yes(n, "persistent") ? "yes" : "no",
			};

			table_add(t, row);
		}
	}
	table_print(t);
	putchar('\n');
	json_object_put(r);
	return 0;
}

int do_net_info(struct ctx *c)
{
	struct json_object *r = call(c, "net_info", net_args(c), NULL);

	if (!r)
		return 1;
	printf("%-15s %s\n", "Name:", str(r, "name"));
	printf("%-15s %s\n", "UUID:", str(r, "uuid"));
	printf("%-15s %s\n", "Active:", yes(r, "active") ? "yes" : "no");
	printf("%-15s %s\n",
	       "Persistent:", yes(r, "persistent") ? "yes" : "no");
	printf("%-15s %s\n", "Autostart:", yes(r, "autostart") ? "yes" : "no");
	printf("%-15s %s\n\n", "Bridge:", str(r, "bridge"));
	json_object_put(r);
	return 0;
}

int do_net_dumpxml(struct ctx *c)
{
	struct json_object *r = call(c, "net_dumpxml", net_args(c), NULL);

	if (!r)
		return 1;
	printf("%s\n", str(r, "xml"));
	json_object_put(r);
	return 0;
}

/* net-define FILE and net-create FILE. */
int do_net_define(struct ctx *c)
{
	bool create = !strcmp(c->cmd, "net-create");
	struct json_object *a, *r;
	const char *path = c->cl.pos[0];
	char *xml = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	if (!f || getdelim(&xml, &len, '\0', f) < 0) {
		snprintf(c->err, sizeof(c->err), "Failed to open file '%s': %s",
			 path, strerror(errno));
		free(xml);
		if (f)
			fclose(f);
		return fail(c);
	}
	fclose(f);
	a = json_object_new_object();
	json_object_object_add(a, "xml", json_object_new_string(xml));
	json_object_object_add(a, "origin", json_object_new_string(path));
	free(xml);
	r = call(c, create ? "net_create" : "net_define", a, NULL);
	if (!r)
		return 1;
	printf("Network %s %s from %s\n\n", str(r, "name"),
	       create ? "created" : "defined", path);
	json_object_put(r);
	return 0;
}

/* net-undefine, net-start, net-destroy, net-autostart [--disable]. */
int do_net_simple(struct ctx *c)
{
	static const struct {
		const char *cmd, *req, *done;
	} t[] = {
		{ "net-undefine", "net_undefine", "has been undefined" },
		{ "net-start", "net_start", "started" },
		{ "net-destroy", "net_destroy", "destroyed" },
		{ "net-autostart", "net_autostart", "marked as autostarted" },
	};
	struct json_object *a = net_args(c), *r;
	bool off = flag(c, "disable");
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]) - 1; i++)
		if (!strcmp(c->cmd, t[i].cmd))
			break;
	json_object_object_add(a, "disable", json_object_new_boolean(off));
	r = call(c, t[i].req, a, NULL);
	if (!r)
		return 1;
	printf("Network %s %s%s\n\n", c->cl.pos[0], i == 3 && off ? "un" : "",
	       t[i].done);
	json_object_put(r);
	return 0;
}

/* net-dhcp-leases NAME [--mac MAC]: virsh's table. */
int do_net_dhcp_leases(struct ctx *c)
{
	static const char *const heads[] = {
		"Expiry Time", "MAC address", "Protocol",
		"IP address",  "Hostname",    "Client ID or DUID"
	};
	struct json_object *r = call(c, "net_dhcp_leases", net_args(c), NULL);
	struct json_object *ls, *l;
	const char *mac = value(c, "mac");
	struct table *t;
	char when[32];
	time_t e;
	size_t i;

	if (!r)
		return 1;
	json_object_object_get_ex(r, "leases", &ls);
	t = table_new(6, heads);
	for (i = 0; i < json_object_array_length(ls); i++) {
		l = json_object_array_get_idx(ls, i);
		if (mac && strcasecmp(mac, str(l, "mac")))
			continue;
		e = (time_t)num(l, "expiry");
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
			 localtime(&e));
		const char *row[] = {
			when,
			str(l, "mac"),
			yes(l, "ipv6") ? "ipv6" : "ipv4",
			str(l, "ip"),
			strcmp(str(l, "hostname"), "*") ? str(l, "hostname") :
							  "-",
			strcmp(str(l, "clientid"), "*") ? str(l, "clientid") :
							  "-",
		};
		table_add(t, row);
	}
	table_print(t);
	putchar('\n');
	json_object_put(r);
	return 0;
}

/* net-update NET add|delete ip-dhcp-host XML|FILE [--live] [--config]. */
int do_net_update(struct ctx *c)
{
	const char *x = c->cl.pos[3];
	struct json_object *a = net_args(c), *r;
	bool live = flag(c, "live"), config = flag(c, "config");
	char *xml = NULL;
	size_t len = 0;
	FILE *f;

	if (x[0] != '<') { /* a file, as virsh allows */
		f = fopen(x, "r");
		if (!f || getdelim(&xml, &len, '\0', f) < 0) {
			snprintf(c->err, sizeof(c->err),
				 "Failed to open file '%s': %s", x,
				 strerror(errno));
			if (f)
				fclose(f);
			free(xml);
			json_object_put(a);
			return fail(c);
		}
		fclose(f);
	}
	json_object_object_add(a, "command",
			       json_object_new_string(c->cl.pos[1]));
	json_object_object_add(a, "section",
			       json_object_new_string(c->cl.pos[2]));
	json_object_object_add(a, "xml", json_object_new_string(xml ? xml : x));
	free(xml);
	r = call(c, "net_update", a, NULL);
	if (!r)
		return 1;
	if (!live && !config)
		live = yes(r, "active"), config = !live;
	printf("Updated network %s %s%s%s\n\n", c->cl.pos[0],
	       config ? "persistent config" : "", live && config ? " and " : "",
	       live ? "live state" : "");
	json_object_put(r);
	return 0;
}

/* Print the leases in network net's lease file for mac, as domifaddr. */
static void ifaddr_rows(struct ctx *c, const char *ifname, const char *net,
			const char *mac)
{
	struct json_object *a = json_object_new_object(), *r, *ls, *l;
	bool first = true;
	char addr[128];
	size_t i;

	json_object_object_add(a, "network", json_object_new_string(net));
	r = wc_call(c->sock, "net_dhcp_leases", a, NULL, c->err,
		    sizeof(c->err));
	if (!r || !json_object_object_get_ex(r, "leases", &ls)) {
		json_object_put(r);
		return;
	}
	for (i = 0; i < json_object_array_length(ls); i++) {
		l = json_object_array_get_idx(ls, i);
		if (strcasecmp(str(l, "mac"), mac))
			continue;
		snprintf(addr, sizeof(addr), "%-12s %s",
			 yes(l, "ipv6") ? "ipv6" : "ipv4", str(l, "ip"));
		printf(" %-10s %-17s    %s\n", first ? ifname : "-",
		       first ? mac : "-", addr);
		first = false;
	}
	json_object_put(r);
}

/* domifaddr NAME: the addresses of its network interfaces, from the
 * DHCP leases of their networks (libvirt's default source, 'lease'). */
int do_domifaddr(struct ctx *c)
{
	struct json_object *r = call(c, "devices", dom_args(c), NULL), *a, *d;
	size_t i;

	if (!r)
		return 1;
	printf(" %-10s %-20s %-8s     %s\n%s%s\n", "Name", "MAC address",
	       "Protocol", "Address",
	       "-------------------------------------------------",
	       "------------------------------");
	json_object_object_get_ex(r, "interfaces", &a);
	for (i = 0; i < json_object_array_length(a); i++) {
		d = json_object_array_get_idx(a, i);
		if (!strcmp(str(d, "type"), "network"))
			ifaddr_rows(c, str(d, "interface"), str(d, "source"),
				    str(d, "mac"));
	}
	putchar('\n');
	json_object_put(r);
	return 0;
}
