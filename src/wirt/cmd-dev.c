// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device commands, as virsh prints them: domblklist [--details],
 * domiflist, domblkstat, dommemstat, setmem, change-media.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirt/wirt.h"

int do_domblklist(struct ctx *c)
{
	static const char *const h2[] = { "Target", "Source" };
	static const char *const h4[] = { "Type", "Device", "Target",
					  "Source" };
	struct json_object *r = call(c, "devices", dom_args(c), NULL), *a, *d;
	bool details = flag(c, "details");
	struct table *t = table_new(details ? 4 : 2, details ? h4 : h2);
	size_t i;

	if (!r)
		return 1;
	json_object_object_get_ex(r, "disks", &a);
	for (i = 0; i < json_object_array_length(a); i++) {
		d = json_object_array_get_idx(a, i);
		const char *row[] = { str(d, "type"), str(d, "device"),
				      str(d, "target"), str(d, "source") };

		table_add(t, details ? row : row + 2);
	}
	table_print(t);
	putchar('\n');
	json_object_put(r);
	return 0;
}

int do_domiflist(struct ctx *c)
{
	static const char *const h[] = { "Interface", "Type", "Source", "Model",
					 "MAC" };
	struct json_object *r = call(c, "devices", dom_args(c), NULL), *a, *d;
	struct table *t = table_new(5, h);
	size_t i;

	if (!r)
		return 1;
	json_object_object_get_ex(r, "interfaces", &a);
	for (i = 0; i < json_object_array_length(a); i++) {
		d = json_object_array_get_idx(a, i);
		const char *row[] = { str(d, "interface"), str(d, "type"),
				      str(d, "source"), str(d, "model"),
				      str(d, "mac") };

		table_add(t, row);
	}
	table_print(t);
	putchar('\n');
	json_object_put(r);
	return 0;
}

int do_domblkstat(struct ctx *c)
{
	static const char *const keys[][2] = {
		{ "rd_req", "rd_operations" },
		{ "rd_bytes", "rd_bytes" },
		{ "wr_req", "wr_operations" },
		{ "wr_bytes", "wr_bytes" },
		{ "flush_operations", "flush_operations" },
		{ "rd_total_times", "rd_total_time_ns" },
		{ "wr_total_times", "wr_total_time_ns" },
		{ "flush_total_times", "flush_total_time_ns" },
	};
	struct json_object *r = call(c, "blockstats", dom_args(c), NULL), *a,
			   *d, *s;
	const char *dev = c->cl.npos > 1 ? c->cl.pos[1] : NULL;
	size_t i, k, shown = 0;

	if (!r)
		return 1;
	json_object_object_get_ex(r, "devices", &a);
	for (i = 0; i < json_object_array_length(a); i++) {
		d = json_object_array_get_idx(a, i);
		if ((dev && strcmp(dev, str(d, "device"))) ||
		    !json_object_object_get_ex(d, "stats", &s))
			continue;
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			printf("%s %s %lld\n", str(d, "device"), keys[k][0],
			       num(s, keys[k][1]));
		putchar('\n');
		shown++;
		if (!dev)
			break; /* virsh: the first disk when none is named */
	}
	json_object_put(r);
	if (!shown) {
		snprintf(c->err, sizeof(c->err),
			 "invalid argument: invalid path: %s",
			 dev ? dev : "(none)");
		return fail(c);
	}
	return 0;
}

int do_dommemstat(struct ctx *c)
{
	static const char *const keys[][2] = {
		{ "swap_in", "stat-swap-in" },
		{ "swap_out", "stat-swap-out" },
		{ "major_fault", "stat-major-faults" },
		{ "minor_fault", "stat-minor-faults" },
		{ "unused", "stat-free-memory" },
		{ "available", "stat-total-memory" },
		{ "usable", "stat-available-memory" },
		{ "disk_caches", "stat-disk-caches" },
		{ "hugetlb_pgalloc", "stat-htlb-pgalloc" },
		{ "hugetlb_pgfail", "stat-htlb-pgfail" },
	};
	struct json_object *r = call(c, "memstats", dom_args(c), NULL), *b,
			   *g = NULL, *s = NULL;
	size_t k;
	long long v;

	if (!r)
		return 1;
	json_object_object_get_ex(r, "balloon", &b);
	printf("actual %lld\n", num(b, "actual") / 1024);
	if (json_object_object_get_ex(r, "guest", &g))
		json_object_object_get_ex(g, "stats", &s);
	for (k = 0; s && k < ARRAY_SIZE(keys); k++) {
		v = num(s, keys[k][1]);
		/* a statistic the guest does not report is -1 (UINT64_MAX) */
		if (v < 0 || v == INT64_MAX)
			continue;
		/* counts stay counts; sizes go from bytes to KiB */
		if (k >= 4 && k <= 7)
			v /= 1024;
		printf("%s %lld\n", keys[k][0], v);
	}
	if (g)
		printf("last_update %lld\n", num(g, "last-update"));
	putchar('\n');
	json_object_put(r);
	return 0;
}

int do_setmem(struct ctx *c)
{
	struct json_object *a = dom_args(c), *r;
	uint64_t bytes;

	/* virsh's default unit for setmem is KiB */
	if (c->cl.npos < 2 || parse_size(c->cl.pos[1], &bytes)) {
		json_object_put(a);
		snprintf(
			c->err, sizeof(c->err),
			"memory size must be a number, e.g. 524288 (KiB) or 512M");
		return fail(c);
	}
	if (strspn(c->cl.pos[1], "0123456789") == strlen(c->cl.pos[1]))
		bytes *= 1024;
	json_object_object_add(a, "kib", json_object_new_int64(bytes / 1024));
	r = call(c, "setmem", a, NULL);
	if (!r)
		return 1;
	putchar('\n');
	json_object_put(r);
	return 0;
}

/*
 * change-media DOMAIN PATH [SOURCE] [--eject|--insert|--update]: the CD-ROM
 * drive's medium (PATH: its target or image). Without an action, a
 * SOURCE replaces the medium and none ejects it, as virsh does.
 */
int do_change_media(struct ctx *c)
{
	static const char *const acts[] = { "eject", "insert", "update" };
	static const char *const done[] = { "ejected", "inserted", "updated" };
	const char *src =
		value(c, "source") ?: (c->cl.npos > 2 ? c->cl.pos[2] : NULL);
	struct json_object *a = dom_args(c), *r;
	int i, act = -1;

	for (i = 0; i < 3; i++)
		if (flag(c, acts[i]))
			act = act < 0 ? i : 3;
	if (act == 3) {
		json_object_put(a);
		snprintf(
			c->err, sizeof(c->err),
			"--eject, --insert and --update are exclusive: give one");
		return fail(c);
	}
	if (act < 0)
		act = src ? 2 : 0;
	json_object_object_add(a, "path", json_object_new_string(c->cl.pos[1]));
	if (src)
		json_object_object_add(a, "source",
				       json_object_new_string(src));
	json_object_object_add(a, "action", json_object_new_string(acts[act]));
	json_object_object_add(a, "force",
			       json_object_new_boolean(flag(c, "force")));
	json_object_object_add(
		a, "live",
		json_object_new_boolean(flag(c, "live") && !flag(c, "config")));
	r = call(c, "change_media", a, NULL);
	if (!r)
		return 1;
	json_object_put(r);
	printf("Successfully %s media.\n\n", done[act]);
	return 0;
}

/* edit_once - run the editor on path; returns its exit status. */
static int edit_once(const char *path)
{
	const char *ed = getenv("VISUAL");
	char *cmd;
	int r;

	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	if (asprintf(&cmd, "%s '%s'", ed, path) < 0)
		return -1;
	r = system(cmd);
	free(cmd);
	return r;
}

/* write_tmp - text into a new temporary file; its path in buf. */
static int write_tmp(const char *text, char *buf, size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(buf, len, "%s/wirt-edit.XXXXXX.xml",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemps(buf, 4);
	if (fd < 0)
		return -1;
	if (write_full(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(buf);
		return -1;
	}
	close(fd);
	return 0;
}

/* slurp - the whole file, malloc'd, or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f && getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

/*
 * do_edit - virsh's edit: the definition in $VISUAL/$EDITOR on a
 * temporary copy, defined again when changed; on an error the question
 * "Failed. Try again? [y,n]" (y edits the same copy again). As net-edit,
 * the same for a network.
 */
int do_edit(struct ctx *c)
{
	bool net = !strcmp(c->cmd, "net-edit");
	const char *what = net ? "Network" : "Domain";
	struct json_object *r, *a;
	char path[4096], *orig, *now = NULL, ans[16];
	int rc = 1;

	a = dom_args(c);
	if (net) {
		json_object_object_add(a, "network",
				       json_object_new_string(c->cl.pos[0]));
		json_object_object_del(a, "domain");
	}
	r = call(c, net ? "net_dumpxml" : "dumpxml", a, NULL);

	if (!r)
		return 1;
	orig = strdup(str(r, "xml"));
	json_object_put(r);
	if (!orig || write_tmp(orig, path, sizeof(path))) {
		snprintf(c->err, sizeof(c->err),
			 "cannot write a temporary copy of the definition");
		free(orig);
		return fail(c);
	}
	for (;;) {
		free(now);
		now = edit_once(path) == 0 ? slurp(path) : NULL;
		if (!now) {
			snprintf(
				c->err, sizeof(c->err),
				"the editor failed; the definition is unchanged");
			fail(c);
			break;
		}
		if (!strcmp(now, orig)) {
			printf(net ? "%s %s XML configuration not changed.\n\n" :
				     "%s '%s' XML configuration not changed.\n\n",
			       what, c->cl.pos[0]);
			rc = 0;
			break;
		}
		a = json_object_new_object();
		json_object_object_add(a, "xml", json_object_new_string(now));
		json_object_object_add(a, "origin",
				       json_object_new_string(path));
		r = wc_call(c->sock, net ? "net_define" : "define", a, NULL,
			    c->err, sizeof(c->err));
		if (r) {
			printf(net ? "%s %s XML configuration edited.\n\n" :
				     "%s '%s' XML configuration edited.\n\n",
			       what, str(r, "name"));
			json_object_put(r);
			rc = 0;
			break;
		}
		fprintf(stderr,
			"error: %s\nFailed. Try again? [y,n]: ", c->err);
		fflush(stderr);
		if (!fgets(ans, sizeof(ans), stdin) || ans[0] != 'y')
			break;
	}
	unlink(path);
	free(orig);
	free(now);
	return rc;
}

int do_domifstat(struct ctx *c)
{
	static const char *const keys[][2] = {
		{ "rx_bytes", "rx.bytes" }, { "rx_packets", "rx.pkts" },
		{ "rx_errs", "rx.errs" },   { "rx_drop", "rx.drop" },
		{ "tx_bytes", "tx.bytes" }, { "tx_packets", "tx.pkts" },
		{ "tx_errs", "tx.errs" },   { "tx_drop", "tx.drop" },
	};
	struct json_object *a = dom_args(c), *r;
	size_t k;

	json_object_object_add(a, "interface",
			       json_object_new_string(c->cl.pos[1]));
	r = call(c, "ifstats", a, NULL);
	if (!r)
		return 1;
	for (k = 0; k < ARRAY_SIZE(keys); k++)
		printf("%s %s %lld\n", str(r, "interface"), keys[k][0],
		       num(r, keys[k][1]));
	putchar('\n');
	json_object_put(r);
	return 0;
}
