// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for src/common/tmpfile.c: a temporary file is never opened
 * through a symbolic link planted at its name, a stale one is replaced,
 * and commit renames it into place.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/tmpfile.h"
#include "common/util.h"
#include "../../lib/unit-tmpdir.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/wirt-tmpfile-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return unit_tmpdir_remove(dir);
}

/* The whole content of path (at most 63 bytes) as a string. */
static const char *slurp(const char *path)
{
	static char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = 0;
	return buf;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A symlink at the temporary name: its target stays untouched. */
static void test_symlink_not_followed(void **state)
{
	char victim[128], tmp[140], final[128];
	struct stat st;
	int fd;

	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(final, sizeof(final), "%s/vm.state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", final);
	put(victim, "precious");
	assert_int_equal(symlink(victim, tmp), 0);
	fd = tmpfile_create(tmp, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "new", 3), 3);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	assert_string_equal(slurp(victim), "precious");
	assert_int_equal(lstat(tmp, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(tmpfile_commit(tmp, final), 0);
	assert_string_equal(slurp(final), "new");
	assert_string_equal(slurp(victim), "precious");
	assert_int_equal(access(tmp, F_OK), -1);
}

/* A dangling symlink is not followed into creating its target either. */
static void test_dangling_symlink(void **state)
{
	char target[128], tmp[128];
	int fd;

	snprintf(target, sizeof(target), "%s/created-through-link", dir);
	snprintf(tmp, sizeof(tmp), "%s/x.tmp", dir);
	assert_int_equal(symlink(target, tmp), 0);
	fd = tmpfile_create(tmp, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(access(target, F_OK), -1);
	unlink(tmp);
}

/* A file left by a crash is replaced, not appended to or reused. */
static void test_stale_file(void **state)
{
	char tmp[128];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/stale.tmp", dir);
	put(tmp, "stale contents");
	fd = tmpfile_create(tmp, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "ok", 2), 2);
	close(fd);
	assert_string_equal(slurp(tmp), "ok");
	unlink(tmp);
}

/* Errors come back as -errno. */
static void test_errors(void **state)
{
	char tmp[128];

	snprintf(tmp, sizeof(tmp), "%s/no-such-dir/x.tmp", dir);
	assert_int_equal(tmpfile_create(tmp, 0600), -ENOENT);
	assert_int_equal(tmpfile_commit(tmp, "/nonexistent/y"), -ENOENT);
	assert_int_equal(tmpfile_sync_dir("/nonexistent/y"), -ENOENT);
	assert_int_equal(tmpfile_sync_dir("relative-name"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlink_not_followed),
		cmocka_unit_test(test_dangling_symlink),
		cmocka_unit_test(test_stale_file),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
