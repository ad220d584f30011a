// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for src/common/iso9660.c, checked by independent readers:
 * blkid finds an iso9660 file system labelled "cidata", xorriso's osirrox
 * extracts every file under its Joliet name with the exact content, and
 * xorriso's own check of the image finds no problem; bad names, labels and
 * duplicates are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/iso9660.h"
#include "../../lib/unit-tmpdir.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/wirt-iso-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

/* The first line of a shell command's output, or "" */
static const char *sh(const char *fmt, ...)
{
	static char line[4096];
	char cmd[1024];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	line[0] = '\0';
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static void write_image(const char *name, const uint8_t *img, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_seed(void **state)
{
	static char big[5000];
	const char *ud = "#cloud-config\nhostname: seeded\n";
	const char *md = "instance-id: iid-1\nlocal-hostname: seeded\n";
	struct iso_file f[] = {
		{ "user-data", ud, strlen(ud) },
		{ "meta-data", md, strlen(md) },
		{ "network-config", big, sizeof(big) },
		{ "empty", "", 0 },
	};
	char err[256];
	uint8_t *img;
	size_t len, i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = 'a' + i % 26;
	assert_int_equal(iso_build("cidata", f, 4, 1700000000, &img, &len, err,
				   sizeof(err)),
			 0);
	assert_int_equal(len % 2048, 0);
	write_image("seed.iso", img, len);
	free(img);
	assert_string_equal(sh("blkid -p -o value -s TYPE '%s/seed.iso'", dir),
			    "iso9660");
	assert_string_equal(sh("blkid -p -o value -s LABEL '%s/seed.iso'", dir),
			    "cidata");
	assert_string_equal(
		sh("osirrox -indev '%s/seed.iso' -extract / '%s/x' >/dev/null 2>&1 && echo ok",
		   dir, dir),
		"ok");
	assert_string_equal(sh("cat '%s/x/user-data'", dir), "#cloud-config");
	assert_string_equal(
		sh("cmp -s '%s/x/meta-data' - <<'E'\n%sE\necho $?", dir, md),
		"0");
	assert_string_equal(sh("stat -c %%s '%s/x/network-config'", dir),
			    "5000");
	assert_string_equal(sh("head -c 30 '%s/x/network-config'", dir),
			    "abcdefghijklmnopqrstuvwxyzabcd");
	assert_string_equal(sh("stat -c %%s '%s/x/empty'", dir), "0");
	/* xorriso's -check_media reads every block the image claims */
	assert_string_equal(
		sh("xorriso -indev '%s/seed.iso' -check_media -- 2>&1 | grep '^Media region' | awk '{print $NF}' | sort -u | tr '\\n' ' '",
		   dir),
		"good ");
	/* the volume's size in the descriptor is the file's */
	assert_string_equal(
		sh("xorriso -indev '%s/seed.iso' -toc 2>&1 | grep -o '[0-9]*s , cidata'",
		   dir),
		"30s , cidata");
}

/* Names sorted, 8.3 collisions numbered: every file stays reachable. */
static void test_many_names(void **state)
{
	struct iso_file f[ISO_MAX_FILES];
	char names[ISO_MAX_FILES][32], err[256];
	uint8_t *img;
	size_t len;
	int i;

	for (i = 0; i < ISO_MAX_FILES; i++) {
		snprintf(names[i], sizeof(names[i]),
			 "a-long-file-name-number-%02d.txt", ISO_MAX_FILES - i);
		f[i] = (struct iso_file){ names[i], names[i],
					  strlen(names[i]) };
	}
	assert_int_equal(iso_build("many", f, ISO_MAX_FILES, 0, &img, &len, err,
				   sizeof(err)),
			 0);
	write_image("many.iso", img, len);
	free(img);
	assert_string_equal(
		sh("osirrox -indev '%s/many.iso' -extract / '%s/m' >/dev/null 2>&1 && ls '%s/m' | wc -l",
		   dir, dir, dir),
		"16");
	assert_string_equal(
		sh("cat '%s/m/a-long-file-name-number-07.txt'", dir),
		"a-long-file-name-number-07.txt");
	/* the primary volume alone (no Joliet): 8.3 names, all distinct */
	assert_string_equal(
		sh("xorriso -read_fs ecma119 -indev '%s/many.iso' -ls / 2>/dev/null | grep \"^'A_LONG..\\.TXT'\" | sort -u | wc -l",
		   dir),
		"16");
}

static void test_bad_input(void **state)
{
	struct iso_file ok = { "user-data", "x", 1 };
	struct iso_file dup[] = { ok, ok };
	struct iso_file slash = { "etc/passwd", "x", 1 };
	struct iso_file many[ISO_MAX_FILES + 1];
	char err[256];
	uint8_t *img = NULL;
	size_t len;
	int i;

	assert_int_equal(
		iso_build("bad label", &ok, 1, 0, &img, &len, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "volume label 'bad label'"));
	assert_int_equal(iso_build("", &ok, 1, 0, &img, &len, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		iso_build("cidata", dup, 2, 0, &img, &len, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "'user-data' is given twice"));
	assert_int_equal(
		iso_build("cidata", &slash, 1, 0, &img, &len, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "'etc/passwd'"));
	for (i = 0; i <= ISO_MAX_FILES; i++)
		many[i] = ok;
	assert_int_equal(iso_build("cidata", many, ISO_MAX_FILES + 1, 0, &img,
				   &len, err, sizeof(err)),
			 -E2BIG);
	assert_null(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
