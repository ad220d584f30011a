// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Chains of incremental backups, per disk of a domain: wirt-vmm's
 * persistent dirty bitmap "wirt-backup" in the disk's qcow2 image holds
 * what the guest wrote since the last backup (every backup of the disk
 * takes and empties it at its instant), and LIB/backups/.chains/NAME/DISK
 * records the files of its chain, one a line, the full backup first and
 * the last backup last. An incremental backup is a qcow2
 * file over that one holding only the clusters the bitmap marks. Whenever
 * the chain cannot be trusted (no bitmap yet, one wirt-vmm could not save
 * because it was killed, no record, the recorded file gone) the backup is
 * a full one, and the reason is given to the user.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/tmpfile.h"
#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/wirtd.h"

/* The record file of domain name's disk into buf; 0 or -ENAMETOOLONG. */
static int record_path(char *buf, size_t len, const char *name,
		       const char *disk, char *dir, size_t dirlen)
{
	char base[PATH_MAX];

	if (path_of(base, sizeof(base), W->paths.lib, "backups", "") ||
	    snprintf(dir, dirlen, "%s/.chains/%s", base, name) >= (int)dirlen ||
	    path_of(buf, len, dir, disk, ""))
		return -ENAMETOOLONG;
	return 0;
}

/* The recorded last backup of name's disk (the record's last line) into
 * buf, "" when none. */
static void read_record(const char *name, const char *disk, char *buf,
			size_t len)
{
	struct chain_list l;
	int r = chain_read(name, disk, &l);

	buf[0] = '\0';
	if (r < 0 || !l.n) {
		if (r >= 0)
			chain_list_free(&l);
		return;
	}
	snprintf(buf, len, "%s", l.file[l.n - 1]);
	chain_list_free(&l);
}

int chain_list_add(struct chain_list *l, const char *file)
{
	char **f;

	if (l->n >= CHAIN_LINKS_MAX)
		return -E2BIG;
	f = realloc(l->file, (l->n + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	l->file = f;
	f[l->n] = strdup(file);
	if (!f[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

void chain_list_free(struct chain_list *l)
{
	while (l->n)
		free(l->file[--l->n]);
	free(l->file);
	l->file = NULL;
}

int chain_read(const char *name, const char *disk, struct chain_list *l)
{
	char path[PATH_MAX], dir[PATH_MAX], line[PATH_MAX + 2];
	FILE *f;
	int r = 0;

	memset(l, 0, sizeof(*l));
	if (record_path(path, sizeof(path), name, disk, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!r && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '/')
			r = chain_list_add(l, line);
	}
	fclose(f);
	if (r)
		chain_list_free(l);
	return r;
}

/* The lines of the new record: the chain so far when append, then file. */
static int write_record(int fd, const char *name, const char *disk,
			const char *file, bool append)
{
	struct chain_list l = { 0 };
	unsigned int i;
	int r = 0;

	if (append && chain_read(name, disk, &l))
		memset(&l, 0, sizeof(l));
	for (i = 0; !r && i < l.n; i++)
		if (strcmp(l.file[i], file) &&
		    dprintf(fd, "%s\n", l.file[i]) < 0)
			r = -errno;
	chain_list_free(&l);
	if (!r && dprintf(fd, "%s\n", file) < 0)
		r = -errno;
	return r;
}

int chain_record(const char *name, const char *disk, const char *file,
		 bool append)
{
	char path[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, r;

	r = record_path(path, sizeof(path), name, disk, dir, sizeof(dir));
	if (!r)
		r = mkdirs(dir, 0700);
	if (r)
		return r;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = tmpfile_create(tmp, 0600);
	if (fd < 0)
		return fd;
	r = write_record(fd, name, disk, file, append);
	if (!r && fsync(fd))
		r = -errno;
	close(fd);
	return r ? r : tmpfile_commit(tmp, path);
}

/* Disk's entry in query-block's reply r, or NULL. */
static struct json_object *find_dev(struct json_object *r, const char *disk)
{
	struct json_object *e, *v;
	size_t i;

	for (i = 0; i < json_object_array_length(r); i++) {
		e = json_object_array_get_idx(r, i);
		if (json_object_object_get_ex(e, "device", &v) &&
		    !strcmp(json_object_get_string(v), disk) &&
		    json_object_object_get_ex(e, "inserted", &v))
			return v;
	}
	return NULL;
}

/* The state of CHAIN_BITMAP in inserted: 0 absent, 1 usable, 2 not. */
static int bitmap_state(struct json_object *inserted)
{
	struct json_object *bms, *b, *v;
	size_t i;

	if (!json_object_object_get_ex(inserted, "dirty-bitmaps", &bms))
		return 0;
	for (i = 0; i < json_object_array_length(bms); i++) {
		b = json_object_array_get_idx(bms, i);
		if (!json_object_object_get_ex(b, "name", &v) ||
		    strcmp(json_object_get_string(v), CHAIN_BITMAP))
			continue;
		return json_object_object_get_ex(b, "inconsistent", &v) &&
				       json_object_get_boolean(v) ?
			       2 :
			       1;
	}
	return 0;
}

int chain_bitmap_running(struct vmrec *vm, const char *disk, char *err,
			 size_t errlen)
{
	struct json_object *r = NULL, *ins;
	int e = vm_qmp(vm, "query-block", NULL, &r, err, errlen);

	if (e)
		return e;
	ins = find_dev(r, disk);
	e = ins ? bitmap_state(ins) : -ENOENT;
	json_object_put(r);
	return e;
}

int chain_dir(const char *name, char *dir, size_t len)
{
	char path[PATH_MAX];

	return record_path(path, sizeof(path), name, "x", dir, len);
}

/* QMP block-dirty-bitmap-CMD of CHAIN_BITMAP on disk; 0 or -errno. */
static int bitmap_cmd(struct vmrec *vm, const char *cmd, const char *disk,
		      char *err, size_t errlen)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "node", json_object_new_string(disk));
	json_object_object_add(a, "name", json_object_new_string(CHAIN_BITMAP));
	if (!strcmp(cmd, "block-dirty-bitmap-add"))
		json_object_object_add(a, "persistent",
				       json_object_new_boolean(1));
	return vm_qmp(vm, cmd, a, NULL, err, errlen);
}

/*
 * With the disk's bitmap in state st (bitmap_state), ready it for a
 * backup and choose the mode into ch. 0 or -errno with err set.
 */
static int choose(struct vmrec *vm, const char *disk, int st, bool want_inc,
		  struct chain *ch, char *err, size_t errlen)
{
	struct stat sb;
	int r = 0;

	ch->mode = CHAIN_FULL;
	if (st == 2)
		r = bitmap_cmd(vm, "block-dirty-bitmap-remove", disk, err,
			       errlen);
	if (!r && st != 1)
		r = bitmap_cmd(vm, "block-dirty-bitmap-add", disk, err, errlen);
	if (r || !want_inc)
		return r;
	if (st == 2) {
		snprintf(
			ch->note, sizeof(ch->note),
			"full: its dirty bitmap was not saved (wirt-vmm was stopped by force), a new chain starts");
		return 0;
	}
	read_record(vm->name, disk, ch->backing, sizeof(ch->backing));
	if (st == 0 || !ch->backing[0])
		snprintf(
			ch->note, sizeof(ch->note),
			"full: no previous backup of it with a dirty bitmap, a new chain starts");
	else if (stat(ch->backing, &sb) || !S_ISREG(sb.st_mode))
		snprintf(
			ch->note, sizeof(ch->note),
			"full: its previous backup '%.96s' is gone, a new chain starts",
			ch->backing);
	else
		ch->mode = CHAIN_INC;
	return 0;
}

int chain_prepare(struct vmrec *vm, const char *disk, bool want_inc,
		  struct chain *ch, char *err, size_t errlen)
{
	struct json_object *r = NULL, *ins, *drv;
	int e;

	memset(ch, 0, sizeof(*ch));
	e = vm_qmp(vm, "query-block", NULL, &r, err, errlen);
	if (e)
		return e;
	ins = find_dev(r, disk);
	if (!ins || !json_object_object_get_ex(ins, "drv", &drv) ||
	    strcmp(json_object_get_string(drv), "qcow2")) {
		ch->mode = CHAIN_NONE;
		if (want_inc)
			snprintf(
				ch->note, sizeof(ch->note),
				"full: a raw disk has no dirty bitmap (incremental backups need qcow2)");
		json_object_put(r);
		return 0;
	}
	e = choose(vm, disk, bitmap_state(ins), want_inc, ch, err, errlen);
	json_object_put(r);
	return e;
}
