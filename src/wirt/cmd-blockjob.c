// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virsh's block job commands: blockcommit DOMAIN DISK --active [--pivot]
 * [--wait] [--verbose], blockpull DOMAIN DISK [--wait] [--verbose],
 * blockjob DOMAIN DISK [--info] [--abort] [--pivot]. Progress lines are
 * virsh's ("\rActive Block Commit: [ 45 %]" on stderr).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "wirt/wirt.h"

#define POLL_MS 50

/* {"domain": DOMAIN, "disk": DISK} from the positional arguments. */
static struct json_object *disk_args(const struct ctx *c)
{
	struct json_object *a = dom_args(c);

	json_object_object_add(a, "disk", json_object_new_string(c->cl.pos[1]));
	return a;
}

/* virsh's progress line: remaining of total, 100 only when done. */
static void progress(const char *label, long long remaining, long long total)
{
	int p = 100;

	if (remaining > 0 && total > 0) {
		p = (int)(100.0 - remaining * 100.0 / total);
		if (p >= 100)
			p = 99;
	}
	fflush(stdout);
	fprintf(stderr, "\r%s: [%3d %%]", label, p);
	fflush(stderr);
}

/*
 * Poll the disk's job until it is ready (commit) or gone (pull),
 * printing progress with --verbose. Returns 0, or 1 after an error.
 */
static int wait_job(struct ctx *c, bool until_gone)
{
	struct json_object *r;
	bool done;

	for (;;) {
		r = call(c, "blockjob_info", disk_args(c), NULL);
		if (!r)
			return 1;
		done = until_gone ? !str(r, "type")[0] : yes(r, "ready");
		if (flag(c, "verbose") && str(r, "type")[0])
			progress(str(r, "type"), num(r, "end") - num(r, "cur"),
				 num(r, "end"));
		json_object_put(r);
		if (done)
			return 0;
		nanosleep(&(struct timespec){ 0, POLL_MS * 1000000L }, NULL);
	}
}

int do_blockcommit(struct ctx *c)
{
	struct json_object *a = disk_args(c), *r;
	bool pivot = flag(c, "pivot");

	json_object_object_add(a, "active",
			       json_object_new_boolean(flag(c, "active")));
	r = call(c, "blockcommit", a, NULL);
	if (!r)
		return 1;
	json_object_put(r);
	if (!pivot && !flag(c, "wait")) {
		printf("Active Block Commit started\n");
		return 0;
	}
	if (wait_job(c, false))
		return 1;
	if (flag(c, "verbose"))
		progress("Active Block Commit", 0, 1);
	if (!pivot) {
		printf("\nNow in synchronized phase\n");
		return 0;
	}
	r = call(c, "blockjob_pivot", disk_args(c), NULL);
	if (!r)
		return 1;
	json_object_put(r);
	printf("\nSuccessfully pivoted\n");
	return 0;
}

int do_blockpull(struct ctx *c)
{
	struct json_object *r = call(c, "blockpull", disk_args(c), NULL);

	if (!r)
		return 1;
	json_object_put(r);
	if (!flag(c, "wait")) {
		printf("Block Pull started\n");
		return 0;
	}
	if (wait_job(c, true))
		return 1;
	if (flag(c, "verbose"))
		progress("Block Pull", 0, 1);
	printf("\nPull complete\n");
	return 0;
}

int do_blockjob(struct ctx *c)
{
	struct json_object *r;
	const char *cmd = flag(c, "abort") ? "blockjob_abort" :
			  flag(c, "pivot") ? "blockjob_pivot" :
					     "blockjob_info";

	r = call(c, cmd, disk_args(c), NULL);
	if (!r)
		return 1;
	if (!strcmp(cmd, "blockjob_info")) {
		if (!str(r, "type")[0])
			printf("No current block job for %s\n", c->cl.pos[1]);
		else {
			progress(str(r, "type"), num(r, "end") - num(r, "cur"),
				 num(r, "end"));
			printf("\n");
		}
	}
	json_object_put(r);
	return 0;
}
