// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: parsing of --disk option values. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/disk/disk.h"

static char err[DISK_ERR_LEN];

static void test_full(void **state)
{
	struct disk_opts o;

	assert_int_equal(
		disk_parse_opts(
			"path=/x/d.img,format=raw,readonly=on,cache=none,serial=ABC-123",
			&o, err, sizeof(err)),
		0);
	assert_string_equal(o.path, "/x/d.img");
	assert_int_equal(o.format, BLK_FMT_RAW);
	assert_true(o.readonly);
	assert_int_equal(o.cache, DISK_CACHE_NONE);
	assert_string_equal(o.serial, "ABC-123");
	assert_string_equal(err, "");
	disk_opts_free(&o);
}

static void test_defaults(void **state)
{
	struct disk_opts o;

	assert_int_equal(disk_parse_opts("path=d.img", &o, err, sizeof(err)),
			 0);
	assert_string_equal(o.path, "d.img");
	assert_int_equal(o.format, BLK_FMT_PROBE);
	assert_false(o.readonly);
	assert_int_equal(o.cache, DISK_CACHE_WRITEBACK);
	assert_string_equal(o.serial, "");
	assert_int_equal(o.bus, DISK_BUS_VIRTIO);
	disk_opts_free(&o);

	assert_int_equal(
		disk_parse_opts("path=d.img,bus=scsi", &o, err, sizeof(err)),
		0);
	assert_int_equal(o.bus, DISK_BUS_SCSI);
	assert_false(o.cdrom);
	disk_opts_free(&o);
	assert_int_equal(disk_parse_opts("path=c.iso,media=cdrom,bus=scsi", &o,
					 err, sizeof(err)),
			 0);
	assert_true(o.cdrom);
	assert_true(o.readonly); /* a CD-ROM is read-only */
	disk_opts_free(&o);
	assert_int_equal(disk_parse_opts("bus=scsi,bus=virtio,path=d.img", &o,
					 err, sizeof(err)),
			 0);
	assert_int_equal(o.bus, DISK_BUS_VIRTIO);
	disk_opts_free(&o);

	assert_int_equal(
		disk_parse_opts(
			"readonly=off,path=q,format=qcow2,cache=writeback", &o,
			err, sizeof(err)),
		0);
	assert_false(o.readonly);
	assert_int_equal(o.format, BLK_FMT_QCOW2);
	disk_opts_free(&o);
}

static void test_escaped_comma(void **state)
{
	struct disk_opts o;

	assert_int_equal(disk_parse_opts("path=a,,b.img,serial=x,,y", &o, err,
					 sizeof(err)),
			 0);
	assert_string_equal(o.path, "a,b.img");
	assert_string_equal(o.serial, "x,y");
	disk_opts_free(&o);
}

/* Each bad spec fails with -EINVAL and a one-line message naming it. */
static void expect_error(const char *spec, const char *needle)
{
	struct disk_opts o;

	assert_int_equal(disk_parse_opts(spec, &o, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("'%s' gave '%s', wanted '%s'", spec, err, needle);
	assert_null(strchr(err, '\n'));
	assert_null(o.path);
}

static void test_errors(void **state)
{
	expect_error("", "path= is required");
	expect_error("format=raw", "path= is required");
	expect_error("path=a,bogus=1", "unknown option 'bogus'");
	expect_error("path=a,bus=ide", "unknown bus 'ide'");
	expect_error("path=a,media=cdrom", "media=cdrom needs bus=scsi");
	expect_error("path=a,bus=scsi,media=dvd", "unknown media 'dvd'");
	expect_error("path=a,bus=", "unknown bus ''");
	expect_error("path=a,format=vmdk", "unknown format 'vmdk'");
	expect_error("path=a,readonly=maybe", "readonly= takes on or off");
	expect_error("path=a,cache=unsafe", "unknown cache mode 'unsafe'");
	expect_error("path=a,serial=123456789012345678901", "longer than 20");
	expect_error("path=a,serial=a\tb", "printable");
	expect_error("path=", "path= is empty");
	expect_error(",path=a", "empty item");
	expect_error("disk.img", "not key=value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_escaped_comma),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
