// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CD-ROM drive and the boot order of a definition (src/domain/
 * dom-boot.c): <disk device='cdrom'> on SATA, <os><boot dev>, per-device
 * <boot order>, what the firmware is told (domain_boot_kinds), what is
 * refused and why, and change-media's edit (domain_set_media).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/domain.h"

#define CDROM                                                      \
	"<disk type='file' device='cdrom'><source file='/i.iso'/>" \
	"<target dev='sda' bus='sata'/>%s</disk>"
#define DISK "<disk><source file='/d%d'/><target dev='vd%c'/>%s</disk>"

/* dom - parse <domain> with os inside <os> and devs inside <devices>. */
static struct domain *dom(const char *os, const char *devs)
{
	char xml[2048], err[512] = "";
	struct domain *d = NULL;

	snprintf(xml, sizeof(xml),
		 "<domain type='kvm'><name>b</name><memory>65536</memory>\n"
		 "<os>%s</os>\n<devices>%s</devices></domain>",
		 os, devs);
	if (domain_parse(xml, strlen(xml), "b.xml", &d, err, sizeof(err)))
		fail_msg("parse: %s", err);
	return d;
}

/* fatal - the first fatal issue of d's check holding s, or NULL. */
static const char *fatal(const struct domain *d, const char *s)
{
	static struct dom_issue is[16];
	unsigned int i, n = domain_check(d, is, 16);

	for (i = 0; i < n && i < 16; i++)
		if (is[i].fatal && (!s || strstr(is[i].text, s)))
			return is[i].text;
	return NULL;
}

static void test_cdrom_view(void **state)
{
	char devs[512];
	struct domain *d;
	const struct dom_disk *k;

	snprintf(devs, sizeof(devs), DISK CDROM, 1, 'a', "", "");
	d = dom("<boot dev='cdrom'/><boot dev='hd'/>", devs);
	assert_null(fatal(d, NULL));
	k = &domain_def(d)->disks[1];
	assert_int_equal(k->device, DOM_DEV_CDROM);
	assert_int_equal(k->bus, DOM_BUS_SATA);
	assert_true(k->readonly); /* implied for a CD-ROM */
	assert_string_equal(k->source, "/i.iso");
	assert_int_equal(domain_cdrom(domain_def(d), "sda"), 1);
	assert_int_equal(domain_cdrom(domain_def(d), "/i.iso"), 1);
	assert_int_equal(domain_cdrom(domain_def(d), "vda"), -1);
	domain_free(d);
}

/* What domain_boot_kinds() gives the firmware for each way of saying it. */
static void test_boot_kinds(void **state)
{
	static const struct {
		const char *os, *cd_boot, *disk_boot;
		unsigned int n;
		enum dom_bootdev first, second;
	} cases[] = {
		{ "<boot dev='cdrom'/><boot dev='hd'/>", "", "", 2,
		  DOM_BOOTDEV_CDROM, DOM_BOOTDEV_HD },
		{ "<boot dev='hd'/><boot dev='cdrom'/>", "", "", 2,
		  DOM_BOOTDEV_HD, DOM_BOOTDEV_CDROM },
		{ "<boot dev='hd'/><boot dev='hd'/>", "", "", 1, DOM_BOOTDEV_HD,
		  0 },
		{ "", "<boot order='1'/>", "<boot order='2'/>", 2,
		  DOM_BOOTDEV_CDROM, DOM_BOOTDEV_HD },
		{ "", "<boot order='3'/>", "<boot order='2'/>", 2,
		  DOM_BOOTDEV_HD, DOM_BOOTDEV_CDROM },
		{ "", "<boot order='1'/>", "", 1, DOM_BOOTDEV_CDROM, 0 },
	};
	enum dom_bootdev out[DOMAIN_BOOTDEVS_MAX];
	char devs[512];
	struct domain *d;
	unsigned int i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(devs, sizeof(devs), DISK CDROM, 1, 'a',
			 cases[i].disk_boot, cases[i].cd_boot);
		d = dom(cases[i].os, devs);
		assert_null(fatal(d, NULL));
		n = domain_boot_kinds(domain_def(d), out);
		assert_int_equal(n, cases[i].n);
		assert_int_equal(out[0], cases[i].first);
		if (n > 1)
			assert_int_equal(out[1], cases[i].second);
		domain_free(d);
	}
}

/* Refused by domain_check(), with the fix in the message. */
static void test_refused(void **state)
{
	static const struct {
		const char *os, *devs, *issue;
	} cases[] = {
		{ "<boot dev='cdrom'/>", "", "the domain has no CD-ROM drive" },
		{ "<boot dev='network'/>", "", "network and floppy boot" },
		{ "<boot dev='hd'/>", "CD", "names no disk or CD-ROM drive" },
		{ "", "CDCD", "a second <disk device='cdrom'>" },
		{ "<boot dev='hd'/>",
		  "<disk device='cdrom'><target dev='hdc' bus='ide'/></disk>",
		  "on bus 'ide': the CD-ROM drive is on SATA" },
		{ "<boot dev='cdrom'/>",
		  "<disk device='cdrom'><driver type='qcow2'/>"
		  "<target dev='sda' bus='sata'/></disk>",
		  "CD-ROM images are raw" },
		{ "<boot dev='hd'/>",
		  "<disk><source file='/d'/><target dev='sdb' bus='sata'/>"
		  "</disk>",
		  "disks are on virtio or virtio-scsi" },
		{ "<boot dev='hd'/>",
		  "<controller type='scsi' model='lsilogic'/>"
		  "<disk><source file='/d'/><target dev='sdb' bus='scsi'/>"
		  "</disk>",
		  "use model='virtio-scsi'" },
		{ "<boot dev='hd'/>",
		  "<disk><source file='/d'/><target dev='vda'/><boot order='1'/>"
		  "</disk>",
		  "give only one of them" },
		{ "",
		  "<disk><source file='/d'/><target dev='vda'/><boot order='2'/>"
		  "</disk><disk><source file='/e'/><target dev='vdb'/>"
		  "<boot order='1'/></disk>",
		  "the firmware boots the disks in their <devices> order" },
		{ "",
		  "<interface type='user'><model type='virtio'/>"
		  "<boot order='1'/></interface>",
		  "network (PXE) boot is not supported" },
	};
	char devs[1024];
	struct domain *d;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!strcmp(cases[i].devs, "CD"))
			snprintf(devs, sizeof(devs), CDROM, "");
		else if (!strcmp(cases[i].devs, "CDCD"))
			snprintf(
				devs, sizeof(devs), CDROM CDROM "%s", "", "",
				"<disk><source file='/d'/><target dev='vda'/><boot order='1'/></disk>");
		else
			snprintf(devs, sizeof(devs), "%s", cases[i].devs);
		d = dom(cases[i].os, devs);
		if (!fatal(d, cases[i].issue))
			fail_msg(
				"case %u: no fatal issue with '%s' (first: %s)",
				i, cases[i].issue, fatal(d, NULL) ?: "none");
		domain_free(d);
	}
}

/* Boot orders the parser refuses: not a number, used twice. */
static void test_bad_orders(void **state)
{
	static const char *const bad[][2] = {
		{ "<boot order='x'/>", "give a number from 1" },
		{ "<boot order='0'/>", "give a number from 1" },
		{ "<boot order='-1'/>", "give a number from 1" },
		{ "<boot order='1'/>", "used by another device" },
	};
	char xml[1024], err[512];
	struct domain *d = NULL;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		snprintf(
			xml, sizeof(xml),
			"<domain type='kvm'><name>b</name><memory>65536</memory>"
			"<devices><disk><source file='/d'/><target dev='vda'/>"
			"<boot order='1'/></disk>\n<disk><source file='/e'/>"
			"<target dev='vdb'/>%s</disk></devices></domain>",
			bad[i][0]);
		assert_int_equal(domain_parse(xml, strlen(xml), "b.xml", &d,
					      err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, bad[i][1]) || !strstr(err, "b.xml:2:"))
			fail_msg("'%s' lacks '%s' at line 2", err, bad[i][1]);
	}
}

/* change-media's edit: eject drops <source>, insert puts it back before
 * <target>; fixed disks are not CD-ROM drives. */
static void test_set_media(void **state)
{
	char devs[512], err[256];
	struct domain *d;
	char *out;

	snprintf(devs, sizeof(devs), DISK CDROM, 1, 'a', "", "");
	d = dom("<boot dev='cdrom'/>", devs);
	assert_int_equal(domain_set_media(d, "sda", NULL, err, sizeof(err)), 0);
	assert_null(domain_def(d)->disks[1].source);
	out = domain_format(d);
	assert_null(strstr(out, "/i.iso"));
	free(out);
	assert_null(fatal(d, NULL)); /* an empty drive is fine */
	assert_int_equal(
		domain_set_media(d, "sda", "/new.iso", err, sizeof(err)), 0);
	assert_string_equal(domain_def(d)->disks[1].source, "/new.iso");
	out = domain_format(d);
	assert_non_null(strstr(
		out, "<source file='/new.iso'/>\n      <target dev='sda'"));
	free(out);
	assert_int_equal(
		domain_set_media(d, "/new.iso", "/x.iso", err, sizeof(err)), 0);
	assert_string_equal(domain_def(d)->disks[1].source, "/x.iso");
	assert_int_equal(domain_set_media(d, "vda", NULL, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(domain_def(d)->disks[0].source, "/d1");
	domain_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cdrom_view),
		cmocka_unit_test(test_boot_kinds),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bad_orders),
		cmocka_unit_test(test_set_media),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
