// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * External snapshots of writable raw disks: qcow2 overlays and their
 * records in IMAGE.snapshots/ (the layout is in disk-layer.h). The block
 * library creates the overlays; disk_switch_layer() moves the running
 * disk onto one.
 */
#include "vmm/disk/disk-layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/blk.h"
#include "block/info.h"
#include "common/util.h"

#define LAYER_PREFIX "layer-"
#define LAYER_SUFFIX ".qcow2"
#define RECORD_SUFFIX ".layer"
#define MAX_LAYERS 1024

/* Put "path.snapshots[/name]" in out. Returns 0 or -ENAMETOOLONG. */
static int dir_path(const char *path, const char *name, char *out, size_t len)
{
	int n = name ? snprintf(out, len, "%s.snapshots/%s", path, name) :
		       snprintf(out, len, "%s.snapshots", path);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Put the record file of tag of d in out. Returns 0 or -ENAMETOOLONG. */
static int record_path(const struct disk *d, const char *tag, char *out,
		       size_t len)
{
	char name[NAME_MAX + 1];

	if (snprintf(name, sizeof(name), "%s" RECORD_SUFFIX, tag) >=
	    (int)sizeof(name))
		return -ENAMETOOLONG;
	return dir_path(d->opts.path, name, out, len);
}

/*
 * Read the one-line text file at path into a malloc'ed string without
 * its newline. Returns 0, -ENOENT when there is no such file, -EINVAL
 * when it is empty or too long, or another -errno.
 */
static int read_line(const char *path, char **out)
{
	char buf[PATH_MAX + 2];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!buf[0] || n >= (ssize_t)sizeof(buf) - 1)
		return -EINVAL;
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

/*
 * fsync the directory dir, so that the names created, renamed or removed
 * in it last. Returns 0, or -errno with why filled.
 */
static int sync_dir(const char *dir, char *err, size_t errlen)
{
	int r = blk_io_sync_dir(dir);

	if (r)
		snprintf(err, errlen, "cannot sync the directory '%s': %s", dir,
			 strerror(-r));
	return r;
}

/* sync_dir() of the directory of d's snapshot records and layers. */
static int sync_layer_dir(const struct disk *d, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	if (dir_path(d->opts.path, NULL, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	return sync_dir(dir, err, errlen);
}

/* sync_dir() of the directory that holds the file at path. */
static int sync_parent(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash)
		return sync_dir(".", err, errlen);
	if (slash == dir)
		slash[1] = 0;
	else
		*slash = 0;
	return sync_dir(dir, err, errlen);
}

/*
 * Write "text\n" to path.tmp and sync it, ready for put_line_commit().
 * Returns 0, or -errno with why filled.
 */
static int put_line_tmp(const char *path, const char *text, char *err,
			size_t errlen)
{
	char tmp[PATH_MAX];
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* whatever is at tmp (left by a crash, or a planted symbolic link)
	 * goes first: it is never followed or written through */
	blk_io_unlink(tmp);
	fd = blk_io_open(tmp,
			 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			 0600);
	if (fd < 0)
		r = fd;
	else if (write_full(fd, text, strlen(text)) < 0 ||
		 write_full(fd, "\n", 1) < 0 || blk_io_fsync(fd))
		r = errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	if (r) {
		snprintf(err, errlen, "cannot write '%s': %s", tmp,
			 strerror(-r));
		blk_io_unlink(tmp);
	}
	return r;
}

/*
 * Rename path.tmp to path (the caller syncs the directory when the
 * order of its renames matters). Returns 0, or -errno with why filled.
 */
static int put_line_commit(const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 8];

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!blk_io_rename(tmp, path))
		return 0;
	snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp, path,
		 strerror(errno));
	return -errno;
}

/* Remove path.tmp (a record never committed). */
static void put_line_drop(const char *path)
{
	char tmp[PATH_MAX + 8];

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	blk_io_unlink(tmp);
}

/* Write "text\n" to path atomically. Returns 0 or -errno with why. */
static int put_line(const char *path, const char *text, char *err,
		    size_t errlen)
{
	int r = put_line_tmp(path, text, err, errlen);

	return r ? r : put_line_commit(path, err, errlen);
}

int disk_layer_read_active(const char *path, char **out, char *err,
			   size_t errlen)
{
	char p[PATH_MAX];
	int r;

	*out = NULL;
	if (dir_path(path, "active", p, sizeof(p)))
		return 0;
	r = read_line(p, out);
	if (r == -ENOENT)
		return 0;
	if (r)
		snprintf(
			err, errlen,
			"disk '%s': cannot read its active overlay's name from '%s': %s (fix or remove that file)",
			path, p, strerror(-r));
	return r;
}

const char *disk_layer_unsupported(const struct disk *d)
{
	if (d->is_blkdev)
		return "it is a raw block device, and its snapshot overlays would need a directory beside it (use a qcow2 image)";
	if (d->size % 512)
		return "its size is not a multiple of 512 bytes, which qcow2 overlays need (resize it: wirt-img resize FILE SIZE)";
	return NULL;
}

bool disk_layer_has(const struct disk *d, const char *tag)
{
	char p[PATH_MAX];

	return !d->readonly && d->raw_base &&
	       !record_path(d, tag, p, sizeof(p)) && !access(p, F_OK);
}

/* Whether a and b are the same file. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/*
 * Pick the next layer file of d: the absolute directory's
 * layer-N.qcow2 with N from next-layer (or past every file there), not
 * an existing file; next-layer moves on. Returns 0, or -errno with why.
 */
static int next_layer(struct disk *d, char *out, size_t len, char *err,
		      size_t errlen)
{
	char dir[PATH_MAX], abs[PATH_MAX], p[PATH_MAX], num[24], *s = NULL;
	unsigned long n = 1, k;
	struct dirent *e;
	DIR *dh;

	dir_path(d->opts.path, NULL, dir, sizeof(dir));
	if (!realpath(dir, abs)) {
		snprintf(err, errlen, "cannot resolve '%s': %s", dir,
			 strerror(errno));
		return -errno;
	}
	dir_path(d->opts.path, "next-layer", p, sizeof(p));
	if (!read_line(p, &s))
		n = strtoul(s, NULL, 10);
	free(s);
	dh = opendir(abs);
	while (dh && (e = readdir(dh)))
		if (sscanf(e->d_name, LAYER_PREFIX "%lu", &k) == 1 && k >= n)
			n = k + 1;
	if (dh)
		closedir(dh);
	for (;; n++) {
		if (snprintf(out, len, "%s/" LAYER_PREFIX "%lu" LAYER_SUFFIX,
			     abs, n) >= (int)len) {
			snprintf(err, errlen, "the path of '%s' is too long",
				 abs);
			return -ENAMETOOLONG;
		}
		if (access(out, F_OK))
			break;
	}
	snprintf(num, sizeof(num), "%lu", n + 1);
	return put_line(p, num, err, errlen);
}

/*
 * Create a new overlay of d's size over the file at backing (format
 * fmt), as the next layer; its path goes to out. Returns 0, or -errno
 * with a reason naming the file in err.
 */
static int new_overlay(struct disk *d, const char *backing, enum blk_format fmt,
		       char *out, size_t len, char *err, size_t errlen)
{
	struct blk_create_opts co = { .size = d->size,
				      .backing_file = backing,
				      .backing_fmt = blk_format_name(fmt) };
	char dir[PATH_MAX];
	int r;

	dir_path(d->opts.path, NULL, dir, sizeof(dir));
	r = blk_io_mkdir(dir, 0700);
	if (r && r != -EEXIST) {
		snprintf(
			err, errlen,
			"'%s': cannot create '%s' for its snapshot overlays: %s (give this user write access to the image's directory)",
			d->opts.path, dir, strerror(-r));
		return r;
	}
	/*
	 * The directory's name must last before anything in it counts (also
	 * when it exists: a crash may have left it unsynced).
	 */
	r = sync_parent(dir, err, errlen);
	if (r)
		return r;
	r = next_layer(d, out, len, err, errlen);
	if (r)
		return r;
	r = blk_create(out, BLK_FMT_QCOW2, &co);
	if (r) {
		snprintf(err, errlen,
			 "'%s': cannot create the overlay '%s': %s",
			 d->opts.path, out, blk_last_error());
		blk_io_unlink(out);
		return r;
	}
	/* the overlay's name lasts before a record or 'active' names it */
	r = sync_dir(dir, err, errlen);
	if (r)
		blk_io_unlink(out);
	return r;
}

/*
 * The backing file of the qcow2 layer at path (resolved, malloc'ed) in
 * *out, NULL for none. Returns 0 or -errno.
 */
static int layer_parent(const char *path, char **out)
{
	struct blk_info i;
	struct blk *b;
	int r = blk_open(&b, path, BLK_FMT_QCOW2,
			 BLK_O_NO_BACKING | BLK_O_NO_REPAIR |
				 BLK_O_NO_PROBE_WARN);

	*out = NULL;
	if (r < 0)
		return r;
	blk_get_info(b, &i);
	if (i.full_backing)
		*out = strdup(i.full_backing);
	else if (i.backing_file)
		*out = strdup(i.backing_file);
	blk_info_free(&i);
	blk_close(b);
	return 0;
}

/* The layer files of one directory and which of them are needed. */
struct layer_set {
	unsigned int n;
	char *path[MAX_LAYERS]; /* realpath of each layer-N.qcow2 */
	bool needed[MAX_LAYERS];
};

/* Index of the layer that is file p in s, or -1. */
static int find_layer(const struct layer_set *s, const char *p)
{
	char r[PATH_MAX];
	unsigned int i;

	if (!realpath(p, r))
		return -1;
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->path[i], r))
			return i;
	return -1;
}

/*
 * Mark the layer at p and its backing chain (while it stays among s's
 * layers) needed. Returns 0, or -errno when a chain cannot be read (the
 * caller then deletes nothing).
 */
static int mark_chain(struct layer_set *s, const char *p)
{
	char *cur = strdup(p), *next;
	unsigned int depth;
	int i, r = 0;

	for (depth = 0; cur && depth <= s->n; depth++) {
		i = find_layer(s, cur);
		if (i < 0 || s->needed[i])
			break;
		s->needed[i] = true;
		r = layer_parent(s->path[i], &next);
		free(cur);
		cur = next;
		if (r)
			break;
	}
	free(cur);
	return r;
}

/*
 * Delete every layer file of d that neither the active overlay's chain,
 * an overlay prepared for a revert, nor any snapshot record needs. Any
 * doubt (a chain or record that cannot be read) deletes nothing.
 */
static void collect_layers(struct disk *d)
{
	struct layer_set *s = calloc(1, sizeof(*s));
	char dir[PATH_MAX], p[PATH_MAX + NAME_MAX + 2], *f;
	struct dirent *e;
	unsigned int i;
	size_t l;
	DIR *dh;
	int r = 0;

	dir_path(d->opts.path, NULL, dir, sizeof(dir));
	dh = opendir(dir);
	if (!s || !dh)
		goto out;
	while ((e = readdir(dh)) && s->n < MAX_LAYERS) {
		l = strlen(e->d_name);
		if (strncmp(e->d_name, LAYER_PREFIX, strlen(LAYER_PREFIX)) ||
		    l <= strlen(LAYER_SUFFIX) ||
		    strcmp(e->d_name + l - strlen(LAYER_SUFFIX), LAYER_SUFFIX))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		s->path[s->n] = realpath(p, NULL);
		if (s->path[s->n])
			s->n++;
	}
	if (d->active)
		r = mark_chain(s, d->active);
	if (!r && d->pending)
		r = mark_chain(s, d->pending);
	rewinddir(dh);
	while (!r && (e = readdir(dh))) {
		l = strlen(e->d_name);
		if (l <= strlen(RECORD_SUFFIX) ||
		    strcmp(e->d_name + l - strlen(RECORD_SUFFIX),
			   RECORD_SUFFIX))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		r = read_line(p, &f);
		if (r)
			break;
		r = mark_chain(s, f);
		free(f);
	}
	for (i = 0; !r && i < s->n; i++)
		if (!s->needed[i] && blk_io_unlink(s->path[i]))
			wirt_warn(
				"disk '%s': cannot delete the unused layer '%s': %s",
				d->opts.path, s->path[i], strerror(errno));
out:
	if (dh)
		closedir(dh);
	for (i = 0; s && i < s->n; i++)
		free(s->path[i]);
	free(s);
}

int disk_layer_create(struct disk *d, const char *tag, char *err, size_t errlen)
{
	char frozen[PATH_MAX], next[PATH_MAX], act[PATH_MAX], rec[PATH_MAX];
	const char *u = disk_layer_unsupported(d);
	int r;

	if (d->readonly)
		return 0;
	if (u) {
		snprintf(err, errlen, "'%s': %s", d->opts.path, u);
		return -ENOTSUP;
	}
	if (dir_path(d->opts.path, "active", act, sizeof(act)) ||
	    record_path(d, tag, rec, sizeof(rec))) {
		snprintf(err, errlen,
			 "'%s': its name is too long for snapshots",
			 d->opts.path);
		return -ENAMETOOLONG;
	}
	if (!realpath(disk_file(d), frozen)) {
		r = -errno;
		snprintf(err, errlen, "cannot resolve '%s': %s", disk_file(d),
			 strerror(errno));
		return r;
	}
	r = new_overlay(d, frozen, d->active ? BLK_FMT_QCOW2 : BLK_FMT_RAW,
			next, sizeof(next), err, errlen);
	if (r)
		return r;
	r = put_line_tmp(act, next, err, errlen);
	r = r ?: put_line_tmp(rec, frozen, err, errlen);
	r = r ?: disk_switch_layer(d, next, err, errlen);
	if (r) {
		put_line_drop(act);
		put_line_drop(rec);
		blk_io_unlink(next);
		return r;
	}
	/*
	 * The disk runs on next now: a restart must find it.  'active' lasts
	 * before the record does: a record naming the frozen layer while a
	 * restart would still write that layer would let the snapshot change.
	 */
	r = put_line_commit(act, err, errlen);
	r = r ?: sync_layer_dir(d, err, errlen);
	r = r ?: put_line_commit(rec, err, errlen);
	r = r ?: sync_layer_dir(d, err, errlen);
	if (!r)
		collect_layers(d); /* a replaced tag's layer may be free now */
	return r;
}

/*
 * The frozen layer of snapshot tag of d (malloc'ed) in *out. Returns 0,
 * or -errno with why.
 */
static int frozen_of(const struct disk *d, const char *tag, char **out,
		     char *err, size_t errlen)
{
	char rec[PATH_MAX];
	int r;

	*out = NULL;
	if (record_path(d, tag, rec, sizeof(rec)))
		return -ENAMETOOLONG;
	r = read_line(rec, out);
	if (r == -ENOENT)
		snprintf(err, errlen, "Snapshot '%s' does not exist in '%s'",
			 tag, d->opts.path);
	else if (r)
		snprintf(err, errlen, "cannot read '%s': %s", rec,
			 strerror(-r));
	else if (access(*out, R_OK)) {
		r = -errno;
		snprintf(
			err, errlen,
			"snapshot '%s' of '%s': its frozen layer '%s' is gone: %s (delete the snapshot with delvm)",
			tag, d->opts.path, *out, strerror(errno));
		free(*out);
		*out = NULL;
	}
	return r;
}

int disk_layer_prepare(struct disk *d, const char *tag, char *err,
		       size_t errlen)
{
	char next[PATH_MAX], *f;
	int r;

	if (d->readonly)
		return 0;
	disk_layer_unprepare(d);
	r = frozen_of(d, tag, &f, err, errlen);
	if (r)
		return r;
	r = new_overlay(
		d, f, same_file(f, d->opts.path) ? BLK_FMT_RAW : BLK_FMT_QCOW2,
		next, sizeof(next), err, errlen);
	free(f);
	if (r)
		return r;
	d->pending = strdup(next);
	if (!d->pending) {
		blk_io_unlink(next);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void disk_layer_unprepare(struct disk *d)
{
	if (!d->pending)
		return;
	blk_io_unlink(d->pending);
	free(d->pending);
	d->pending = NULL;
}

int disk_layer_apply(struct disk *d, const char *tag, char *err, size_t errlen)
{
	char act[PATH_MAX];
	int r;

	if (d->readonly)
		return 0;
	if (!d->pending) {
		r = disk_layer_prepare(d, tag, err, errlen);
		if (r)
			return r;
	}
	dir_path(d->opts.path, "active", act, sizeof(act));
	r = put_line_tmp(act, d->pending, err, errlen);
	r = r ?: disk_switch_layer(d, d->pending, err, errlen);
	if (r) {
		put_line_drop(act);
		disk_layer_unprepare(d);
		return r;
	}
	free(d->pending);
	d->pending = NULL;
	/* 'active' lasts before the layers it replaces are deleted */
	r = put_line_commit(act, err, errlen);
	r = r ?: sync_layer_dir(d, err, errlen);
	if (!r)
		collect_layers(d); /* the overlay left behind */
	return r;
}

int disk_layer_delete(struct disk *d, const char *tag, char *err, size_t errlen)
{
	char rec[PATH_MAX];
	int r;

	if (d->readonly || !d->raw_base ||
	    record_path(d, tag, rec, sizeof(rec)))
		return 0;
	r = blk_io_unlink(rec);
	if (r == -ENOENT)
		return 0;
	if (r) {
		snprintf(err, errlen, "cannot delete '%s': %s", rec,
			 strerror(-r));
		return r;
	}
	/* the record is gone for good before its layers are deleted */
	r = sync_layer_dir(d, err, errlen);
	if (!r)
		collect_layers(d);
	return r;
}

/* Order snapshots by date, then name. */
static int by_date(const void *a, const void *b)
{
	const struct disk_snap_info *x = a, *y = b;

	if (x->date_sec != y->date_sec)
		return x->date_sec < y->date_sec ? -1 : 1;
	if (x->date_nsec != y->date_nsec)
		return x->date_nsec < y->date_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

int disk_layer_list(const struct disk *d, struct disk_snap_info *out,
		    unsigned int max)
{
	char dir[PATH_MAX], p[PATH_MAX + NAME_MAX + 2];
	unsigned int n = 0;
	struct dirent *e;
	struct stat st;
	size_t l;
	DIR *dh;

	if (d->readonly || !d->raw_base)
		return 0;
	dir_path(d->opts.path, NULL, dir, sizeof(dir));
	dh = opendir(dir);
	while (dh && n < max && (e = readdir(dh))) {
		l = strlen(e->d_name);
		if (l <= strlen(RECORD_SUFFIX) ||
		    strcmp(e->d_name + l - strlen(RECORD_SUFFIX),
			   RECORD_SUFFIX) ||
		    l - strlen(RECORD_SUFFIX) >= sizeof(out[n].name))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(out[n].name, e->d_name, l - strlen(RECORD_SUFFIX));
		out[n].date_sec = st.st_mtim.tv_sec;
		out[n].date_nsec = st.st_mtim.tv_nsec;
		n++;
	}
	if (dh)
		closedir(dh);
	qsort(out, n, sizeof(*out), by_date);
	return n;
}
