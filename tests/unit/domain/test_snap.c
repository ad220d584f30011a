// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domain snapshot XML (src/domain/snap-xml.c): a running and a shut-off
 * snapshot written in libvirt's layout, accepted by libvirt's own schema
 * (virt-xml-validate ... domainsnapshot), parsed back to the same fields
 * and written again byte for byte (the embedded domain kept as libvirt
 * quotes it); wrong or hostile documents refused naming the element.
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

#include "domain/snap.h"

static const char dom[] = "<domain type='kvm'>\n"
			  "  <name>t &amp; u</name>\n"
			  "  <memory unit='KiB'>65536</memory>\n"
			  "  <os>\n"
			  "    <type arch='x86_64' machine='pc'>hvm</type>\n"
			  "  </os>\n"
			  "</domain>\n";

/* validates - xml passes virt-xml-validate as a domainsnapshot. */
static bool validates(const char *xml)
{
	char path[] = "/tmp/wirt-snap-XXXXXX", cmd[600];
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, xml, strlen(xml)), (ssize_t)strlen(xml));
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "virt-xml-validate '%s' domainsnapshot >/dev/null 2>&1", path);
	r = system(cmd);
	unlink(path);
	return r == 0;
}

/* round_trip - s formatted, validated, parsed into *back, formatted
 * again to the same bytes. Returns the first text (free it). */
static char *round_trip(const struct snap_def *s, struct snap_def *back)
{
	char err[512] = "";
	char *x = snap_format(s), *y;

	assert_non_null(x);
	assert_true(validates(x));
	if (snap_parse(x, strlen(x), back, err, sizeof(err)))
		fail_msg("%s", err);
	y = snap_format(back);
	assert_non_null(y);
	assert_string_equal(x, y);
	free(y);
	return x;
}

static void test_running(void **state)
{
	struct snap_def s = { .name = "before-upgrade",
			      .state = SNAP_RUNNING,
			      .parent = "base",
			      .creation_time = 1796620549,
			      .memory = true,
			      .ndisks = 2 },
			b;
	char *x;

	strcpy(s.disks[0].name, "vda");
	s.disks[0].internal = true;
	strcpy(s.disks[1].name, "hdc");
	s.description = strdup("a <b> & 'c'");
	s.domain = strdup(dom);
	x = round_trip(&s, &b);
	assert_non_null(
		strstr(x, "<domainsnapshot>\n"
			  "  <name>before-upgrade</name>\n"
			  "  <description>a &lt;b&gt; &amp; 'c'</description>\n"
			  "  <state>running</state>\n"
			  "  <parent>\n    <name>base</name>\n  </parent>\n"
			  "  <creationTime>1796620549</creationTime>\n"
			  "  <memory snapshot='internal'/>\n"
			  "  <disks>\n"
			  "    <disk name='vda' snapshot='internal'/>\n"
			  "    <disk name='hdc' snapshot='no'/>\n"
			  "  </disks>\n"
			  "  <domain type='kvm'>\n"
			  "    <name>t &amp; u</name>\n"));
	assert_non_null(strstr(x, "  </domain>\n</domainsnapshot>\n"));
	assert_string_equal(b.name, "before-upgrade");
	assert_string_equal(b.description, "a <b> & 'c'");
	assert_int_equal(b.state, SNAP_RUNNING);
	assert_string_equal(b.parent, "base");
	assert_int_equal(b.creation_time, 1796620549);
	assert_true(b.memory);
	assert_int_equal(b.ndisks, 2);
	assert_true(b.disks[0].internal);
	assert_false(b.disks[1].internal);
	assert_string_equal(b.domain, dom);
	free(x);
	snap_clear(&b);
	snap_clear(&s);
}

static void test_shutoff_root(void **state)
{
	struct snap_def s = { .name = "1796620549",
			      .state = SNAP_SHUTOFF,
			      .creation_time = 1796620549,
			      .ndisks = 1 },
			b;
	char *x;

	strcpy(s.disks[0].name, "vda");
	s.disks[0].internal = true;
	s.domain = strdup(dom);
	x = round_trip(&s, &b);
	assert_null(strstr(x, "<parent>"));
	assert_null(strstr(x, "<description>"));
	assert_non_null(strstr(x, "  <memory snapshot='no'/>\n"));
	assert_int_equal(b.state, SNAP_SHUTOFF);
	assert_string_equal(b.parent, "");
	assert_null(b.description);
	free(x);
	snap_clear(&b);
	snap_clear(&s);
}

static void test_external(void **state)
{
	struct snap_def s = { .name = "ext",
			      .state = SNAP_DISK_ONLY,
			      .creation_time = 7,
			      .ndisks = 2 },
			b;
	char *x;

	strcpy(s.disks[0].name, "vda");
	s.disks[0].file = strdup("/srv/a b/d&1.ext");
	strcpy(s.disks[1].name, "vdb");
	x = round_trip(&s, &b);
	assert_non_null(strstr(x, "  <state>disk-snapshot</state>\n"));
	assert_non_null(strstr(
		x, "    <disk name='vda' snapshot='external' type='file'>\n"
		   "      <driver type='qcow2'/>\n"
		   "      <source file='/srv/a b/d&amp;1.ext'/>\n"
		   "    </disk>\n"
		   "    <disk name='vdb' snapshot='no'/>\n"));
	assert_string_equal(b.disks[0].file, "/srv/a b/d&1.ext");
	assert_false(b.disks[0].internal);
	assert_null(b.disks[1].file);
	free(x);
	snap_clear(&b);
	snap_clear(&s);
}

/* refused - xml is refused with an error containing what. */
static void refused(const char *xml, const char *what)
{
	struct snap_def s;
	char err[512] = "";

	assert_int_equal(snap_parse(xml, strlen(xml), &s, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, what))
		fail_msg("'%s' lacks '%s'", err, what);
}

#define HEAD "<domainsnapshot><name>a</name>"
#define TIME "<creationTime>5</creationTime>"

static void test_refused(void **state)
{
	refused("<domain/>", "<domainsnapshot> root");
	refused("<domainsnapshot><name>x", "<domainsnapshot> root");
	refused("<domainsnapshot><name>../x</name></domainsnapshot>",
		"<name> must be");
	refused("<domainsnapshot><state>running</state></domainsnapshot>",
		"<name> must be");
	refused(HEAD "<state>dancing</state>" TIME "</domainsnapshot>",
		"<state> must be");
	refused(HEAD "<state>running</state></domainsnapshot>",
		"<creationTime>");
	refused(HEAD "<state>running</state><creationTime>-1</creationTime>"
		     "</domainsnapshot>",
		"<creationTime>");
	refused(HEAD "<state>running</state><creationTime>99999999999999999999"
		     "</creationTime></domainsnapshot>",
		"<creationTime>");
	refused(HEAD "<state>running</state>" TIME
		     "<parent><name>a/b</name></parent></domainsnapshot>",
		"<parent><name>");
	refused(HEAD "<state>running</state>" TIME
		     "<memory snapshot='external'/></domainsnapshot>",
		"<memory snapshot>");
	refused(HEAD "<state>running</state>" TIME
		     "<disks><disk name='../vda' snapshot='internal'/></disks>"
		     "</domainsnapshot>",
		"<disk name>");
	refused(HEAD "<state>running</state>" TIME
		     "<disks><disk name='vda' snapshot='maybe'/></disks>"
		     "</domainsnapshot>",
		"<disk snapshot>");
	refused(HEAD
		"<state>disk-snapshot</state>" TIME
		"<disks><disk name='vda' snapshot='external'>"
		"<source file='rel/path'/></disk></disks></domainsnapshot>",
		"<source file>");
	/* an external entity is not fetched: the name stays invalid */
	refused("<!DOCTYPE s [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
		"<domainsnapshot><name>&e;</name><state>running</state>" TIME
		"</domainsnapshot>",
		"<name> must be");
}

static void test_long_description(void **state)
{
	size_t n = SNAP_DESC_MAX + 200;
	char *x = malloc(n + 200);

	assert_non_null(x);
	strcpy(x, HEAD "<description>");
	memset(x + strlen(x), 'd', SNAP_DESC_MAX + 1);
	strcpy(x + strlen(HEAD "<description>") + SNAP_DESC_MAX + 1,
	       "</description><state>running</state>" TIME "</domainsnapshot>");
	refused(x, "<description> is longer");
	free(x);
}

static void test_names(void **state)
{
	char longest[SNAP_NAME_MAX + 2];

	assert_true(snap_name_ok("a"));
	assert_true(snap_name_ok("before-upgrade_2.0"));
	assert_false(snap_name_ok(""));
	assert_false(snap_name_ok(".hidden"));
	assert_false(snap_name_ok("a/b"));
	assert_false(snap_name_ok("a b"));
	memset(longest, 'x', SNAP_NAME_MAX);
	longest[SNAP_NAME_MAX] = 0;
	assert_true(snap_name_ok(longest));
	strcat(longest, "x");
	assert_false(snap_name_ok(longest));
	assert_string_equal(snap_state_name(SNAP_DISK_ONLY), "disk-snapshot");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_shutoff_root),
		cmocka_unit_test(test_external),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_long_description),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
