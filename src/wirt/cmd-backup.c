// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirt backup NAME [--to DIR] [--bandwidth MiB/s]: a point-in-time copy of every writable
 * disk of a running domain (wirtd waits for it); backup-begin NAME [XML]
 * and backup-dumpxml, libvirt's (push mode, the job left running);
 * domjobinfo and domjobabort for the backup while it runs.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "wirt/wirt.h"

/* --bandwidth MiB/s into a; 1 (a freed, c->err set) when it is bad. */
static int add_bandwidth(struct ctx *c, struct json_object *a)
{
	const char *s = value(c, "bandwidth");
	char *end;
	long long mib = s ? strtoll(s, &end, 10) : 0;

	if (!s)
		return 0;
	if (*end || mib < 0 || !*s) {
		json_object_put(a);
		snprintf(
			c->err, sizeof(c->err),
			"--bandwidth takes MiB/s, a whole number from 0 (no limit) up, not '%s'",
			s);
		return 1;
	}
	json_object_object_add(a, "bandwidth", json_object_new_int64(mib));
	return 0;
}

int do_backup(struct ctx *c)
{
	struct json_object *a = dom_args(c), *r, *files, *f;
	const char *to = value(c, "to");
	char dir[PATH_MAX];
	size_t i;

	if (flag(c, "verify")) {
		json_object_put(a);
		return do_backup_verify(c);
	}
	if (to) {
		if (to[0] != '/' && getcwd(dir, sizeof(dir)))
			snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir),
				 "/%s", to);
		else
			snprintf(dir, sizeof(dir), "%s", to);
		json_object_object_add(a, "to", json_object_new_string(dir));
	}
	if (add_bandwidth(c, a))
		return fail(c);
	if (flag(c, "incremental"))
		json_object_object_add(a, "incremental",
				       json_object_new_boolean(1));
	if (flag(c, "compress"))
		json_object_object_add(a, "compress",
				       json_object_new_boolean(1));
	if (value(c, "method"))
		json_object_object_add(
			a, "method",
			json_object_new_string(value(c, "method")));
	r = call(c, "backup", a, NULL);
	if (!r)
		return 1;
	json_object_object_get_ex(r, "files", &files);
	printf("Backup of domain '%s' complete in %.1f s; its disks were held for %.3f ms at the start\n",
	       c->cl.pos[0],
	       json_object_get_double(json_object_object_get(r, "seconds")),
	       num(r, "pause_us") / 1000.0);
	for (i = 0; i < json_object_array_length(files); i++) {
		f = json_object_array_get_idx(files, i);
		printf("  %-8s %s\n", str(f, "disk"), str(f, "file"));
	}
	for (i = 0; i < json_object_array_length(files); i++) {
		f = json_object_array_get_idx(files, i);
		if (!strcmp(str(f, "mode"), "incremental"))
			printf("Disk %s: incremental, over %s\n",
			       str(f, "disk"), str(f, "backing"));
		else if (*str(f, "note"))
			printf("Disk %s: %s\n", str(f, "disk"), str(f, "note"));
	}
	putchar('\n');
	json_object_put(r);
	return 0;
}

int do_backup_begin(struct ctx *c)
{
	const char *file = value(c, "backupxml") ?: c->cl.pos[1];
	struct json_object *a, *r;
	char *xml = NULL;

	if (file && !(xml = read_file_arg(c, file)))
		return fail(c);
	a = dom_args(c);
	if (xml)
		json_object_object_add(a, "xml", json_object_new_string(xml));
	free(xml);
	if (add_bandwidth(c, a))
		return fail(c);
	r = call(c, "backup_begin", a, NULL);
	if (!r)
		return 1;
	printf("Backup started\n\n");
	json_object_put(r);
	return 0;
}

int do_backup_dumpxml(struct ctx *c)
{
	struct json_object *r = call(c, "backup_dumpxml", dom_args(c), NULL);

	if (!r)
		return 1;
	printf("%s\n", str(r, "xml"));
	json_object_put(r);
	return 0;
}

/* Print one line of domjobinfo's table: a label and a byte count. */
static void size_line(const char *label, long long v)
{
	printf("%-17s %.3f MiB\n", label, (double)v / (1024.0 * 1024.0));
}

int do_domjobinfo(struct ctx *c)
{
	struct json_object *r = call(c, "domjobinfo", dom_args(c), NULL), *jobs;
	long long done = 0, total = 0;
	size_t i, active = 0;

	if (!r)
		return 1;
	json_object_object_get_ex(r, "jobs", &jobs);
	for (i = 0; i < json_object_array_length(jobs); i++) {
		struct json_object *j = json_object_array_get_idx(jobs, i);

		if (!strcmp(str(j, "status"), "concluded"))
			continue;
		active++;
		done += num(j, "current-progress");
		total += num(j, "total-progress");
	}
	if (!active) {
		printf("%-17s None\n\n", "Job type:");
		json_object_put(r);
		return 0;
	}
	printf("%-17s Unbounded\n%-17s Backup\n", "Job type:", "Operation:");
	size_line("Data processed:", done);
	size_line("Data remaining:", total - done);
	size_line("Data total:", total);
	putchar('\n');
	json_object_put(r);
	return 0;
}

int do_domjobabort(struct ctx *c)
{
	struct json_object *r = call(c, "domjobabort", dom_args(c), NULL);

	if (!r)
		return 1;
	json_object_put(r);
	return 0;
}
