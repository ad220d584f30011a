// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Power-cut test of a raw disk's external snapshot records
 * (src/vmm/disk/disk-layer.c): the names it creates, renames and removes
 * (overlays, 'active', TAG.layer, the .snapshots directory) and the syncs
 * of files and directories are recorded through the block library's I/O
 * hook while savevm/loadvm/delvm's disk parts run.  Then, for a power cut
 * before each sync (and at the end), every subset of the name changes not
 * yet made durable by a sync of their directory is applied to what was
 * durable, and the result must be one a restart can use safely: 'active'
 * and every record name files that exist with their content synced, no
 * record names the file a restart would write, and the snapshots and
 * active overlay that were acknowledged are there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/blk.h"
#include "vmm/disk/disk-snap.h"
#include "vmm/disk/disk.h"

#define MAX_EV 512
#define MAX_FILES 128
#define MAX_NAMES 64
#define MAX_TAGS 4

enum ns_kind {
	NS_CREATE,
	NS_RENAME,
	NS_UNLINK,
	NS_MKDIR,
	NS_DSYNC,
	NS_FSYNC,
	NS_ACK
};

struct ns_ev {
	enum ns_kind kind;
	char dir[PATH_MAX]; /* directory of the name(s), resolved */
	char a[NAME_MAX + 1], b[NAME_MAX + 1];
	int id; /* file of NS_CREATE / NS_FSYNC */
	char content[PATH_MAX]; /* NS_FSYNC of a small file */
	int ack;
};

/* What a finished operation guarantees: the active overlay and the tags. */
struct ns_ack {
	char active[PATH_MAX];
	char tags[MAX_TAGS][16];
	unsigned ntags;
};

static struct {
	char top[64]; /* the test directory */
	struct ns_ev ev[MAX_EV];
	unsigned nev;
	ino_t ino[MAX_FILES]; /* file id -> inode */
	unsigned nfiles;
	struct ns_ack acks[16];
	unsigned nacks;
} R;

static struct ns_ev *add(enum ns_kind k)
{
	struct ns_ev *e;

	if (R.nev == MAX_EV)
		fail_msg("too many recorded events");
	e = &R.ev[R.nev++];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	return e;
}

/* Split @path into its resolved directory and its last name; false when
 * it is not under the test directory. */
static bool split(const char *path, char *dir, char *name)
{
	char d[PATH_MAX], n[PATH_MAX];

	snprintf(d, sizeof(d), "%s", path);
	snprintf(n, sizeof(n), "%s", path);
	if (!realpath(dirname(d), dir))
		return false;
	snprintf(name, NAME_MAX + 1, "%s", basename(n));
	return !strncmp(dir, R.top, strlen(R.top));
}

static int file_id(ino_t ino)
{
	for (unsigned i = R.nfiles; i-- > 0;) /* inodes are reused */
		if (R.ino[i] == ino)
			return (int)i;
	return -1;
}

static int rec_open(const char *path, int flags, mode_t mode)
{
	char dir[PATH_MAX], name[NAME_MAX + 1];
	bool fresh = (flags & O_CREAT) && access(path, F_OK);
	int fd = blk_real_io_ops()->open(path, flags, mode);
	struct stat st;

	if (fd >= 0 && fresh && split(path, dir, name) && !fstat(fd, &st)) {
		struct ns_ev *e = add(NS_CREATE);

		snprintf(e->dir, sizeof(e->dir), "%s", dir);
		snprintf(e->a, sizeof(e->a), "%s", name);
		e->id = (int)R.nfiles;
		R.ino[R.nfiles++] = st.st_ino;
	}
	return fd;
}

/* A completed sync of @fd: a directory's names, or a file's content. */
static void synced(int fd)
{
	char link[64], path[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0 || fstat(fd, &st))
		return;
	path[n] = 0;
	if (strncmp(path, R.top, strlen(R.top)))
		return;
	if (S_ISDIR(st.st_mode)) {
		snprintf(add(NS_DSYNC)->dir, PATH_MAX, "%s", path);
	} else if (file_id(st.st_ino) >= 0) {
		struct ns_ev *e = add(NS_FSYNC);

		e->id = file_id(st.st_ino);
		if (st.st_size < (off_t)sizeof(e->content)) {
			/* the descriptor may be write-only: read by name */
			int rfd = open(link, O_RDONLY | O_CLOEXEC);

			n = rfd < 0 ? -1 :
				      pread(rfd, e->content,
					    sizeof(e->content) - 1, 0);
			e->content[n > 0 ? n : 0] = 0;
			e->content[strcspn(e->content, "\n")] = 0;
			if (rfd >= 0)
				close(rfd);
		}
	}
}

static int rec_fsync(int fd)
{
	int r = blk_real_io_ops()->fsync(fd);

	if (!r)
		synced(fd);
	return r;
}

static int rec_fdatasync(int fd)
{
	int r = blk_real_io_ops()->fdatasync(fd);

	if (!r)
		synced(fd);
	return r;
}

static int rec_rename(const char *from, const char *to)
{
	char d1[PATH_MAX], d2[PATH_MAX], n1[NAME_MAX + 1], n2[NAME_MAX + 1];
	int r = blk_real_io_ops()->rename(from, to);

	if (!r && split(from, d1, n1) && split(to, d2, n2)) {
		struct ns_ev *e = add(NS_RENAME);

		assert_string_equal(d1, d2);
		snprintf(e->dir, sizeof(e->dir), "%s", d1);
		snprintf(e->a, sizeof(e->a), "%s", n1);
		snprintf(e->b, sizeof(e->b), "%s", n2);
	}
	return r;
}

static int rec_unlink(const char *path)
{
	char dir[PATH_MAX], name[NAME_MAX + 1];
	bool ok = split(path, dir, name);
	int r = blk_real_io_ops()->unlink(path);

	if (!r && ok) {
		struct ns_ev *e = add(NS_UNLINK);

		snprintf(e->dir, sizeof(e->dir), "%s", dir);
		snprintf(e->a, sizeof(e->a), "%s", name);
	}
	return r;
}

static int rec_mkdir(const char *path, mode_t mode)
{
	char dir[PATH_MAX], name[NAME_MAX + 1];
	int r = blk_real_io_ops()->mkdir(path, mode);

	if (!r && split(path, dir, name)) {
		struct ns_ev *e = add(NS_MKDIR);

		snprintf(e->dir, sizeof(e->dir), "%s", dir);
		snprintf(e->a, sizeof(e->a), "%s", name);
	}
	return r;
}

static const struct blk_io_ops rec_ops = {
	.open = rec_open,
	.fsync = rec_fsync,
	.fdatasync = rec_fdatasync,
	.rename = rec_rename,
	.unlink = rec_unlink,
	.mkdir = rec_mkdir,
};

/* ---- the model of the names after a power cut ---- */

#define ID_DIR (-2)

struct name {
	char dir[PATH_MAX];
	char n[NAME_MAX + 1];
	int id; /* a recorded file, ID_DIR, or -3 - i for initial file i */
};

/* Names that existed when recording started, and their content. */
static struct {
	struct name names[MAX_NAMES];
	char content[MAX_NAMES][PATH_MAX];
	unsigned n;
} I;

struct world {
	struct name names[MAX_NAMES];
	unsigned n;
};

static void initial_dir(const char *dir)
{
	char p[PATH_MAX * 2];
	struct dirent *de;
	DIR *dh = opendir(dir);

	while (dh && (de = readdir(dh))) {
		struct name *x;
		struct stat st;
		FILE *f;

		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		assert_true(I.n < MAX_NAMES);
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		x = &I.names[I.n];
		snprintf(x->dir, sizeof(x->dir), "%s", dir);
		snprintf(x->n, sizeof(x->n), "%s", de->d_name);
		assert_int_equal(lstat(p, &st), 0);
		x->id = S_ISDIR(st.st_mode) ? ID_DIR : -3 - (int)I.n;
		I.content[I.n][0] = 0;
		f = S_ISREG(st.st_mode) && st.st_size < PATH_MAX ?
			    fopen(p, "r") :
			    NULL;
		if (f) {
			if (!fgets(I.content[I.n], PATH_MAX, f))
				I.content[I.n][0] = 0;
			I.content[I.n][strcspn(I.content[I.n], "\n")] = 0;
			fclose(f);
		}
		I.n++;
		if (S_ISDIR(st.st_mode))
			initial_dir(p);
	}
	if (dh)
		closedir(dh);
}

static struct name *find(struct world *w, const char *dir, const char *n)
{
	for (unsigned i = 0; i < w->n; i++)
		if (!strcmp(w->names[i].dir, dir) && !strcmp(w->names[i].n, n))
			return &w->names[i];
	return NULL;
}

static void drop(struct world *w, const char *dir, const char *n)
{
	struct name *x = find(w, dir, n);

	if (x)
		*x = w->names[--w->n];
}

static void apply(struct world *w, const struct ns_ev *e)
{
	struct name *x;

	switch (e->kind) {
	case NS_CREATE:
	case NS_MKDIR:
		drop(w, e->dir, e->a);
		assert_true(w->n < MAX_NAMES);
		x = &w->names[w->n++];
		snprintf(x->dir, sizeof(x->dir), "%s", e->dir);
		snprintf(x->n, sizeof(x->n), "%s", e->a);
		x->id = e->kind == NS_MKDIR ? ID_DIR : e->id;
		break;
	case NS_RENAME:
		if (!find(w, e->dir, e->a))
			break; /* its creation did not last */
		drop(w, e->dir, e->b);
		x = find(w, e->dir, e->a);
		snprintf(x->n, sizeof(x->n), "%s", e->b);
		break;
	case NS_UNLINK:
		drop(w, e->dir, e->a);
		break;
	default:
		break;
	}
}

/* The name at absolute @path, if it and every directory above it up to
 * the test directory survived. */
static struct name *lookup(struct world *w, const char *path)
{
	char d[PATH_MAX], n[PATH_MAX], *dir;

	snprintf(d, sizeof(d), "%s", path);
	snprintf(n, sizeof(n), "%s", path);
	dir = dirname(d);
	if (strcmp(dir, R.top) && !lookup(w, dir))
		return NULL;
	return find(w, dir, basename(n));
}

/* The synced content of the file @x names before event @end, or NULL. */
static const char *content(const struct name *x, unsigned end)
{
	const char *c = NULL;

	if (x->id <= -3)
		return I.content[-3 - x->id];
	for (unsigned i = 0; i < end; i++)
		if (R.ev[i].kind == NS_FSYNC && R.ev[i].id == x->id)
			c = R.ev[i].content;
	return c;
}

static bool ns_change(const struct ns_ev *e)
{
	return e->kind == NS_CREATE || e->kind == NS_RENAME ||
	       e->kind == NS_UNLINK || e->kind == NS_MKDIR;
}

/* Is event @i made durable by a sync of its directory before @end? */
static bool durable(unsigned i, unsigned end)
{
	for (unsigned j = i + 1; j < end; j++)
		if (R.ev[j].kind == NS_DSYNC &&
		    !strcmp(R.ev[j].dir, R.ev[i].dir))
			return true;
	return false;
}

/* The world after a power cut before event @end, with pending name
 * changes kept as bit j of @mask says. */
static void build(struct world *w, unsigned end, const unsigned *pend,
		  unsigned np, uint64_t mask)
{
	unsigned j = 0;

	w->n = I.n;
	memcpy(w->names, I.names, sizeof(I.names));
	for (unsigned i = 0; i < end; i++) {
		if (!ns_change(&R.ev[i]))
			continue;
		if (j < np && pend[j] == i) {
			if ((mask >> j++) & 1)
				apply(w, &R.ev[i]);
		} else {
			apply(w, &R.ev[i]);
		}
	}
}

static bool has_tag(const struct ns_ack *a, const char *t)
{
	for (unsigned i = 0; i < a->ntags; i++)
		if (!strcmp(a->tags[i], t))
			return true;
	return false;
}

/* Can a restart use world @w safely?  @k, @k1: acks around the cut. */
static bool usable(struct world *w, unsigned end, const char *image, int k,
		   int k1, char *why, size_t len)
{
	char sd[PATH_MAX + 16], p[PATH_MAX * 2];
	const char *act = "", *target = image;
	struct name *x;

	snprintf(sd, sizeof(sd), "%s.snapshots", image);
	snprintf(p, sizeof(p), "%s/active", sd);
	x = lookup(w, p);
	if (x) {
		act = content(x, end);
		if (!act || !*act || !lookup(w, act) ||
		    !content(lookup(w, act), end)) {
			snprintf(why, len, "'active' names no usable overlay");
			return false;
		}
		target = act;
	}
	if (k >= 0 && strcmp(act, R.acks[k].active) &&
	    (k1 < 0 || strcmp(act, R.acks[k1].active))) {
		snprintf(why, len, "acknowledged active overlay lost (%s)",
			 act);
		return false;
	}
	for (unsigned i = 0; i < w->n; i++) {
		struct name *r = &w->names[i];
		size_t l = strlen(r->n);
		const char *f;

		if (strcmp(r->dir, sd) || l < 7 ||
		    strcmp(r->n + l - 6, ".layer"))
			continue;
		f = content(r, end);
		if (!f || !*f || !lookup(w, f)) {
			snprintf(why, len, "record %s names no usable layer",
				 r->n);
			return false;
		}
		if (!strcmp(f, target)) {
			snprintf(why, len,
				 "record %s names %s, which a restart writes",
				 r->n, f);
			return false;
		}
	}
	for (unsigned t = 0; k >= 0 && t < R.acks[k].ntags; t++) {
		const char *tag = R.acks[k].tags[t];

		snprintf(p, sizeof(p), "%s/%s.layer", sd, tag);
		if ((k1 < 0 || has_tag(&R.acks[k1], tag)) && !lookup(w, p)) {
			snprintf(why, len, "acknowledged snapshot %s lost",
				 tag);
			return false;
		}
	}
	return true;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Check every power cut before event @end; returns the states checked,
 * failures added to *bad. */
static unsigned cut_at(unsigned end, const char *image, unsigned *bad)
{
	unsigned pend[64], np = 0, n = 0;
	int k = -1, k1 = -1;
	struct world w;
	char why[256];

	for (unsigned i = 0; i < end; i++) {
		if (R.ev[i].kind == NS_ACK)
			k = R.ev[i].ack;
		if (ns_change(&R.ev[i]) && !durable(i, end) && np < 64)
			pend[np++] = i;
	}
	for (unsigned i = end; i < R.nev && k1 < 0; i++)
		if (R.ev[i].kind == NS_ACK)
			k1 = R.ev[i].ack;
	for (uint64_t m = 0; m < (np <= 8 ? (1ULL << np) : 256); m++) {
		uint64_t mask = np <= 8 ? m : rnd();

		build(&w, end, pend, np, mask);
		n++;
		if (!usable(&w, end, image, k, k1, why, sizeof(why))) {
			if (*bad < 5 || getenv("LAYERCUT_DEBUG"))
				fprintf(stderr,
					"power cut before event %u of %u (%u name changes pending, kept mask %llx): %s\n",
					end, R.nev, np,
					(unsigned long long)mask, why);
			(*bad)++;
		}
	}
	return n;
}

/* Record that the operation just done finished: active overlay, tags. */
static void ack(const struct disk *d, const char *const *tags)
{
	struct ns_ack *a = &R.acks[R.nacks];

	memset(a, 0, sizeof(*a));
	snprintf(a->active, sizeof(a->active), "%s",
		 d->active ? d->active : "");
	for (; *tags; tags++)
		snprintf(a->tags[a->ntags++], sizeof(a->tags[0]), "%s", *tags);
	add(NS_ACK)->ack = (int)R.nacks++;
}

static struct disk *open_raw(const char *image)
{
	struct disk_opts o;
	struct disk *d = NULL;
	char spec[PATH_MAX + 32], err[DISK_ERR_LEN];

	snprintf(spec, sizeof(spec), "path=%s,format=raw", image);
	assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)), 0);
	assert_int_equal(disk_open(&d, &o, 8, err, sizeof(err)), 0);
	disk_opts_free(&o);
	return d;
}

static void test_layers(void **state)
{
	struct blk_create_opts co = { .size = 1024 * 1024 };
	char tmp[] = "/var/tmp/wirt-layercut-XXXXXX", image[PATH_MAX];
	char why[512], cmd[128];
	unsigned states = 0, bad = 0;
	struct disk *d;

	assert_non_null(mkdtemp(tmp));
	assert_non_null(realpath(tmp, R.top));
	snprintf(image, sizeof(image), "%s/d.raw", R.top);
	assert_int_equal(blk_create(image, BLK_FMT_RAW, &co), 0);
	d = open_raw(image);
	initial_dir(R.top);
	blk_set_io_ops(&rec_ops);
	ack(d, (const char *[]){ NULL });
	assert_int_equal(disk_snapshot_create(d, "s1", why, sizeof(why)), 0);
	ack(d, (const char *[]){ "s1", NULL });
	assert_int_equal(disk_snapshot_create(d, "s2", why, sizeof(why)), 0);
	ack(d, (const char *[]){ "s1", "s2", NULL });
	assert_int_equal(disk_snapshot_apply(d, "s1", why, sizeof(why)), 0);
	ack(d, (const char *[]){ "s1", "s2", NULL });
	assert_int_equal(disk_snapshot_delete(d, "s2", why, sizeof(why)), 0);
	ack(d, (const char *[]){ "s1", NULL });
	assert_int_equal(disk_snapshot_create(d, "s1", why, sizeof(why)), 0);
	ack(d, (const char *[]){ "s1", NULL });
	blk_set_io_ops(NULL);
	for (unsigned i = 0; getenv("LAYERCUT_DEBUG") && i < R.nev; i++)
		fprintf(stderr, "%3u: %d %s %s %s id %d '%s'\n", i,
			R.ev[i].kind, R.ev[i].dir, R.ev[i].a, R.ev[i].b,
			R.ev[i].id, R.ev[i].content);
	for (unsigned i = 0; i < R.nev; i++)
		if (R.ev[i].kind == NS_DSYNC || R.ev[i].kind == NS_FSYNC)
			states += cut_at(i, image, &bad);
	states += cut_at(R.nev, image, &bad);
	printf("powercut disk-layers %u crash states checked (%u events), %u failed\n",
	       states, R.nev, bad);
	fflush(stdout);
	disk_close(d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", R.top);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
