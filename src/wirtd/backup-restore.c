// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backup-restore: a disk of a domain put back as it was at the instant
 * of one backup, full or the top of an incremental chain (each
 * incremental is a qcow2 overlay whose backing file is the previous
 * backup). The chain is read through the block library and written
 * flat, in the disk's format, into a temporary file beside the target,
 * synced, then renamed over it: the live disk is never half restored.
 * Over the live disk only while the domain is shut off; --to FILE (a new
 * file) at any time.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "block/blk.h"
#include "common/tmpfile.h"
#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

/* What one restore works on. */
struct restore {
	const char *from; /* the backup (top of its chain) */
	char disk[32]; /* target name, "vda" */
	char live[PATH_MAX]; /* the disk's image */
	char dest[PATH_MAX]; /* what is written: live or --to */
	bool over_live; /* dest is the live disk */
	enum blk_format fmt; /* of dest */
	unsigned int links; /* images in the chain */
	uint64_t size;
};

/* The disk named by wirt backup's file name NAME-DISK-STAMP.qcow2 into
 * disk, "" when from does not look like one of name's backups. */
static void disk_of_file(const char *from, const char *name, char *disk,
			 size_t len)
{
	const char *base = strrchr(from, '/') ? strrchr(from, '/') + 1 : from;
	size_t n = strlen(name);
	const char *end;

	disk[0] = '\0';
	if (strncmp(base, name, n) || base[n] != '-')
		return;
	base += n + 1;
	end = strchr(base, '-');
	if (end && (size_t)(end - base) < len)
		snprintf(disk, len, "%.*s", (int)(end - base), base);
}

/*
 * Choose the disk of def to restore (want, else the one the backup's
 * file name names, else the only writable one) into rs. 0 or -1 (err).
 */
static int pick_disk(const struct dom_def *d, const char *name,
		     const char *want, struct restore *rs, struct cmd_ctx *c)
{
	const struct dom_disk *k, *only = NULL;
	char named[32];
	unsigned int i, n = 0;

	disk_of_file(rs->from, name, named, sizeof(named));
	if (want && named[0] && strcmp(want, named))
		return err_set(
			c->err, c->errlen, -1,
			"backup '%s' is of disk '%s' of domain '%s', not of disk '%s'",
			rs->from, named, name, want);
	for (i = 0; i < d->ndisks; i++) {
		k = &d->disks[i];
		if (k->readonly || k->device != DOM_DEV_DISK || !k->source)
			continue;
		n++;
		only = n == 1 ? k : NULL;
		if (!strcmp(k->target, want ? want : named))
			break;
	}
	if (i < d->ndisks)
		k = &d->disks[i];
	else if (!want && !named[0] && only)
		k = only;
	else if (want || named[0])
		return err_set(c->err, c->errlen, -1,
			       "domain '%s' has no writable disk '%s'", name,
			       want ? want : named);
	else
		return err_set(
			c->err, c->errlen, -1,
			"domain '%s' has %u writable disks: say which one with --disk",
			name, n);
	snprintf(rs->disk, sizeof(rs->disk), "%s", k->target);
	snprintf(rs->live, sizeof(rs->live), "%s", k->source);
	rs->fmt = k->format == DOM_FMT_RAW   ? BLK_FMT_RAW :
		  k->format == DOM_FMT_QCOW2 ? BLK_FMT_QCOW2 :
					       BLK_FMT_PROBE;
	return 0;
}

/*
 * Where to write (rs->dest) and whether the domain allows it now: over
 * the live disk only when it is shut off with no saved state; a --to file
 * must be new. 0 or -1 (err).
 */
static int check_dest(struct vmrec *vm, const char *to, struct restore *rs,
		      struct cmd_ctx *c)
{
	struct stat st, lst;
	bool live = !to;

	if (to && to[0] != '/')
		return err_set(
			c->err, c->errlen, -1,
			"give the file to restore into (--to) as an absolute path");
	if (to && !stat(to, &st) && !stat(rs->live, &lst) &&
	    st.st_dev == lst.st_dev && st.st_ino == lst.st_ino)
		live = true;
	else if (to && !lstat(to, &st))
		return err_set(
			c->err, c->errlen, -1,
			"'%s' exists already: restore into a new file, or leave out --to to restore disk '%s' itself",
			to, rs->disk);
	snprintf(rs->dest, sizeof(rs->dest), "%s", live ? rs->live : to);
	rs->over_live = live;
	if (rs->fmt == BLK_FMT_PROBE) {
		int fd = open(rs->live, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || blk_probe_fd(fd, &rs->fmt))
			rs->fmt = BLK_FMT_PROBE;
		if (fd >= 0)
			close(fd);
	}
	if (!live)
		return 0;
	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED ||
	    vm->state == VM_SHUTDOWN)
		return err_set(
			c->err, c->errlen, -1,
			"Requested operation is not valid: domain '%s' is running; shut it down before restoring disk '%s' (or restore into another file with --to)",
			vm->name, rs->disk);
	if (vm->incoming[0])
		return err_set(
			c->err, c->errlen, -1,
			"domain '%s' has a saved state that expects its disks as they are: remove it with managedsave-remove before restoring disk '%s'",
			vm->name, rs->disk);
	if (stat(rs->live, &st) || !S_ISREG(st.st_mode))
		return err_set(
			c->err, c->errlen, -1,
			"disk '%s' ('%s') is not a regular file: restore into a file with --to, then copy it over the device",
			rs->disk, rs->live);
	return 0;
}

/*
 * The chain under rs->from, flat, into the new image tmp (rs->fmt, raw
 * when unknown), synced to disk. 0 or -errno with err set.
 */
static int write_image(struct restore *rs, const char *tmp, char *err,
		       size_t errlen)
{
	struct blk_create_opts o = { 0 };
	struct blk *in, *out = NULL;
	int r, fd;

	if (rs->fmt == BLK_FMT_PROBE)
		rs->fmt = BLK_FMT_RAW;
	r = blk_open(&in, rs->from, BLK_FMT_QCOW2, BLK_O_NO_PROBE_WARN);
	if (r)
		return err_set(err, errlen, r, "cannot read backup '%s': %s",
			       rs->from, blk_last_error());
	o.size = rs->size = blk_getlength(in);
	r = blk_create(tmp, rs->fmt, &o);
	if (!r)
		r = blk_open(&out, tmp, rs->fmt, BLK_O_RDWR);
	if (!r)
		r = volblk_copy_data(in, out,
				     VOLBLK_SKIP_ZERO); /* out is new */
	if (r)
		err_set(err, errlen, r,
			"cannot write the restored image '%s': %s", tmp,
			blk_last_error()[0] ? blk_last_error() : strerror(-r));
	if (out && blk_close(out) && !r)
		r = err_set(err, errlen, -EIO, "cannot flush '%s': %s", tmp,
			    blk_last_error());
	blk_close(in);
	fd = r ? -1 : open(tmp, O_RDONLY | O_CLOEXEC);
	if (!r && (fd < 0 || fsync(fd)))
		r = err_set(err, errlen, -errno, "cannot sync '%s': %s", tmp,
			    strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * Restore rs: a temporary file beside rs->dest written, synced, given
 * the owner and mode of the file it replaces (a new --to file: those of
 * the disk), renamed over it. 0 or -1 (err set).
 */
static int restore_into(struct restore *rs, struct cmd_ctx *c)
{
	char tmp[PATH_MAX + 32], dcopy[PATH_MAX];
	struct stat st;
	bool had = !stat(rs->dest, &st) || !stat(rs->live, &st);
	int fd, r;

	snprintf(dcopy, sizeof(dcopy), "%s", rs->dest);
	if (!strrchr(rs->dest, '/'))
		return err_set(c->err, c->errlen, -1,
			       "'%s' is not an absolute path", rs->dest);
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.restore", dirname(dcopy),
		     strrchr(rs->dest, '/') + 1) >= (int)sizeof(tmp))
		return err_set(c->err, c->errlen, -1, "'%s': name too long",
			       rs->dest);
	fd = tmpfile_create(tmp, 0600);
	if (fd < 0)
		return err_set(c->err, c->errlen, -1,
			       "cannot create '%s' to restore disk '%s': %s",
			       tmp, rs->disk, strerror(-fd));
	close(fd);
	r = write_image(rs, tmp, c->err, c->errlen);
	if (!r && had &&
	    ((chown(tmp, st.st_uid, st.st_gid) && geteuid() == 0) ||
	     chmod(tmp, st.st_mode & 07777)))
		r = err_set(c->err, c->errlen, -errno,
			    "cannot give '%s' the owner and mode of '%s': %s",
			    tmp, rs->dest, strerror(errno));
	if (!r) {
		r = tmpfile_commit(tmp, rs->dest);
		if (r)
			err_set(c->err, c->errlen, r,
				"cannot rename '%s' to '%s': %s", tmp, rs->dest,
				strerror(-r));
	}
	if (r)
		unlink(tmp);
	return r ? -1 : 0;
}

/* The reply: what was restored from what, into where. */
static struct json_object *result(const struct restore *rs)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "disk", json_object_new_string(rs->disk));
	json_object_object_add(o, "file", json_object_new_string(rs->dest));
	json_object_object_add(o, "from", json_object_new_string(rs->from));
	json_object_object_add(o, "links", json_object_new_int(rs->links));
	json_object_object_add(
		o, "format", json_object_new_string(blk_format_name(rs->fmt)));
	json_object_object_add(o, "bytes", json_object_new_int64(rs->size));
	return o;
}

struct json_object *cmd_backup_restore(struct json_object *args,
				       struct cmd_ctx *c)
{
	struct restore rs = { .from = arg_str(args, "from") };
	struct vmrec *vm = lock_vm(args, c);
	struct pool_disks *pd = NULL;
	const struct dom_def *d;
	struct json_object *o = NULL;
	struct chain_list l;
	int r;

	if (!vm)
		return NULL;
	d = domain_def(vm->def);
	r = rs.from && rs.from[0] == '/' ?
		    0 :
		    err_set(c->err, c->errlen, -1,
			    "give the backup to restore from (--from) as an absolute path");
	if (!r && access(rs.from, F_OK))
		r = err_set(
			c->err, c->errlen, -1,
			"backup '%s' not found (give the file of a backup, as wirt backup printed it)",
			rs.from);
	if (!r)
		r = pool_resolve_disks(d, &pd, c->err, c->errlen) ? -1 : 0;
	if (!r)
		r = pick_disk(pd ? &pd->def : d, vm->name,
			      arg_str(args, "disk"), &rs, c);
	if (!r)
		r = check_dest(vm, arg_str(args, "to"), &rs, c);
	if (!rs.over_live) /* the domain may start meanwhile: not its disk */
		pthread_mutex_unlock(&vm->lock);
	if (!r && !chain_walk(rs.from, &l, c->err, c->errlen)) {
		rs.links = l.n;
		chain_list_free(&l);
		if (!restore_into(&rs, c))
			o = result(&rs);
	}
	if (rs.over_live)
		pthread_mutex_unlock(&vm->lock);
	free(pd);
	return o;
}
