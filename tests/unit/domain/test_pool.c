// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Storage pool XML (src/domain/pool-xml.c): dir and logical pools parsed,
 * written in libvirt's layout and accepted by libvirt's own schema
 * (virt-xml-validate ... storagepool), parsed back to the same fields;
 * hostile or wrong documents refused naming the element. And disks given
 * as <disk type='volume'><source pool volume/> in the domain model.
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

#include "domain/domain.h"
#include "domain/pool.h"

/* parse_ok - xml parsed into *p, or the test fails with the error. */
static void parse_ok(const char *xml, struct pool_def *p)
{
	char err[512] = "";

	if (pool_parse(xml, strlen(xml), p, err, sizeof(err)))
		fail_msg("%s", err);
}

/* validates - xml passes virt-xml-validate as a storagepool. */
static bool validates(const char *xml)
{
	char path[] = "/tmp/wirt-pool-XXXXXX", cmd[600];
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, xml, strlen(xml)), (ssize_t)strlen(xml));
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "virt-xml-validate '%s' storagepool >/dev/null 2>&1", path);
	r = system(cmd);
	unlink(path);
	return r == 0;
}

static void test_dir_round_trip(void **state)
{
	struct pool_def p, q;
	struct pool_sizes s = { 1000, 200, 800 };
	char *xml;

	parse_ok("<pool type='dir'><name>images</name>"
		 "<target><path>/srv/a &amp; b</path></target></pool>",
		 &p);
	assert_int_equal(p.type, POOL_DIR);
	assert_string_equal(p.name, "images");
	assert_string_equal(p.target, "/srv/a & b");
	assert_int_equal(strlen(p.uuid), 36); /* made up */
	assert_int_equal(p.uuid[14], '4');
	xml = pool_format(&p, &s);
	assert_non_null(xml);
	assert_non_null(strstr(xml, "<path>/srv/a &amp; b</path>"));
	assert_non_null(strstr(xml,
			       "  <capacity unit='bytes'>1000</capacity>\n"
			       "  <allocation unit='bytes'>200</allocation>\n"
			       "  <available unit='bytes'>800</available>\n"));
	assert_true(validates(xml));
	parse_ok(xml, &q);
	assert_string_equal(q.uuid, p.uuid);
	assert_string_equal(q.target, p.target);
	free(xml);
}

static void test_logical(void **state)
{
	struct pool_def p, q;
	char *xml;

	parse_ok("<pool type='logical'><name>vg0</name>"
		 "<source><device path='/dev/sdb1'/><device path='/dev/sdc1'/>"
		 "<name>vmvg</name><format type='lvm2'/></source>"
		 "<target><path>/dev/vmvg</path></target></pool>",
		 &p);
	assert_int_equal(p.type, POOL_LOGICAL);
	assert_string_equal(p.vg, "vmvg");
	assert_int_equal(p.ndevices, 2);
	assert_string_equal(p.devices[1], "/dev/sdc1");
	assert_string_equal(p.target, "/dev/vmvg");
	xml = pool_format(&p, NULL);
	assert_true(validates(xml));
	parse_ok(xml, &q);
	assert_int_equal(q.ndevices, 2);
	assert_string_equal(q.vg, "vmvg");
	free(xml);
	/* the volume group defaults to the pool's name */
	parse_ok("<pool type='logical'><name>vg1</name></pool>", &p);
	assert_string_equal(p.vg, "vg1");
	assert_string_equal(p.target, "/dev/vg1");
}

/* refused - xml is refused with an error holding what. */
static void refused(const char *xml, const char *what)
{
	char err[512] = "";
	struct pool_def p;

	assert_int_equal(pool_parse(xml, strlen(xml), &p, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, what))
		fail_msg("'%s' does not say '%s'", err, what);
}

static void test_refused(void **state)
{
	static const char long_name[] =
		"<pool type='dir'><name>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</name>"
		"<target><path>/x</path></target></pool>";

	refused("<pool type='dir'><name>x</name></pool>", "<target><path>");
	refused("<pool type='dir'><name>x</name><target><path>rel</path></target></pool>",
		"absolute");
	refused("<pool type='netfs'><name>x</name></pool>", "type 'netfs'");
	refused("<pool><name>x</name></pool>", "type ''");
	refused("<pool type='dir'><target><path>/x</path></target></pool>",
		"<name>");
	refused("<pool type='dir'><name>../x</name><target><path>/x</path></target></pool>",
		"name '../x'");
	refused(long_name, "<name>");
	refused("<pool type='dir'><name>x</name><uuid>nope</uuid><target><path>/x</path></target></pool>",
		"<uuid>");
	refused("<domain type='kvm'/>", "<pool> root");
	refused("<pool type='dir'><name>x</", "<pool> root");
	refused("<!DOCTYPE p [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
		"<pool type='dir'><name>&e;</name><target><path>/x</path></target></pool>",
		"<name>");
	refused("<pool type='logical'><name>x</name><source><device path='sdb'/></source></pool>",
		"<device path>");
}

static void test_volume_disk(void **state)
{
	static const char xml[] =
		"<domain type='kvm'><name>v</name><memory>65536</memory>"
		"<os><type>hvm</type><kernel>/k</kernel></os><devices>"
		"<disk type='volume' device='disk'><source pool='default' volume='d.qcow2'/>"
		"<target dev='vda' bus='virtio'/></disk>"
		"<disk type='volume' device='disk'><source pool='default'/>"
		"<target dev='vdb' bus='virtio'/></disk></devices></domain>";
	const struct dom_def *v;
	struct dom_issue is[8];
	struct domain *d;
	char err[512] = "";
	unsigned int n, i, fatal = 0;

	if (domain_parse(xml, sizeof(xml) - 1, "v.xml", &d, err, sizeof(err)))
		fail_msg("%s", err);
	v = domain_def(d);
	assert_int_equal(v->disks[0].type, DOM_DISK_VOLUME);
	assert_string_equal(v->disks[0].pool, "default");
	assert_string_equal(v->disks[0].volume, "d.qcow2");
	assert_null(v->disks[0].source);
	n = domain_check(d, is, 8);
	for (i = 0; i < n && i < 8; i++)
		if (is[i].fatal) {
			fatal++;
			assert_non_null(strstr(
				is[i].text,
				"<source pool='POOL' volume='VOLUME'/>"));
		}
	assert_int_equal(fatal, 1); /* only vdb, which names no volume */
	domain_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir_round_trip),
		cmocka_unit_test(test_logical),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_volume_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
