// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirt: virsh's commands against wirtd, with virsh's output byte for byte
 * where scripts parse it (tables, dominfo, domstate --reason, domstats,
 * "Domain 'NAME' started" messages, a blank line after each command's
 * output, "error: ..." and exit status 1 on failure).
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirt/wirt.h"

bool flag(const struct ctx *c, const char *f)
{
	int i;

	for (i = 0; i < c->cl.nflags; i++)
		if (!strcmp(c->cl.flags[i], f))
			return true;
	return false;
}

/* value - the value given to flag f (declared "f=" in the table). */
const char *value(const struct ctx *c, const char *f)
{
	int i;

	for (i = 0; i < c->cl.nflags; i++)
		if (!strcmp(c->cl.flags[i], f))
			return c->cl.vals[i];
	return NULL;
}

int fail(struct ctx *c)
{
	fprintf(stderr, "error: %s\n\n", c->err);
	return 1;
}

/* call - one request; NULL (after printing the error) on failure. */
struct json_object *call(struct ctx *c, const char *cmd,
			 struct json_object *args, int *fd)
{
	struct json_object *r =
		wc_call(c->sock, cmd, args, fd, c->err, sizeof(c->err));

	if (!r)
		fail(c);
	return r;
}

/* dom_args - {"domain": first positional argument}. */
struct json_object *dom_args(const struct ctx *c)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "domain",
			       json_object_new_string(c->cl.pos[0]));
	return a;
}

const char *str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) :
						     "";
}

long long num(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) :
						     0;
}

bool yes(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       json_object_get_boolean(v);
}

/* simple - a command on one domain that prints "Domain 'X' MSG". */
static int simple(struct ctx *c, const char *cmd, const char *msg)
{
	struct json_object *r = call(c, cmd, dom_args(c), NULL);

	if (!r)
		return 1;
	printf("Domain '%s' %s\n\n", c->cl.pos[0], msg);
	json_object_put(r);
	return 0;
}

/* Commands on one domain that print "Domain 'X' MSG": wirtd's command
 * and virsh's message, by wirt's command name. */
static const char *const simple_cmds[][3] = {
	{ "shutdown", "shutdown", "is being shutdown" },
	{ "reboot", "reboot", "is being rebooted" },
	{ "reset", "reset", "was reset" },
	{ "destroy", "destroy", "destroyed" },
	{ "suspend", "suspend", "suspended" },
	{ "resume", "resume", "resumed" },
};

static int do_simple(struct ctx *c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(simple_cmds); i++)
		if (!strcmp(simple_cmds[i][0], c->cmd))
			return simple(c, simple_cmds[i][1], simple_cmds[i][2]);
	return 1;
}

/* list_match - the domain passes list's filters. */
static bool list_match(const struct ctx *c, struct json_object *d)
{
	const char *st = str(d, "state");
	bool active = strcmp(st, "shut off") != 0;
	bool any_state = flag(c, "state-running") || flag(c, "state-paused") ||
			 flag(c, "state-shutoff") || flag(c, "state-other");

	if (any_state)
		return (flag(c, "state-running") && !strcmp(st, "running")) ||
		       (flag(c, "state-paused") && !strcmp(st, "paused")) ||
		       (flag(c, "state-shutoff") && !strcmp(st, "shut off")) ||
		       (flag(c, "state-other") && strcmp(st, "running") &&
			strcmp(st, "paused") && strcmp(st, "shut off"));
	if (flag(c, "autostart") && !yes(d, "autostart"))
		return false;
	if (flag(c, "no-autostart") && yes(d, "autostart"))
		return false;
	if (flag(c, "persistent") && !yes(d, "persistent"))
		return false;
	if (flag(c, "transient") && yes(d, "persistent"))
		return false;
	if (flag(c, "inactive"))
		return !active;
	return active || flag(c, "all");
}

/* by_id - order active domains by id; inactive ones (id -1) keep their
 * order after them (json_object_array_sort is a qsort: names break ties). */
static int by_id(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	long long i = num(x, "id"), j = num(y, "id");

	if (i > 0 && j > 0)
		return i < j ? -1 : i > j;
	if ((i > 0) != (j > 0))
		return i > 0 ? -1 : 1;
	return strcmp(str(x, "name"), str(y, "name"));
}

static int do_list(struct ctx *c)
{
	static const char *const heads[] = { "Id", "Name", "State" };
	struct json_object *r = call(c, "list", NULL, NULL), *ds, *d;
	struct table *t = NULL;
	char id[16];
	size_t i;

	if (!r)
		return 1;
	json_object_object_get_ex(r, "domains", &ds);
	if (!flag(c, "name") && !flag(c, "uuid") && !flag(c, "id"))
		t = table_new(3, heads);
	/* running domains first by id, then the others by name (wirtd
	 * lists them by name) */
	json_object_array_sort(ds, by_id);
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < json_object_array_length(ds); i++) {
			d = json_object_array_get_idx(ds, i);
			if ((num(d, "id") > 0) != !pass || !list_match(c, d))
				continue;
			if (num(d, "id") > 0)
				snprintf(id, sizeof(id), "%lld", num(d, "id"));
			else
				strcpy(id, "-");
			if (flag(c, "name"))
				printf("%s\n", str(d, "name"));
			else if (flag(c, "uuid"))
				printf("%s\n", str(d, "uuid"));
			else if (flag(c, "id")) {
				if (num(d, "id") > 0)
					printf("%s\n", id);
			} else {
				const char *row[] = { id, str(d, "name"),
						      str(d, "state") };

				table_add(t, row);
			}
		}
	table_print(t);
	putchar('\n');
	json_object_put(r);
	return 0;
}

static int do_dominfo(struct ctx *c)
{
	struct json_object *r = call(c, "dominfo", dom_args(c), NULL);
	char id[16];

	if (!r)
		return 1;
	if (num(r, "id") > 0)
		snprintf(id, sizeof(id), "%lld", num(r, "id"));
	else
		strcpy(id, "-");
	printf("%-15s %s\n", "Id:", id);
	printf("%-15s %s\n", "Name:", str(r, "name"));
	printf("%-15s %s\n", "UUID:", str(r, "uuid"));
	printf("%-15s %s\n", "OS Type:", str(r, "os_type"));
	printf("%-15s %s\n", "State:", str(r, "state"));
	printf("%-15s %lld\n", "CPU(s):", num(r, "vcpus"));
	if (num(r, "id") > 0)
		printf("%-15s %.1fs\n",
		       "CPU time:", (double)num(r, "cpu_time_ns") / 1e9);
	printf("%-15s %lld KiB\n", "Max memory:", num(r, "max_memory_kib"));
	printf("%-15s %lld KiB\n", "Used memory:", num(r, "used_memory_kib"));
	printf("%-15s %s\n",
	       "Persistent:", yes(r, "persistent") ? "yes" : "no");
	printf("%-15s %s\n",
	       "Autostart:", yes(r, "autostart") ? "enable" : "disable");
	printf("%-15s %s\n",
	       "Managed save:", yes(r, "managed_save") ? "yes" : "no");
	printf("%-15s %s\n", "Security model:", "none");
	printf("%-15s %s\n\n", "Security DOI:", "0");
	json_object_put(r);
	return 0;
}

static int do_domstate(struct ctx *c)
{
	struct json_object *r = call(c, "domstate", dom_args(c), NULL);

	if (!r)
		return 1;
	if (flag(c, "reason"))
		printf("%s (%s)\n\n", str(r, "state"), str(r, "reason"));
	else
		printf("%s\n\n", str(r, "state"));
	json_object_put(r);
	return 0;
}

/* do_domfield - domid, domname, domuuid. */
static int do_domfield(struct ctx *c)
{
	struct json_object *r = call(c, "domstate", dom_args(c), NULL);

	if (!r)
		return 1;
	if (!strcmp(c->cmd, "domid"))
		num(r, "id") > 0 ? printf("%lld\n\n", num(r, "id")) :
				   printf("-\n\n");
	else
		printf("%s\n\n",
		       str(r, !strcmp(c->cmd, "domname") ? "name" : "uuid"));
	json_object_put(r);
	return 0;
}

static int do_dumpxml(struct ctx *c)
{
	struct json_object *r = call(c, "dumpxml", dom_args(c), NULL);

	if (!r)
		return 1;
	printf("%s\n", str(r, "xml"));
	json_object_put(r);
	return 0;
}

char *read_file_arg(struct ctx *c, const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f || getdelim(&buf, &len, '\0', f) < 0) {
		snprintf(c->err, sizeof(c->err), "Failed to open file '%s': %s",
			 path, strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

static void print_warnings(struct json_object *r)
{
	struct json_object *w;
	size_t i;

	if (!json_object_object_get_ex(r, "warnings", &w))
		return;
	for (i = 0; i < json_object_array_length(w); i++)
		fprintf(stderr, "warning: %s\n",
			json_object_get_string(
				json_object_array_get_idx(w, i)));
}

static int do_define(struct ctx *c)
{
	struct json_object *a = json_object_new_object(), *r;
	char *xml = read_file_arg(c, c->cl.pos[0]);
	bool create = !strcmp(c->cmd, "create");

	if (!xml) {
		json_object_put(a);
		return fail(c);
	}
	json_object_object_add(a, "xml", json_object_new_string(xml));
	json_object_object_add(a, "origin",
			       json_object_new_string(c->cl.pos[0]));
	free(xml);
	r = call(c, create ? "create" : "define", a, NULL);
	if (!r)
		return 1;
	print_warnings(r);
	printf("Domain '%s' %s from %s\n\n", str(r, "name"),
	       create ? "created" : "defined", c->cl.pos[0]);
	json_object_put(r);
	return 0;
}

static int do_undefine(struct ctx *c)
{
	struct json_object *a = dom_args(c), *r, *rm;
	size_t i;

	json_object_object_add(
		a, "remove_all_storage",
		json_object_new_boolean(flag(c, "remove-all-storage")));
	json_object_object_add(
		a, "snapshots_metadata",
		json_object_new_boolean(flag(c, "snapshots-metadata")));
	json_object_object_add(a, "nvram",
			       json_object_new_boolean(flag(c, "nvram")));
	json_object_object_add(a, "keep_nvram",
			       json_object_new_boolean(flag(c, "keep-nvram")));
	r = call(c, "undefine", a, NULL);
	if (!r)
		return 1;
	json_object_object_get_ex(r, "removed", &rm);
	printf("Domain '%s' has been undefined\n", c->cl.pos[0]);
	for (i = 0; rm && i < json_object_array_length(rm); i++)
		printf("Volume '%s' removed.\n",
		       json_object_get_string(
			       json_object_array_get_idx(rm, i)));
	putchar('\n');
	json_object_put(r);
	return 0;
}

int do_console_named(struct ctx *c)
{
	struct json_object *r, *a;
	int fd;

	a = dom_args(c);
	json_object_object_add(a, "force",
			       json_object_new_boolean(flag(c, "force")));
	r = call(c, "console", a, &fd);
	if (!r)
		return 1;
	json_object_put(r);
	if (fd < 0) {
		snprintf(c->err, sizeof(c->err), "wirtd passed no console");
		return fail(c);
	}
	console_relay(fd, c->cl.pos[0]);
	close(fd);
	return 0;
}

static int do_start(struct ctx *c)
{
	struct json_object *a = dom_args(c), *r;

	json_object_object_add(a, "paused",
			       json_object_new_boolean(flag(c, "paused")));
	r = call(c, "start", a, NULL);

	if (!r)
		return 1;
	print_warnings(r);
	printf("Domain '%s' started\n\n", c->cl.pos[0]);
	fflush(stdout);
	json_object_put(r);
	return flag(c, "console") ? do_console_named(c) : 0;
}

static int do_autostart(struct ctx *c)
{
	struct json_object *a = dom_args(c), *r;
	bool off = flag(c, "disable");

	json_object_object_add(a, "disable", json_object_new_boolean(off));
	r = call(c, "autostart", a, NULL);
	if (!r)
		return 1;
	printf("Domain '%s' %s as autostarted\n\n", c->cl.pos[0],
	       off ? "unmarked" : "marked");
	json_object_put(r);
	return 0;
}

static int do_domstats(struct ctx *c)
{
	struct json_object *a = json_object_new_object(), *names, *r, *ds, *d,
			   *st, *kv;
	size_t i, j;
	int k;

	names = json_object_new_array();
	for (k = 0; k < c->cl.npos; k++)
		json_object_array_add(names,
				      json_object_new_string(c->cl.pos[k]));
	json_object_object_add(a, "domains", names);
	r = call(c, "domstats", a, NULL);
	if (!r)
		return 1;
	json_object_object_get_ex(r, "domains", &ds);
	for (i = 0; i < json_object_array_length(ds); i++) {
		d = json_object_array_get_idx(ds, i);
		printf("Domain: '%s'\n", str(d, "name"));
		json_object_object_get_ex(d, "stats", &st);
		for (j = 0; j < json_object_array_length(st); j++) {
			kv = json_object_array_get_idx(st, j);
			printf("  %s=%s\n",
			       json_object_get_string(
				       json_object_array_get_idx(kv, 0)),
			       json_object_get_string(
				       json_object_array_get_idx(kv, 1)));
		}
		putchar('\n');
	}
	json_object_put(r);
	return 0;
}

/* do_shutdown_all - what libvirt-guests does at host shutdown. */
static int do_shutdown_all(struct ctx *c)
{
	struct json_object *a = json_object_new_object(), *r, *d;
	const char *t = value(c, "timeout");
	uint64_t secs = 300;
	size_t i;

	if (t && parse_uint(t, 1, 86400, &secs)) {
		snprintf(c->err, sizeof(c->err),
			 "--timeout '%s': give seconds from 1 to 86400", t);
		json_object_put(a);
		return fail(c);
	}
	json_object_object_add(a, "timeout", json_object_new_int((int)secs));
	json_object_object_add(a, "managedsave",
			       json_object_new_boolean(flag(c, "managedsave")));
	r = call(c, "shutdown_all", a, NULL);
	if (!r)
		return 1;
	json_object_object_get_ex(r, "saved", &d);
	for (i = 0; d && i < json_object_array_length(d); i++)
		printf("Domain '%s' state saved; the next boot restores it\n",
		       json_object_get_string(json_object_array_get_idx(d, i)));
	json_object_object_get_ex(r, "destroyed", &d);
	for (i = 0; d && i < json_object_array_length(d); i++)
		printf("Domain '%s' destroyed after %llu s\n",
		       json_object_get_string(json_object_array_get_idx(d, i)),
		       (unsigned long long)secs);
	printf("All domains are shut off\n\n");
	json_object_put(r);
	return 0;
}

/* abs_path - path made absolute against the working directory (wirtd
 * runs elsewhere), in buf; returns buf. */
static const char *abs_path(const char *path, char *buf, size_t len)
{
	if (path[0] != '/' && getcwd(buf, len))
		snprintf(buf + strlen(buf), len - strlen(buf), "/%s", path);
	else
		snprintf(buf, len, "%s", path);
	return buf;
}

static int do_save(struct ctx *c)
{
	struct json_object *a = dom_args(c), *r;
	char path[4096];

	if (c->cl.npos < 2) {
		json_object_put(a);
		fprintf(stderr,
			"error: command 'save' requires <file> option\n");
		return 1;
	}
	json_object_object_add(a, "file",
			       json_object_new_string(abs_path(
				       c->cl.pos[1], path, sizeof(path))));
	r = call(c, "save", a, NULL);
	if (!r)
		return 1;
	printf("\nDomain '%s' saved to %s\n\n", c->cl.pos[0], c->cl.pos[1]);
	json_object_put(r);
	return 0;
}

static int do_restore(struct ctx *c)
{
	struct json_object *a = json_object_new_object(), *r;
	char path[4096];

	json_object_object_add(a, "file",
			       json_object_new_string(abs_path(
				       c->cl.pos[0], path, sizeof(path))));
	r = call(c, "restore", a, NULL);
	if (!r)
		return 1;
	printf("Domain restored from %s\n\n", c->cl.pos[0]);
	json_object_put(r);
	return 0;
}

static int do_managedsave(struct ctx *c)
{
	struct json_object *a = dom_args(c), *r;
	bool rm = !strcmp(c->cmd, "managedsave-remove");

	json_object_object_add(a, "remove", json_object_new_boolean(rm));
	r = call(c, "managedsave", a, NULL);
	if (!r)
		return 1;
	if (rm)
		printf("Removed managedsave image for domain '%s'\n\n",
		       c->cl.pos[0]);
	else
		printf("\nDomain '%s' state saved by wirtd\n\n", c->cl.pos[0]);
	json_object_put(r);
	return 0;
}

static const struct command {
	const char *name;
	int (*fn)(struct ctx *c);
	int npos; /* positional arguments required (-1: any number) */
	const char *flags; /* accepted flags, space separated */
	const char *help;
} commands[] = {
	{ "list", do_list, 0,
	  "all inactive name uuid id state-running state-paused state-shutoff state-other autostart no-autostart persistent transient",
	  "list domains" },
	{ "define", do_define, 1, "", "define a domain from an XML file" },
	{ "create", do_define, 1, "",
	  "create (start) a transient domain from an XML file" },
	{ "undefine", do_undefine, 1,
	  "remove-all-storage snapshots-metadata nvram keep-nvram",
	  "undefine a domain" },
	{ "start", do_start, 1, "console paused", "start a defined domain" },
	{ "shutdown", do_simple, 1, "",
	  "gracefully shut down a domain (ACPI)" },
	{ "reboot", do_simple, 1, "",
	  "reboot a domain (ACPI shutdown, then start)" },
	{ "reset", do_simple, 1, "", "reset a domain (hard)" },
	{ "destroy", do_simple, 1, "", "stop a domain at once" },
	{ "suspend", do_simple, 1, "", "pause a domain" },
	{ "resume", do_simple, 1, "", "resume a paused domain" },
	{ "dominfo", do_dominfo, 1, "", "domain information" },
	{ "domstate", do_domstate, 1, "reason", "domain state" },
	{ "domid", do_domfield, 1, "", "domain id" },
	{ "domname", do_domfield, 1, "", "domain name of an id or UUID" },
	{ "domuuid", do_domfield, 1, "", "domain UUID" },
	{ "dumpxml", do_dumpxml, 1, "inactive", "domain XML" },
	{ "edit", do_edit, 1, "", "edit the domain XML in $EDITOR" },
	{ "autostart", do_autostart, 1, "disable",
	  "autostart a domain at host boot" },
	{ "console", do_console_named, 1, "force safe",
	  "connect to the serial console" },
	{ "domstats", do_domstats, -1, "", "domain statistics" },
	{ "save", do_save, 2, "",
	  "save a running domain's state to a file (and stop it)" },
	{ "restore", do_restore, 1, "", "restore a domain saved with save" },
	{ "backup", do_backup, 1,
	  "to= bandwidth= incremental verify method= compress",
	  "copy every disk of a running domain as it is now (--to DIR, --incremental: only what changed since the last backup; --compress: compressed clusters; --verify: check the recorded chains; --method=lvm-snapshot: through LVM snapshots of its logical volumes)" },
	{ "backup-restore", do_backup_restore, 1, "from= disk= to=",
	  "put a disk back from a backup or an incremental chain (--from FILE; the domain shut off, or --to a new FILE)" },
	{ "backup-begin", do_backup_begin, 1, "backupxml= bandwidth=",
	  "start a backup job described by libvirt backup XML (push mode; without it, every disk in full)" },
	{ "backup-dumpxml", do_backup_dumpxml, 1, "",
	  "the backup XML of the domain's running backup job" },
	{ "backup-verify", do_backup_verify, 1, "",
	  "check every recorded backup chain of a domain (as backup --verify)" },
	{ "domjobinfo", do_domjobinfo, 1, "", "the domain's backup job" },
	{ "domjobabort", do_domjobabort, 1, "", "abort the domain's backup" },
	{ "managedsave", do_managedsave, 1, "",
	  "save a domain's state; its next start restores it" },
	{ "managedsave-remove", do_managedsave, 1, "",
	  "drop a domain's managed save" },
	{ "domblklist", do_domblklist, 1, "details",
	  "list the domain's disks" },
	{ "domiflist", do_domiflist, 1, "", "list the domain's interfaces" },
	{ "domifaddr", do_domifaddr, 1, "",
	  "the domain's addresses (its networks' DHCP leases)" },
	{ "domblkstat", do_domblkstat, 1, "", "disk counters" },
	{ "domifstat", do_domifstat, 2, "", "interface counters (a tap's)" },
	{ "dommemstat", do_dommemstat, 1, "", "memory statistics (balloon)" },
	{ "setmem", do_setmem, 2, "live current",
	  "set the balloon's target (KiB, or 512M)" },
	{ "change-media", do_change_media, 2,
	  "source= eject insert update force live config current",
	  "change-media DOMAIN sda [ISO] [--eject|--insert|--update]: the CD-ROM's medium (a running drive and the definition together)" },
	{ "net-list", do_net_list, 0,
	  "all inactive name uuid autostart no-autostart persistent transient",
	  "list networks" },
	{ "net-define", do_net_define, 1, "",
	  "define a network from an XML file" },
	{ "net-create", do_net_define, 1, "",
	  "create (start) a transient network from an XML file" },
	{ "net-undefine", do_net_simple, 1, "", "undefine a network" },
	{ "net-start", do_net_simple, 1, "", "start a defined network" },
	{ "net-destroy", do_net_simple, 1, "", "stop a network" },
	{ "net-autostart", do_net_simple, 1, "disable",
	  "start a network when wirtd starts" },
	{ "net-info", do_net_info, 1, "", "network information" },
	{ "net-dumpxml", do_net_dumpxml, 1, "", "network XML" },
	{ "net-edit", do_edit, 1, "", "edit the network XML in $EDITOR" },
	{ "net-update", do_net_update, 4, "live config current",
	  "net-update NET add|delete ip-dhcp-host XML: change DHCP hosts" },
	{ "net-dhcp-leases", do_net_dhcp_leases, 1,
	  "mac=", "the DHCP leases of a network (dnsmasq's lease file)" },
	{ "version", do_version, 0, "", "versions" },
	{ "uri", do_uri, 0, "", "the connection URI" },
	{ "hostname", do_hostname, 0, "", "the host's name" },
	{ "nodeinfo", do_nodeinfo, 0, "", "the host's CPUs and memory" },
	{ "install", do_install, 0,
	  "name= memory= vcpus= disk= network= kernel= initrd= cmdline= import cdrom= boot= noautoconsole graphics= os-variant= console= cloud-init=",
	  "virt-install: define and start a VM from options" },
	{ "clone", do_clone, 0, "original= name= file= auto-clone thin force",
	  "virt-clone: copy a domain (new UUID and MACs, disks copied or --thin overlays)" },
	{ "shutdown-all", do_shutdown_all, 0, "timeout= managedsave",
	  "ACPI shutdown of every guest, destroy after --timeout (default 300 s)" },
	/* storage pools and volumes (cmd-pool.c, cmd-vol.c) */
	{ "pool-list", do_pool_list, 0,
	  "all inactive details name autostart no-autostart persistent type=",
	  "list storage pools" },
	{ "pool-info", do_pool_info, 1, "", "storage pool information" },
	{ "pool-dumpxml", do_pool_dumpxml, 1, "inactive", "storage pool XML" },
	{ "pool-define", do_pool_define, 1, "",
	  "define a storage pool from an XML file" },
	{ "pool-define-as", do_pool_define_as, 1,
	  "name= type= target= source-dev= source-name=",
	  "define a storage pool: NAME dir --target DIR" },
	{ "pool-build", do_pool_simple, 1, "", "build a pool (mkdir)" },
	{ "pool-start", do_pool_simple, 1, "", "start a storage pool" },
	{ "pool-destroy", do_pool_simple, 1, "", "stop a storage pool" },
	{ "pool-undefine", do_pool_simple, 1, "", "undefine a storage pool" },
	{ "pool-refresh", do_pool_simple, 1, "", "refresh a storage pool" },
	{ "pool-autostart", do_pool_simple, 1, "disable",
	  "start a pool when wirtd starts" },
	{ "vol-list", do_vol_list, 1, "details", "list a pool's volumes" },
	{ "vol-info", do_vol_info, 1, "pool=", "volume information" },
	{ "vol-path", do_vol_path, 1, "pool=", "a volume's path" },
	{ "vol-dumpxml", do_vol_dumpxml, 1, "pool=", "volume XML" },
	{ "vol-create-as", do_vol_create_as, 2,
	  "format= backing-vol= backing-vol-format= allocation= prealloc-metadata",
	  "create a volume: POOL NAME SIZE [--format raw|qcow2]" },
	{ "vol-delete", do_vol_simple, 1, "pool=", "delete a volume" },
	{ "vol-wipe", do_vol_simple, 1,
	  "pool= algorithm=", "wipe a volume (zeroes)" },
	{ "vol-resize", do_vol_resize, 2, "pool= delta shrink allocate",
	  "resize a volume: VOL SIZE" },
	{ "vol-clone", do_vol_clone, 2, "pool=", "copy a volume: VOL NEWNAME" },
	{ "vol-upload", do_vol_upload, 2,
	  "pool= offset= length=", "upload a file into a volume: VOL FILE" },
	{ "vol-download", do_vol_download, 2,
	  "pool= offset= length=", "download a volume into a file: VOL FILE" },
	{ "snapshot-create-as", do_snapshot_create_as, 1,
	  "name= description= disk-only atomic",
	  "take a snapshot: DOMAIN [NAME [DESCRIPTION]]" },
	{ "snapshot-list", do_snapshot_list, 1, "parent tree name",
	  "list a domain's snapshots" },
	{ "snapshot-info", do_snapshot_info, 1, "snapshotname= current",
	  "snapshot information" },
	{ "snapshot-dumpxml", do_snapshot_dumpxml, 1, "", "snapshot XML" },
	{ "snapshot-current", do_snapshot_current, 1, "name",
	  "the current snapshot's XML (--name: its name)" },
	{ "snapshot-revert", do_snapshot_change, 1,
	  "snapshotname= current running paused",
	  "revert a domain to a snapshot" },
	{ "snapshot-delete", do_snapshot_change, 1, "snapshotname= current",
	  "delete a snapshot (its children keep the rest)" },
	{ "blockcommit", do_blockcommit, 2, "active pivot wait verbose",
	  "merge a running disk's overlay into its backing image: DOMAIN DISK --active [--pivot]" },
	{ "blockpull", do_blockpull, 2, "wait verbose",
	  "copy a running disk's backing data into its overlay: DOMAIN DISK" },
	{ "blockjob", do_blockjob, 2, "info abort pivot",
	  "a disk's block job: DOMAIN DISK [--info|--abort|--pivot]" },
};

/* first_arg_name - what virsh calls cmd's first positional argument. */
static const char *first_arg_name(const char *cmd)
{
	if (!strcmp(cmd, "define") || !strcmp(cmd, "create") ||
	    !strcmp(cmd, "pool-define"))
		return "file";
	if (!strcmp(cmd, "pool-define-as"))
		return "name";
	if (!strncmp(cmd, "pool-", 5) || !strcmp(cmd, "vol-list") ||
	    !strcmp(cmd, "vol-create-as"))
		return "pool";
	return strncmp(cmd, "vol-", 4) ? "domain" : "vol";
}

/* parse_cmdline - split argv into flags (--x) and positionals, checking
 * them against cmd. Returns 0 or 1 after printing virsh's error. */
static int parse_cmdline(const struct command *cmd, int argc, char **argv,
			 struct cmdline *cl)
{
	char want[256], key[200];
	int i;

	memset(cl, 0, sizeof(*cl));
	for (i = 0; i < argc; i++) {
		snprintf(want, sizeof(want), " %s ", cmd->flags);
		snprintf(key, sizeof(key), " %s= ", argv[i] + 2);
		if ((!strcmp(argv[i], "--domain") ||
		     !strcmp(argv[i], "--network") ||
		     !strcmp(argv[i], "--file")) &&
		    !strstr(want, key))
			continue; /* virsh's named form of the positional */
		if (!strncmp(argv[i], "--", 2)) {
			char *eq = strchr(argv[i], '=');

			snprintf(want, sizeof(want), " %s ", cmd->flags);
			snprintf(key, sizeof(key),
				 " %.*s= ", eq ? (int)(eq - argv[i] - 2) : 190,
				 argv[i] + 2);
			if (eq && argv[i][2] != '=' && strstr(want, key) &&
			    cl->nflags < FLAGS_MAX) { /* --name=value */
				*eq = '\0';
				cl->vals[cl->nflags] = eq + 1;
				cl->flags[cl->nflags++] = argv[i] + 2;
				continue;
			}
			if (argv[i][2] && strstr(want, key)) {
				if (i + 1 == argc || cl->nflags == FLAGS_MAX) {
					fprintf(stderr,
						"error: option %s needs a value\n",
						argv[i]);
					return 1;
				}
				cl->vals[cl->nflags] = argv[++i];
				cl->flags[cl->nflags++] = argv[i - 1] + 2;
				continue;
			}
			snprintf(key, sizeof(key), " %s ", argv[i] + 2);
			if (!argv[i][2] || !strstr(want, key) ||
			    cl->nflags == FLAGS_MAX) {
				fprintf(stderr,
					"error: command '%s' doesn't support option %s\n",
					cmd->name, argv[i]);
				return 1;
			}
			cl->flags[cl->nflags++] = argv[i] + 2;
		} else if (cl->npos < 4) {
			cl->pos[cl->npos++] = argv[i];
		}
	}
	if (cmd->npos >= 0 && cl->npos < cmd->npos) {
		fprintf(stderr, "error: command '%s' requires <%s> option\n",
			cmd->name, first_arg_name(cmd->name));
		return 1;
	}
	return 0;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: wirt [--root DIR | -c URI] [-r] COMMAND [ARGS]...\n\n"
		"virsh's commands against wirtd (socket /run/wirt/wirtd-sock, or\n"
		"DIR/run/wirtd-sock with --root DIR or $WIRT_ROOT; -r: read-only socket).\n\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "    %-12s %s\n", commands[i].name,
			commands[i].help);
}

/* socket_path - from --root / -c / $WIRT_ROOT, read-write or read-only. */
static int socket_path(char *out, size_t len, const char *root, const char *uri,
		       bool ro)
{
	const char *s = ro ? "wirtd-sock-ro" : "wirtd-sock";
	const char *q;

	if (uri && (q = strstr(uri, "?socket=")))
		return snprintf(out, len, "%s", q + 8) >= (int)len;
	if (uri && strcmp(uri, "wirt:///system")) {
		fprintf(stderr,
			"error: unsupported connection URI '%s' (use wirt:///system or wirt:///system?socket=PATH)\n",
			uri);
		return 1;
	}
	if (!root)
		root = getenv("WIRT_ROOT");
	if (root)
		return snprintf(out, len, "%s/run/%s", root, s) >= (int)len;
	return snprintf(out, len, "/run/wirt/%s", s) >= (int)len;
}

/* run - one command (argv[0] its name) on c's connection, opened on
 * first use at path. Returns its exit status. */
static int run(struct ctx *c, const char *path, int argc, char **argv)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, argv[0]))
			break;
	if (i == ARRAY_SIZE(commands)) {
		fprintf(stderr, "error: unknown command: '%s'\n", argv[0]);
		return 1;
	}
	c->cmd = commands[i].name;
	c->err[0] = '\0';
	if (parse_cmdline(&commands[i], argc - 1, argv + 1, &c->cl))
		return 1;
	if (c->sock < 0 && commands[i].fn != do_uri &&
	    commands[i].fn != do_hostname && commands[i].fn != do_nodeinfo) {
		c->sock = wc_connect(path, c->err, sizeof(c->err));
		if (c->sock < 0)
			return fail(c);
	}
	return commands[i].fn(c);
}

/* split - the words of line (single and double quotes group, a backslash
 * escapes), in place; at most max. Returns how many. */
static int split(char *line, char **w, int max)
{
	char *in = line, *out = line, q = 0;
	int n = 0;

	while (*in && n < max) {
		while (*in == ' ' || *in == '\t' || *in == '\n')
			in++;
		if (!*in)
			break;
		w[n++] = out;
		for (; *in && (q || (*in != ' ' && *in != '\t' && *in != '\n'));
		     in++) {
			if (q && *in == q)
				q = 0;
			else if (!q && (*in == '\'' || *in == '"'))
				q = *in;
			else if (*in == '\\' && in[1])
				*out++ = *++in;
			else
				*out++ = *in;
		}
		if (*in)
			in++;
		*out++ = '\0';
	}
	return n;
}

/* shell - virsh's interactive mode: a prompt, one command a line. */
static int shell(struct ctx *c, const char *path)
{
	bool tty = isatty(0);
	char *line = NULL, *w[64];
	size_t cap = 0;
	int n, rc = 0;

	if (tty)
		printf("Welcome to wirt, the virtualization interactive terminal.\n\n"
		       "Type:  'help' for help with commands\n"
		       "       'quit' to quit\n\n");
	for (;;) {
		if (tty) {
			printf("wirt # ");
			fflush(stdout);
		}
		if (getline(&line, &cap, stdin) < 0)
			break;
		n = split(line, w, 64);
		if (!n)
			continue;
		if (!strcmp(w[0], "quit") || !strcmp(w[0], "exit"))
			break;
		if (!strcmp(w[0], "help")) {
			usage(stdout);
			continue;
		}
		rc = run(c, path, n, w);
		fflush(stdout);
	}
	if (tty)
		putchar('\n');
	free(line);
	return rc;
}

int main(int argc, char **argv)
{
	const char *root = NULL, *uri = NULL;
	char path[4096];
	struct ctx c = { .sock = -1 };
	bool ro = false;
	int a = 1;

	setlocale(LC_CTYPE, "");
	wirt_set_progname("wirt");
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-r") || !strcmp(argv[a], "--readonly"))
			ro = true;
		else if ((!strcmp(argv[a], "--root")) && a + 1 < argc)
			root = argv[++a];
		else if ((!strcmp(argv[a], "-c") ||
			  !strcmp(argv[a], "--connect")) &&
			 a + 1 < argc)
			uri = argv[++a];
		else if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr,
				"error: unsupported option '%s'. See --help.\n",
				argv[a]);
			return 1;
		}
	}
	if (!uri && !root)
		uri = getenv("WIRT_DEFAULT_URI");
	c.uri = uri ? uri : "wirt:///system";
	if (socket_path(path, sizeof(path), root, uri, ro))
		return 1;
	if (a == argc)
		return shell(&c, path);
	return run(&c, path, argc - a, argv + a);
}
