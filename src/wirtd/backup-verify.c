// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backup --verify: every chain wirtd recorded for a domain's disks
 * (LIB/backups/.chains/NAME/DISK, the full backup first), each image
 * checked as qemu-img check does (the block library's check), each
 * incremental's backing file the link before it, the first link a full
 * backup; and the disk's dirty bitmap, which says whether the next
 * incremental backup can continue the chain. A chain with a missing,
 * unreadable, corrupt or misplaced link is broken.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "block/blk.h"
#include "block/info.h"
#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

/* Whether paths a and b name the same file. */
static bool same_file(const char *a, const char *b)
{
	struct stat x, y;

	if (!strcmp(a, b))
		return true;
	return !stat(a, &x) && !stat(b, &y) && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

/*
 * Check link i of chain l (prev: the link before it, NULL for the first)
 * into why (empty when sound) and note (harmless findings). Returns
 * whether it is an incremental (has a backing file).
 */
static bool check_link(const char *file, const char *prev, char *why,
		       size_t len, char *note, size_t nlen)
{
	struct blk_check_result cr;
	struct blk_info i = { 0 };
	struct stat st;
	struct blk *b;
	bool inc = false;

	why[0] = note[0] = '\0';
	if (stat(file, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, len, "missing");
		return prev;
	}
	if (blk_open(&b, file, BLK_FMT_QCOW2,
		     BLK_O_NO_BACKING | BLK_O_NO_REPAIR | BLK_O_CHECK |
			     BLK_O_NO_PROBE_WARN)) {
		snprintf(why, len, "not a readable qcow2 image: %s",
			 blk_last_error());
		return prev;
	}
	if (blk_check(b, BLK_REPAIR_NONE, &cr, NULL) < 0)
		snprintf(why, len, "check failed: %s", blk_last_error());
	else if (cr.corruptions || cr.check_errors)
		snprintf(
			why, len,
			"corrupt: check found %llu corruptions and %llu errors",
			(unsigned long long)cr.corruptions,
			(unsigned long long)cr.check_errors);
	else if (cr.leaks)
		snprintf(note, nlen, "%llu leaked clusters (harmless)",
			 (unsigned long long)cr.leaks);
	blk_get_info(b, &i);
	inc = i.backing_file;
	if (!why[0] && !prev && inc)
		snprintf(
			why, len,
			"the chain's first link is not a full backup: its backing file is '%s'",
			i.backing_file);
	else if (!why[0] && prev && !inc)
		snprintf(
			why, len,
			"has no backing file, where the chain has '%s' before it",
			prev);
	else if (!why[0] && prev &&
		 (!i.full_backing || !same_file(i.full_backing, prev)))
		snprintf(
			why, len,
			"its backing file is '%s', not the link before it, '%s'",
			i.backing_file, prev);
	blk_info_free(&i);
	blk_close(b);
	return inc;
}

/*
 * The chain recorded for name's disk, with the links below its first
 * one (a record from before wirtd kept whole chains) put in front.
 */
static int read_chain(const char *name, const char *disk, struct chain_list *l)
{
	struct chain_list w, all = { 0 };
	char ignore[256];
	unsigned int i;
	int r = chain_read(name, disk, l);

	if (r || !l->n || chain_walk(l->file[0], &w, ignore, sizeof(ignore)))
		return r;
	for (i = w.n; !r && i-- > 1;)
		r = chain_list_add(&all, w.file[i]);
	for (i = 0; !r && w.n > 1 && i < l->n; i++)
		r = chain_list_add(&all, l->file[i]);
	chain_list_free(&w);
	if (r || !all.n) {
		chain_list_free(&all);
		return r;
	}
	chain_list_free(l);
	*l = all;
	return 0;
}

/* The chain of name's disk, checked: {disk, links, broken}. */
static struct json_object *verify_chain(const char *name, const char *disk)
{
	struct json_object *o = json_object_new_object(),
			   *a = json_object_new_array(), *e;
	char why[PATH_MAX * 2 + 128], note[128], broken[PATH_MAX * 3] = "";
	struct chain_list l;
	unsigned int i;
	bool inc;
	int r = read_chain(name, disk, &l);

	json_object_object_add(o, "disk", json_object_new_string(disk));
	if (r || !l.n)
		snprintf(broken, sizeof(broken),
			 "its record cannot be read: %s",
			 r ? strerror(-r) : "empty");
	for (i = 0; !r && i < l.n; i++) {
		inc = check_link(l.file[i], i ? l.file[i - 1] : NULL, why,
				 sizeof(why), note, sizeof(note));
		e = json_object_new_object();
		json_object_object_add(e, "file",
				       json_object_new_string(l.file[i]));
		json_object_object_add(
			e, "kind",
			json_object_new_string(inc ? "incremental" : "full"));
		json_object_object_add(e, "problem",
				       json_object_new_string(why));
		json_object_object_add(e, "note", json_object_new_string(note));
		json_object_array_add(a, e);
		if (why[0] && !broken[0])
			snprintf(broken, sizeof(broken), "link %u '%s': %s",
				 i + 1, l.file[i], why);
	}
	if (!r)
		chain_list_free(&l);
	json_object_object_add(o, "links", a);
	json_object_object_add(o, "broken", json_object_new_string(broken));
	return o;
}

/*
 * The state of the dirty bitmap on the shut-off disk's image: 0 absent,
 * 1 usable, 2 inconsistent (in use: its writer was killed), -errno.
 */
static int bitmap_offline(const char *path)
{
	struct blk_bitmap_info *bl;
	struct blk *b;
	int n, i, st = 0;

	if (blk_open(&b, path, BLK_FMT_PROBE,
		     BLK_O_NO_BACKING | BLK_O_NO_PROBE_WARN | BLK_O_NO_REPAIR))
		return -EIO;
	n = blk_bitmap_list(b, &bl);
	for (i = 0; i < n; i++)
		if (!strcmp(bl[i].name, CHAIN_BITMAP))
			st = bl[i].flags & BLK_BM_IN_USE ? 2 : 1;
	if (n > 0)
		blk_bitmap_list_free(bl, n);
	blk_close(b);
	return n < 0 ? n : st;
}

/* What the disk's bitmap says about continuing its chain (vm locked). */
static const char *bitmap_says(struct vmrec *vm, const struct dom_def *d,
			       const char *disk)
{
	char err[256];
	unsigned int i;
	int st = -ENOENT;

	for (i = 0; i < d->ndisks; i++)
		if (!strcmp(d->disks[i].target, disk) && d->disks[i].source)
			break;
	if (i == d->ndisks)
		return "the domain has no disk of that name any more";
	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED)
		st = chain_bitmap_running(vm, disk, err, sizeof(err));
	else
		st = bitmap_offline(d->disks[i].source);
	switch (st) {
	case 1:
		return "consistent: the next --incremental continues this chain";
	case 2:
		return "inconsistent (wirt-vmm was stopped by force): the next backup will be full";
	case 0:
		return "absent (the disk was restored or replaced): the next backup will be full";
	default:
		return "cannot be read: the next backup will be full if it is not usable";
	}
}

/* The disks of name with a chain record, in *out (sorted). Count or -1. */
static int recorded_disks(const char *name, struct dirent ***out)
{
	char dir[PATH_MAX];
	int n;

	if (chain_dir(name, dir, sizeof(dir)))
		return -1;
	n = scandir(dir, out, NULL, alphasort);
	if (n < 0 && errno == ENOENT) {
		*out = NULL;
		return 0;
	}
	return n;
}

struct json_object *cmd_backup_verify(struct json_object *args,
				      struct cmd_ctx *c)
{
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o, *a, *ch;
	struct pool_disks *pd = NULL;
	char name[DOMAIN_NAME_MAX + 1];
	struct dirent **de = NULL;
	int i, n;

	if (!vm)
		return NULL;
	snprintf(name, sizeof(name), "%s", vm->name);
	n = recorded_disks(name, &de);
	if (n < 0 ||
	    pool_resolve_disks(domain_def(vm->def), &pd, c->err, c->errlen)) {
		if (n < 0)
			snprintf(
				c->err, c->errlen,
				"cannot read the backup records of domain '%s': %s",
				name, strerror(errno));
		pthread_mutex_unlock(&vm->lock);
		return NULL;
	}
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		if (de[i]->d_name[0] == '.' || strstr(de[i]->d_name, ".tmp"))
			continue;
		ch = json_object_new_object();
		json_object_object_add(
			ch, "bitmap",
			json_object_new_string(bitmap_says(
				vm, pd ? &pd->def : domain_def(vm->def),
				de[i]->d_name)));
		json_object_object_add(ch, "disk",
				       json_object_new_string(de[i]->d_name));
		json_object_array_add(a, ch);
	}
	pthread_mutex_unlock(&vm->lock);
	free(pd);
	for (i = 0; i < (int)json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i), *v, *k;

		json_object_object_get_ex(e, "disk", &k);
		v = verify_chain(name, json_object_get_string(k));
		json_object_object_foreach(v, key, val)
			json_object_object_add(e, key, json_object_get(val));
		json_object_put(v);
	}
	for (i = 0; i < n; i++)
		free(de[i]);
	free(de);
	o = json_object_new_object();
	json_object_object_add(o, "chains", a);
	return o;
}
