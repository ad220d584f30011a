// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domain backup XML (src/domain/backup-xml.c): push-mode documents as
 * libvirt's tools write them parsed into the disks, files and modes;
 * what backup_format writes accepted by libvirt's own schema
 * (virt-xml-validate ... domainbackup) and parsed back to the same
 * bytes; pull mode, block targets, other formats and hostile documents
 * refused naming the element.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "domain/backup.h"

/* validates - xml passes virt-xml-validate as a domainbackup. */
static bool validates(const char *xml)
{
	char path[] = "/tmp/wirt-backup-XXXXXX", cmd[600];
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, xml, strlen(xml)), (ssize_t)strlen(xml));
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "virt-xml-validate '%s' domainbackup >/dev/null 2>&1", path);
	r = system(cmd);
	unlink(path);
	return r == 0;
}

/* parse - xml into *b, which must succeed. */
static void parse(const char *xml, struct backup_def *b)
{
	char err[512] = "";

	assert_true(validates(xml));
	if (backup_parse(xml, strlen(xml), b, err, sizeof(err)))
		fail_msg("%s", err);
}

static void test_push(void **state)
{
	const char *xml =
		"<domainbackup mode='push'>\n"
		"  <incremental>cp-1 &amp; 2</incremental>\n"
		"  <disks>\n"
		"    <disk name='vda' type='file'>\n"
		"      <driver type='qcow2'/>\n"
		"      <target file='/b/vda &lt;1&gt;.qcow2'/>\n"
		"    </disk>\n"
		"    <disk name='vdb' backup='no'/>\n"
		"    <disk name='vdc' backup='yes' type='file' backupmode='full'/>\n"
		"  </disks>\n"
		"</domainbackup>\n";
	struct backup_def b, back;
	char err[512] = "", *x, *y;

	(void)state;
	parse(xml, &b);
	assert_string_equal(b.incremental, "cp-1 & 2");
	assert_int_equal(b.ndisks, 3);
	assert_string_equal(b.disks[0].name, "vda");
	assert_string_equal(b.disks[0].file, "/b/vda <1>.qcow2");
	assert_false(b.disks[0].skip || b.disks[0].full);
	assert_true(b.disks[1].skip);
	assert_null(b.disks[1].file);
	assert_true(b.disks[2].full);
	assert_ptr_equal(backup_find(&b, "vdc"), &b.disks[2]);
	assert_null(backup_find(&b, "vdd"));
	x = backup_format(&b);
	assert_non_null(x);
	assert_true(validates(x));
	assert_non_null(strstr(
		x,
		"    <disk name='vda' backup='yes' type='file' backupmode='incremental' incremental='cp-1 &amp; 2'>\n"
		"      <target file='/b/vda &lt;1&gt;.qcow2'/>\n"));
	assert_int_equal(backup_parse(x, strlen(x), &back, err, sizeof(err)),
			 0);
	y = backup_format(&back);
	assert_string_equal(x, y);
	free(x);
	free(y);
	backup_clear(&b);
	backup_clear(&back);
}

static void test_minimal(void **state)
{
	struct backup_def b;
	char *x;

	(void)state;
	parse("<domainbackup/>", &b);
	assert_int_equal(b.ndisks, 0);
	assert_string_equal(b.incremental, "");
	x = backup_format(&b);
	assert_string_equal(x, "<domainbackup mode='push'>\n</domainbackup>\n");
	assert_true(validates(x));
	free(x);
	backup_clear(&b);
}

/* refused - xml is refused with err containing want. */
static void refused(const char *xml, const char *want)
{
	struct backup_def b;
	char err[512] = "";

	assert_int_equal(backup_parse(xml, strlen(xml), &b, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, want))
		fail_msg("'%s' lacks '%s'", err, want);
	assert_int_equal(b.ndisks, 0);
}

static void test_refused(void **state)
{
	char big[600];

	(void)state;
	refused("<domainbackup mode='pull'><server name='h'/></domainbackup>",
		"only mode='push' is supported");
	refused("<domainbackup><server name='h'/></domainbackup>",
		"<server> belongs to pull mode");
	refused("<domainbackup><disks><disk name='vda' type='block'><target dev='/dev/x'/></disk></disks></domainbackup>",
		"block device targets are not supported");
	refused("<domainbackup><disks><disk name='vda' type='file'><driver type='raw'/></disk></disks></domainbackup>",
		"<driver type> must be 'qcow2'");
	refused("<domainbackup><disks><disk name='vda' type='file'><target file='rel.qcow2'/></disk></disks></domainbackup>",
		"<target file> must be an absolute path (line 1)");
	refused("<domainbackup><disks><disk name='../x'/></disks></domainbackup>",
		"<disk name> must be a target like vda");
	refused("<domainbackup><disks><disk name='vda'/><disk name='vda'/></disks></domainbackup>",
		"a disk is named twice");
	refused("<domainbackup><disks><disk name='vda' backup='maybe'/></disks></domainbackup>",
		"<disk backup> must be yes or no");
	refused("<domainbackup><disks><disk name='vda' backupmode='incremental'/></disks></domainbackup>",
		"needs <incremental>");
	refused("<domainbackup><incremental/></domainbackup>",
		"<incremental> must name a checkpoint");
	refused("<domainbackup><disks><disk name='vda' type='file'><target file='/x'><encryption format='luks'/></target></disk></disks></domainbackup>",
		"<encryption> and <seclabel> are not supported");
	refused("<domainsnapshot/>", "<domainbackup> root element");
	refused("<domainbackup>", "not a well-formed document");
	memset(big, 'a', sizeof(big));
	memcpy(big, "<domainbackup><incremental>", 27);
	strcpy(big + 27 + 100, "</incremental></domainbackup>");
	refused(big, "<incremental> must name a checkpoint (1 to 64 bytes)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
