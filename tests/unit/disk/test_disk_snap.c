// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: snapshots of open disks (savevm/loadvm's disk part,
 * src/vmm/disk/disk-snap.c and disk-layer.c) on real files: internal
 * snapshots of a qcow2 image (create, replace, revert, delete, list),
 * external overlays of a raw image (the same, plus which layer files
 * remain, reopening on the active overlay, locks, a failed snapshot), and
 * read-only disks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/blk.h"
#include "vmm/disk/disk-snap.h"
#include "vmm/disk/disk.h"
#include "../../lib/unit-tmpdir.h"

#define KB 1024

static char dir[64];
static char path[128];
static char err[DISK_ERR_LEN];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/var/tmp/wirt-snap-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

static struct disk *open_disk(const char *spec)
{
	struct disk_opts o;
	struct disk *d = NULL;

	assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)), 0);
	assert_int_equal(disk_open(&d, &o, 8, err, sizeof(err)), 0);
	disk_opts_free(&o);
	return d;
}

/* Fill the first 64 KiB with byte v through the block library. */
static void fill(struct disk *d, uint8_t v)
{
	uint8_t buf[64 * KB];

	memset(buf, v, sizeof(buf));
	assert_int_equal(blk_pwrite(d->blk, 0, buf, sizeof(buf)), 0);
}

/* Whether the first 64 KiB are all v. */
static bool holds(struct disk *d, uint8_t v)
{
	uint8_t buf[64 * KB];
	size_t i;

	assert_int_equal(blk_pread(d->blk, 0, buf, sizeof(buf)), 0);
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != v)
			return false;
	return true;
}

static void test_qcow2(void **state)
{
	struct blk_create_opts co = { .size = 4 * 1024 * KB };
	struct disk_snap_info l[4];
	char spec[160], why[256];
	struct disk *d;

	snprintf(path, sizeof(path), "%s/d.qcow2", dir);
	assert_int_equal(blk_create(path, BLK_FMT_QCOW2, &co), 0);
	snprintf(spec, sizeof(spec), "path=%s,format=qcow2", path);
	d = open_disk(spec);
	assert_null(disk_snapshot_unsupported(d));
	assert_false(disk_snapshot_has(d, "s1"));

	fill(d, 0xaa);
	assert_int_equal(disk_snapshot_create(d, "s1", why, sizeof(why)), 0);
	fill(d, 0xbb);
	assert_int_equal(disk_snapshot_create(d, "s2", why, sizeof(why)), 0);
	fill(d, 0xcc);
	assert_true(disk_snapshot_has(d, "s1"));
	assert_int_equal(disk_snapshot_list(d, l, 4), 2);
	assert_string_equal(l[0].name, "s1");
	assert_string_equal(l[1].name, "s2");

	/* revert: the data of each snapshot, whatever came after */
	assert_int_equal(disk_snapshot_apply(d, "s1", why, sizeof(why)), 0);
	assert_true(holds(d, 0xaa));
	fill(d, 0xdd);
	assert_int_equal(disk_snapshot_apply(d, "s2", why, sizeof(why)), 0);
	assert_true(holds(d, 0xbb));

	/* a name taken again replaces the old snapshot, as savevm does */
	fill(d, 0xee);
	assert_int_equal(disk_snapshot_create(d, "s1", why, sizeof(why)), 0);
	assert_int_equal(disk_snapshot_list(d, l, 4), 2);
	fill(d, 0x11);
	assert_int_equal(disk_snapshot_apply(d, "s1", why, sizeof(why)), 0);
	assert_true(holds(d, 0xee));

	/* missing names: apply fails naming the image, delete is a no-op */
	assert_int_not_equal(disk_snapshot_apply(d, "nope", why, sizeof(why)),
			     0);
	assert_non_null(strstr(why, path));
	assert_int_equal(disk_snapshot_delete(d, "nope", why, sizeof(why)), 0);
	assert_int_equal(disk_snapshot_delete(d, "s1", why, sizeof(why)), 0);
	assert_false(disk_snapshot_has(d, "s1"));
	assert_int_equal(disk_snapshot_list(d, l, 4), 1);
	assert_true(holds(d, 0xee)); /* deleting keeps the current data */
	disk_close(d);

	/* the table is on disk: a new open sees s2 and its data */
	d = open_disk(spec);
	assert_true(disk_snapshot_has(d, "s2"));
	assert_int_equal(disk_snapshot_apply(d, "s2", why, sizeof(why)), 0);
	assert_true(holds(d, 0xbb));
	disk_close(d);
}

static int done_count;

static void on_done(struct disk_io *io, int ret)
{
	io->ret = ret;
	done_count++;
}

/* One read or write of 64 KiB at 0 through the disk's engine; its result. */
static int rw64k(struct disk *d, enum disk_op op, uint8_t *buf)
{
	struct pollfd pfd = { .fd = disk_event_fd(d), .events = POLLIN };
	struct iovec v = { buf, 64 * KB };
	struct disk_io io = {
		.op = op, .off = 0, .iov = &v, .niov = 1, .done = on_done
	};
	int spins = 0;

	done_count = 0;
	disk_submit(d, &io);
	disk_kick(d);
	while (!done_count) {
		assert_true(++spins < 1000);
		poll(&pfd, 1, 1000);
		disk_complete(d);
	}
	return io.ret;
}

/* Write byte v over the first 64 KiB through the engine. */
static void put(struct disk *d, uint8_t v)
{
	uint8_t buf[64 * KB];

	memset(buf, v, sizeof(buf));
	assert_int_equal(rw64k(d, DISK_WRITE, buf), 0);
}

/* Whether the first 64 KiB read through the engine are all v. */
static bool has(struct disk *d, uint8_t v)
{
	uint8_t buf[64 * KB];
	size_t i;

	assert_int_equal(rw64k(d, DISK_READ, buf), 0);
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != v)
			return false;
	return true;
}

/* Whether the raw file at p starts with 64 KiB of v (read directly). */
static bool file_has(const char *p, uint8_t v)
{
	uint8_t buf[64 * KB];
	size_t i;
	FILE *f = fopen(p, "r");

	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != v)
			return false;
	return true;
}

/*
 * The path of file name in the raw image's snapshot directory (one of
 * four static buffers in turn).
 */
static const char *snapf(const char *name)
{
	static char p[4][PATH_MAX + 64];
	static unsigned int k;
	char abs[PATH_MAX];
	char *out = p[k++ % 4];

	assert_non_null(realpath(dir, abs));
	snprintf(out, sizeof(p[0]), "%s/r.img.snapshots/%s", abs, name);
	return out;
}

/* Whether layer-N.qcow2 exists. */
static bool layer_exists(unsigned int n)
{
	char name[32];

	snprintf(name, sizeof(name), "layer-%u.qcow2", n);
	return access(snapf(name), F_OK) == 0;
}

/* The one line of the record file name, or "" when it is missing. */
static const char *record(const char *name)
{
	static char line[PATH_MAX + 64];
	FILE *f = fopen(snapf(name), "r");

	line[0] = 0;
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	line[strcspn(line, "\n")] = 0;
	return line;
}

/* A raw file of size bytes, the first 64 KiB set to v. */
static void make_raw(const char *p, size_t size, uint8_t v)
{
	uint8_t buf[64 * KB];
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	memset(buf, v, sizeof(buf));
	assert_int_equal(ftruncate(fileno(f), size), 0);
	assert_int_equal(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);
}

static void test_raw_layers(void **state)
{
	struct disk_snap_info l[4];
	char spec[PATH_MAX + 128], why[PATH_MAX + 512], rawabs[PATH_MAX];
	char rpath[160];
	struct disk *d, *other = NULL;
	struct disk_opts o;
	int efd;

	snprintf(rpath, sizeof(rpath), "%s/r.img", dir);
	make_raw(rpath, 4 * 1024 * KB, 0xaa);
	assert_non_null(realpath(rpath, rawabs));
	snprintf(spec, sizeof(spec), "path=%s,format=raw", rpath);
	d = open_disk(spec);
	efd = disk_event_fd(d);
	assert_true(d->raw_base);
	assert_null(d->active);
	assert_null(disk_snapshot_unsupported(d));
	assert_false(disk_snapshot_has(d, "s1"));
	assert_int_equal(disk_snapshot_list(d, l, 4), 0);

	/* a switch that fails leaves the raw image in use, still exclusive */
	{
		struct blk_create_opts co = { .size = 1024 * KB,
					      .backing_file = rawabs,
					      .backing_fmt = "raw" };
		char small[200];

		snprintf(small, sizeof(small), "%s/small.qcow2", dir);
		assert_int_equal(blk_create(small, BLK_FMT_QCOW2, &co), 0);
		assert_int_equal(disk_switch_layer(d, small, why, sizeof(why)),
				 -EMEDIUMTYPE);
		assert_non_null(strstr(why, small));
		assert_null(d->active);
		assert_int_equal(d->format, BLK_FMT_RAW);
		put(d, 0x99);
		assert_true(file_has(rpath, 0x99));
		put(d, 0xaa);
		assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)),
				 0);
		assert_int_equal(disk_open(&other, &o, 8, err, sizeof(err)),
				 -EBUSY);
		disk_opts_free(&o);
		unlink(small);
	}

	/* s1 freezes the raw image; the disk goes on in layer-1 */
	assert_int_equal(disk_snapshot_create(d, "s1", why, sizeof(why)), 0);
	assert_string_equal(disk_file(d), snapf("layer-1.qcow2"));
	assert_int_equal(d->format, BLK_FMT_QCOW2);
	assert_int_equal(disk_event_fd(d), efd); /* the evloop's fd stays */
	assert_string_equal(record("s1.layer"), rawabs);
	assert_string_equal(record("active"), snapf("layer-1.qcow2"));
	assert_true(disk_snapshot_has(d, "s1"));
	put(d, 0xbb);
	assert_true(has(d, 0xbb));
	assert_true(file_has(rpath, 0xaa)); /* the raw image never changes */

	/* revert: a new overlay over the raw image, layer-1 is garbage */
	assert_int_equal(disk_snapshot_apply(d, "s1", why, sizeof(why)), 0);
	assert_true(has(d, 0xaa));
	assert_string_equal(disk_file(d), snapf("layer-2.qcow2"));
	assert_string_equal(record("active"), snapf("layer-2.qcow2"));
	assert_false(layer_exists(1));
	put(d, 0xcc);

	/* s2 freezes layer-2 */
	assert_int_equal(disk_snapshot_create(d, "s2", why, sizeof(why)), 0);
	assert_string_equal(record("s2.layer"), snapf("layer-2.qcow2"));
	assert_string_equal(disk_file(d), snapf("layer-3.qcow2"));
	put(d, 0xdd);
	assert_int_equal(disk_snapshot_list(d, l, 4), 2);
	assert_string_equal(l[0].name, "s1");
	assert_string_equal(l[1].name, "s2");

	/* to the first, then to the second: each time that data */
	assert_int_equal(disk_snapshot_apply(d, "s1", why, sizeof(why)), 0);
	assert_true(has(d, 0xaa));
	assert_false(layer_exists(3));
	assert_true(layer_exists(2)); /* s2 needs it */
	put(d, 0x11);
	assert_int_equal(disk_snapshot_apply(d, "s2", why, sizeof(why)), 0);
	assert_true(has(d, 0xcc));
	assert_false(layer_exists(4));
	assert_string_equal(disk_file(d), snapf("layer-5.qcow2"));
	put(d, 0xee);

	/* deleting s2 keeps layer-2: the active overlay stands on it */
	assert_int_equal(disk_snapshot_delete(d, "s2", why, sizeof(why)), 0);
	assert_false(disk_snapshot_has(d, "s2"));
	assert_true(layer_exists(2));
	assert_true(layer_exists(5));
	assert_true(has(d, 0xee));

	/* symlinks planted at the record files' temporary names are not
	 * followed: their target stays as it was */
	{
		char victim[PATH_MAX + 16];
		FILE *f;

		snprintf(victim, sizeof(victim), "%s/victim", dir);
		f = fopen(victim, "w");
		assert_non_null(f);
		fputs("precious\n", f);
		fclose(f);
		assert_int_equal(symlink(victim, snapf("active.tmp")), 0);
		assert_int_equal(symlink(victim, snapf("s2.layer.tmp")), 0);
		/* a name taken again replaces the old snapshot */
		assert_int_equal(
			disk_snapshot_create(d, "s2", why, sizeof(why)), 0);
		f = fopen(victim, "r");
		assert_non_null(f);
		assert_non_null(fgets(victim, sizeof(victim), f));
		fclose(f);
		assert_string_equal(victim, "precious\n");
	}
	assert_string_equal(record("s2.layer"), snapf("layer-5.qcow2"));
	put(d, 0x22);
	assert_int_equal(disk_snapshot_create(d, "s2", why, sizeof(why)), 0);
	assert_string_equal(record("s2.layer"), snapf("layer-6.qcow2"));
	assert_int_equal(disk_snapshot_list(d, l, 4), 2);
	put(d, 0x33);

	/* back to s1, then delete s2: its whole branch goes */
	assert_int_equal(disk_snapshot_apply(d, "s1", why, sizeof(why)), 0);
	assert_true(layer_exists(6));
	assert_int_equal(disk_snapshot_delete(d, "s2", why, sizeof(why)), 0);
	assert_false(layer_exists(2) || layer_exists(5) || layer_exists(6) ||
		     layer_exists(7));
	assert_string_equal(disk_file(d), snapf("layer-8.qcow2"));
	assert_true(has(d, 0xaa));

	/* missing names: apply fails naming the image, delete is a no-op */
	assert_int_equal(disk_snapshot_apply(d, "nope", why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, rpath));
	assert_int_equal(disk_snapshot_delete(d, "nope", why, sizeof(why)), 0);

	/* locks: the raw image is shared now, the overlay exclusive */
	assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)), 0);
	assert_int_equal(disk_open(&other, &o, 8, err, sizeof(err)), -EBUSY);
	disk_opts_free(&o);
	snprintf(spec, sizeof(spec), "path=%s,format=raw,readonly=on", rpath);
	other = open_disk(spec);
	assert_true(has(other, 0xaa));
	disk_close(other);
	snprintf(spec, sizeof(spec), "path=%s,format=qcow2",
		 snapf("layer-8.qcow2"));
	assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)), 0);
	assert_int_equal(disk_open(&other, &o, 8, err, sizeof(err)), -EBUSY);
	disk_opts_free(&o);

	/* a failed snapshot leaves the disk on its layer, data intact */
	put(d, 0x44);
	assert_int_equal(mkdir(snapf("active.tmp"), 0700), 0);
	assert_int_not_equal(disk_snapshot_create(d, "s3", why, sizeof(why)),
			     0);
	assert_non_null(strstr(why, "active.tmp"));
	assert_false(disk_snapshot_has(d, "s3"));
	assert_string_equal(disk_file(d), snapf("layer-8.qcow2"));
	assert_false(layer_exists(9));
	assert_true(has(d, 0x44));
	put(d, 0x55);
	assert_int_equal(rmdir(snapf("active.tmp")), 0);
	disk_close(d);

	/* reopening the raw image opens its active overlay */
	snprintf(spec, sizeof(spec), "path=%s,format=raw", rpath);
	d = open_disk(spec);
	assert_non_null(d->active);
	assert_string_equal(disk_file(d), snapf("layer-8.qcow2"));
	assert_int_equal(d->format, BLK_FMT_QCOW2);
	assert_true(has(d, 0x55));
	assert_true(disk_snapshot_has(d, "s1"));
	assert_int_equal(disk_snapshot_apply(d, "s1", why, sizeof(why)), 0);
	assert_true(has(d, 0xaa));
	assert_false(layer_exists(8));
	disk_close(d);
	assert_true(file_has(rpath, 0xaa));
}

static void test_raw_and_readonly(void **state)
{
	char spec[160], why[256];
	struct disk *d;
	const char *u;
	FILE *f;

	/* a raw size that qcow2 cannot have is refused with the fix */
	snprintf(path, sizeof(path), "%s/odd.img", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 1000), 0);
	fclose(f);
	snprintf(spec, sizeof(spec), "path=%s,format=raw", path);
	d = open_disk(spec);
	u = disk_snapshot_unsupported(d);
	assert_non_null(u);
	assert_non_null(strstr(u, "512"));
	assert_int_equal(disk_snapshot_create(d, "s1", why, sizeof(why)),
			 -ENOTSUP);
	assert_null(d->active);
	disk_close(d);
	/* read-only: it cannot change, so it takes part in nothing */
	snprintf(spec, sizeof(spec), "path=%s,format=raw,readonly=on", path);
	d = open_disk(spec);
	assert_null(disk_snapshot_unsupported(d));
	assert_int_equal(disk_snapshot_create(d, "s1", why, sizeof(why)), 0);
	assert_false(disk_snapshot_has(d, "s1"));
	disk_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qcow2),
		cmocka_unit_test(test_raw_layers),
		cmocka_unit_test(test_raw_and_readonly),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
