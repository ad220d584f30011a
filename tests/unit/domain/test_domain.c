// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The libvirt domain XML model: parse, typed view, normalization as
 * libvirt does it on define, the round trip through domain_format(), and
 * refusal of bad documents with their line numbers.
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

#ifndef DATA_DIR
#error DATA_DIR must name tests/unit/domain/data
#endif

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = n;
	return buf;
}

static struct domain *parse_file(const char *name)
{
	char err[512] = "", *xml;
	struct domain *d;
	size_t len;
	int r;

	xml = slurp(name, &len);
	r = domain_parse(xml, len, name, &d, err, sizeof(err));
	free(xml);
	if (r)
		fail_msg("%s: %s", name, err);
	return d;
}

/* parse_str - parse xml; returns the error code, err set. */
static int parse_str(const char *xml, struct domain **d, char *err,
		     size_t errlen)
{
	return domain_parse(xml, strlen(xml), "t.xml", d, err, errlen);
}

static void test_view(void **state)
{
	struct domain *d = parse_file("installer-style.xml");
	const struct dom_def *v = domain_def(d);

	assert_string_equal(v->name, "db1");
	assert_null(v->uuid);
	assert_int_equal(v->memory_kib, 2097152);
	assert_int_equal(v->current_memory_kib, 1048576);
	assert_int_equal(v->vcpus, 2);
	assert_string_equal(v->kernel, "/srv/boot/vmlinuz");
	assert_string_equal(v->cmdline, "console=ttyS0 root=/dev/vda1");
	assert_int_equal(v->on_reboot, DOM_LC_RESTART);
	assert_int_equal(v->ndisks, 2);
	assert_int_equal(v->disks[0].format, DOM_FMT_QCOW2);
	assert_int_equal(v->disks[0].bus, DOM_BUS_VIRTIO);
	assert_string_equal(v->disks[0].source,
			    "/var/lib/libvirt/images/db1.qcow2");
	assert_string_equal(v->disks[0].serial, "db1-root");
	assert_false(v->disks[0].readonly);
	assert_int_equal(v->disks[1].type, DOM_DISK_BLOCK);
	assert_int_equal(v->disks[1].cache, DOM_CACHE_NONE);
	assert_string_equal(v->disks[1].source, "/dev/vg0/db1-data");
	assert_true(v->disks[1].readonly);
	assert_int_equal(v->nnics, 2);
	assert_int_equal(v->nics[0].type, DOM_NIC_USER);
	assert_null(v->nics[0].mac);
	assert_int_equal(v->nics[1].type, DOM_NIC_ETHERNET);
	assert_string_equal(v->nics[1].target, "tap-db1");
	assert_string_equal(v->nics[1].mac, "52:54:00:aa:bb:cc");
	assert_int_equal(v->nchardevs, 1);
	assert_true(v->balloon);
	assert_true(v->rng);
	domain_free(d);
}

static void test_normalize(void **state)
{
	struct domain *d = parse_file("installer-style.xml");
	const struct dom_def *v;
	char err[256], *out;

	assert_int_equal(domain_normalize(d, err, sizeof(err)), 0);
	v = domain_def(d);
	assert_non_null(v->uuid);
	assert_int_equal(strlen(v->uuid), 36);
	assert_int_equal(v->uuid[14], '4'); /* version 4 */
	assert_non_null(v->nics[0].mac);
	assert_memory_equal(v->nics[0].mac, "52:54:00:", 9);
	assert_string_equal(v->nics[1].mac, "52:54:00:aa:bb:cc");
	assert_int_equal(v->nchardevs, 2); /* the serial port and its console */
	assert_true(v->chardevs[1].console);
	out = domain_format(d);
	assert_non_null(out);
	assert_non_null(strstr(out, "<memory unit='KiB'>2097152</memory>"));
	assert_non_null(strstr(
		out, "<currentMemory unit='KiB'>1048576</currentMemory>"));
	assert_non_null(strstr(out, "<vcpu placement='static'>2</vcpu>"));
	assert_non_null(strstr(out, "    <boot dev='hd'/>\n"));
	assert_non_null(strstr(out, "<on_crash>destroy</on_crash>"));
	assert_non_null(strstr(out, "      <target port='0'/>\n"));
	assert_non_null(
		strstr(out, "      <target type='serial' port='0'/>\n"));
	/* kept whole: metadata with its namespace, features, pm, controllers */
	assert_non_null(strstr(
		out, "<libosinfo:os id='http://debian.org/debian/12'/>"));
	assert_non_null(strstr(
		out,
		"xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'"));
	assert_non_null(strstr(out, "<suspend-to-mem enabled='no'/>"));
	assert_non_null(strstr(
		out, "<controller type='usb' model='qemu-xhci' ports='15'/>"));
	/* libvirt's order: uuid right after name, on_* after clock */
	assert_true(strstr(out, "<uuid>") < strstr(out, "<metadata>"));
	assert_true(strstr(out, "</clock>") < strstr(out, "<on_poweroff>"));
	assert_true(strstr(out, "<on_crash>") < strstr(out, "<pm>"));
	assert_memory_equal(out, "<domain type='kvm'>\n  <name>db1</name>\n",
			    37);
	free(out);
	domain_free(d);
}

/* Normalizing twice, or parsing the output again, changes nothing. */
static void test_round_trip(void **state)
{
	struct domain *d = parse_file("installer-style.xml"), *d2;
	char err[256], *a, *b, *c;

	assert_int_equal(domain_normalize(d, err, sizeof(err)), 0);
	a = domain_format(d);
	assert_int_equal(domain_normalize(d, err, sizeof(err)), 0);
	b = domain_format(d);
	assert_string_equal(a, b);
	assert_int_equal(parse_str(a, &d2, err, sizeof(err)), 0);
	assert_int_equal(domain_normalize(d2, err, sizeof(err)), 0);
	c = domain_format(d2);
	assert_string_equal(a, c);
	free(a);
	free(b);
	free(c);
	domain_free(d);
	domain_free(d2);
}

static void test_minimal_defaults(void **state)
{
	struct domain *d = parse_file("minimal.xml");
	const struct dom_def *v = domain_def(d);
	char err[256], *out;

	assert_int_equal(v->vcpus, 1);
	assert_int_equal(v->memory_kib, 256 * 1024);
	assert_int_equal(domain_normalize(d, err, sizeof(err)), 0);
	out = domain_format(d);
	assert_non_null(strstr(
		out, "<currentMemory unit='KiB'>262144</currentMemory>"));
	assert_non_null(strstr(out, "<vcpu placement='static'>1</vcpu>"));
	assert_non_null(strstr(out, "<type>hvm</type>"));
	free(out);
	domain_free(d);
}

static void expect_error(const char *xml, const char *want)
{
	struct domain *d = NULL;
	char err[512] = "";

	assert_int_not_equal(parse_str(xml, &d, err, sizeof(err)), 0);
	assert_null(d);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_errors(void **state)
{
	expect_error(
		"<domain type='kvm'>\n<name>x</name>\n<memory>1</memorx>\n</domain>",
		"t.xml:3: Opening and ending tag mismatch");
	expect_error("<domain type='kvm'>\n  <memory>1024</memory>\n</domain>",
		     "t.xml:1: <domain> has no <name>");
	expect_error("<domain type='xen'><name>x</name></domain>",
		     "use type='kvm'");
	expect_error("<network><name>x</name></network>",
		     "not a domain definition");
	expect_error(
		"<domain type='kvm'>\n<name>a/b</name>\n<memory>1024</memory></domain>",
		"t.xml:2: <name> 'a/b' holds '/'");
	expect_error(
		"<domain type='kvm'><name>x</name>\n<memory unit='parsec'>1</memory></domain>",
		"t.xml:2: <memory> '1' unit 'parsec'");
	expect_error(
		"<domain type='kvm'><name>x</name><memory>1024</memory>\n<currentMemory>2048</currentMemory></domain>",
		"t.xml:2: <currentMemory> must be");
	expect_error(
		"<domain type='kvm'><name>x</name><memory>1024</memory>\n<vcpu>0</vcpu></domain>",
		"t.xml:2: <vcpu> '0'");
	expect_error(
		"<domain type='kvm'><name>x</name><uuid>xyz</uuid><memory>1024</memory></domain>",
		"<uuid> 'xyz' is not a UUID");
	expect_error(
		"<domain type='kvm'><name>x</name><memory>1024</memory>\n<on_reboot>explode</on_reboot></domain>",
		"t.xml:2: <on_reboot> 'explode'");
	expect_error(
		"<domain type='kvm'><name>x</name><memory>1024</memory><devices>\n"
		"<interface type='user'><mac address='01:00:5e:00:00:01'/></interface></devices></domain>",
		"t.xml:2: <mac address='01:00:5e:00:00:01'>");
	expect_error(
		"<domain type='kvm'><name>x</name><memory>1024</memory><devices>\n"
		"<disk type='file'><source file='/a'/></disk></devices></domain>",
		"t.xml:2: <disk> has no <target");
	expect_error(
		"<!DOCTYPE domain [<!ENTITY a 'aaaa'>]><domain type='kvm'><name>&a;</name><memory>1024</memory></domain>",
		"<!DOCTYPE> is not allowed");
}

static void test_too_big(void **state)
{
	size_t n = DOMAIN_XML_MAX + 1;
	char *xml = malloc(n), err[256];
	struct domain *d;

	assert_non_null(xml);
	memset(xml, ' ', n);
	assert_int_equal(domain_parse(xml, n, "big.xml", &d, err, sizeof(err)),
			 -E2BIG);
	assert_non_null(strstr(err, "at most"));
	free(xml);
}

static void test_uuid_canonical(void **state)
{
	struct domain *d;
	char err[256];

	assert_int_equal(
		parse_str(
			"<domain type='kvm'><name>x</name><uuid>4DEA22B31D52D8F32516782E98AB3FA0</uuid><memory>1024</memory></domain>",
			&d, err, sizeof(err)),
		0);
	assert_string_equal(domain_def(d)->uuid,
			    "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
	domain_free(d);
}

/* find - the issue whose text contains s, or NULL. */
static const struct dom_issue *find(const struct dom_issue *is, unsigned int n,
				    const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strstr(is[i].text, s))
			return &is[i];
	return NULL;
}

static void test_check_supported(void **state)
{
	struct domain *d = parse_file("installer-style.xml");
	struct dom_issue is[32];
	unsigned int n, i;

	n = domain_check(d, is, 32);
	assert_true(n <= 32);
	for (i = 0; i < n; i++)
		if (is[i].fatal)
			fail_msg("unexpected refusal: line %d: %s", is[i].line,
				 is[i].text);
	/* warnings, one per element, with its line */
	assert_non_null(find(is, n, "<controller>"));
	assert_int_equal(find(is, n, "<input>")->line, 60);
	assert_non_null(find(is, n, "<graphics>"));
	assert_non_null(find(is, n, "<video>"));
	assert_non_null(find(is, n, "<channel>"));
	assert_non_null(find(is, n, "<pm>"));
	assert_non_null(find(is, n, "<timer>"));
	domain_free(d);
}

static void test_check_refused(void **state)
{
	struct domain *d = parse_file("unsupported.xml");
	struct dom_issue is[32];
	const struct dom_issue *x;
	unsigned int n;

	n = domain_check(d, is, 32);
	x = find(is, n, "<disk device='cdrom'> on bus 'ide'");
	assert_non_null(x);
	assert_true(x->fatal);
	assert_int_equal(x->line, 10);
	x = find(is, n, "bus='ide'");
	assert_true(x && x->fatal && x->line == 14);
	x = find(is, n, "<model type='e1000'>"); /* a network NIC, not virtio */
	assert_true(x && x->fatal && x->line == 18);
	x = find(is, n, "<hostdev>");
	assert_true(x && x->fatal && x->line == 22);
	assert_true(find(is, n, "<sound>")->fatal);
	assert_true(find(is, n, "<watchdog>")->fatal);
	/* no <kernel>: the firmware boots, from disks and the CD-ROM only */
	assert_null(find(is, n, "<kernel>"));
	x = find(is, n, "<boot dev='fd'>");
	assert_true(x && x->fatal && x->line == 7);
	domain_free(d);
}

/* The boot: <kernel> directly, else BIOS (SeaBIOS or a <loader> ROM);
 * UEFI, <loader> with <kernel>, other loader types refused. */
static void test_firmware(void **state)
{
	static const char fmt[] =
		"<domain type='kvm'><name>x</name><memory>1024</memory>\n"
		"<os%s>%s</os><devices><disk><source file='/d'/>"
		"<target dev='vda'/></disk></devices></domain>";
	static const struct {
		const char *attr, *os, *issue;
		enum dom_boot boot;
		const char *loader;
	} cases[] = {
		{ "", "<kernel>/k</kernel>", NULL, DOM_BOOT_KERNEL, NULL },
		{ "", "<type>hvm</type><boot dev='hd'/>", NULL, DOM_BOOT_BIOS,
		  NULL },
		{ "", "<loader readonly='yes' type='rom'>/fw/bios.bin</loader>",
		  NULL, DOM_BOOT_BIOS, "/fw/bios.bin" },
		{ " firmware='efi'", "", NULL, DOM_BOOT_EFI, NULL },
		{ " firmware='efi'", "<nvram>/v/x_VARS.fd</nvram>", NULL,
		  DOM_BOOT_EFI, NULL },
		{ "", "<loader readonly='yes' type='pflash'>/o.fd</loader>",
		  NULL, DOM_BOOT_EFI, "/o.fd" },
		{ "", "<loader type='pflash' secure='yes'>/o.fd</loader>",
		  "secure boot needs SMM", DOM_BOOT_EFI, "/o.fd" },
		{ "", "<loader type='pflash' readonly='no'>/o.fd</loader>",
		  "<loader readonly='no'>", DOM_BOOT_EFI, "/o.fd" },
		{ " firmware='efi'",
		  "<firmware><feature enabled='yes' name='secure-boot'/></firmware>",
		  "<feature name='secure-boot' enabled='yes'>", DOM_BOOT_EFI,
		  NULL },
		{ "", "<nvram>/v/x_VARS.fd</nvram>",
		  "<nvram> is the UEFI variable store", DOM_BOOT_BIOS, NULL },
		{ "", "<kernel>/k</kernel><nvram>/v.fd</nvram>",
		  "<nvram> with <kernel>", DOM_BOOT_KERNEL, NULL },
		{ "", "<loader>/b</loader><kernel>/k</kernel>",
		  "<loader> with <kernel>", DOM_BOOT_KERNEL, "/b" },
		{ "", "<loader type='floppy'>/b</loader>",
		  "<loader type='floppy'>", DOM_BOOT_BIOS, "/b" },
		{ "", "<boot dev='network'/>", "<boot dev='network'>",
		  DOM_BOOT_BIOS, NULL },
	};
	char xml[512], err[512];
	struct dom_issue is[8];
	struct domain *d;
	const struct dom_def *def;
	unsigned int i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(xml, sizeof(xml), fmt, cases[i].attr, cases[i].os);
		assert_int_equal(parse_str(xml, &d, err, sizeof(err)), 0);
		def = domain_def(d);
		assert_int_equal(def->boot, cases[i].boot);
		if (cases[i].loader)
			assert_string_equal(def->loader, cases[i].loader);
		else
			assert_null(def->loader);
		if (strstr(cases[i].os, "<nvram>/v/x_VARS.fd"))
			assert_string_equal(def->nvram, "/v/x_VARS.fd");
		n = domain_check(d, is, 8);
		if (cases[i].issue)
			assert_true(find(is, n, cases[i].issue)->fatal);
		else
			while (n--)
				assert_false(is[n].fatal);
		domain_free(d);
	}
}

/* <bandwidth> of an interface: KiB/s and KiB as given, bad values refused
 * with their line, only on interfaces whose tap wirtd makes. */
static void test_bandwidth(void **state)
{
	static const char head[] =
		"<domain type='kvm'><name>x</name><memory>1024</memory><devices>\n";
	char xml[1024], err[512] = "";
	struct domain *d = NULL;
	const struct dom_nic *k;
	struct dom_issue is[8];
	unsigned int n;

	snprintf(
		xml, sizeof(xml),
		"%s<interface type='network'><source network='lab'/><model type='virtio'/>\n"
		"<bandwidth><inbound average='1000' peak='5000' burst='1024'/>\n"
		"<outbound average='128'/></bandwidth></interface>\n"
		"<interface type='user'><model type='virtio'/></interface></devices></domain>",
		head);
	assert_int_equal(parse_str(xml, &d, err, sizeof(err)), 0);
	k = &domain_def(d)->nics[0];
	assert_true(k->in.average == 1000 && k->in.peak == 5000 &&
		    k->in.burst == 1024 && k->in.line == 3);
	assert_true(k->out.average == 128 && !k->out.peak && !k->out.burst &&
		    k->out.line == 4);
	k = &domain_def(d)->nics[1];
	assert_true(!k->in.average && !k->out.average);
	n = domain_check(d, is, 8);
	assert_null(find(is, n, "<bandwidth>"));
	domain_free(d);

	snprintf(
		xml, sizeof(xml),
		"%s<interface type='user'><model type='virtio'/>\n"
		"<bandwidth><outbound average='10'/></bandwidth></interface></devices></domain>",
		head);
	assert_int_equal(parse_str(xml, &d, err, sizeof(err)), 0);
	n = domain_check(d, is, 8);
	assert_non_null(find(is, n, "<bandwidth> on <interface type='user'>"));
	assert_true(find(is, n, "<bandwidth>")->fatal);
	domain_free(d);

	snprintf(
		xml, sizeof(xml),
		"%s<interface type='network'><source network='lab'/><bandwidth>\n"
		"<inbound peak='10'/></bandwidth></interface></devices></domain>",
		head);
	expect_error(xml, "t.xml:3: <inbound average=''>: give the average");
	snprintf(
		xml, sizeof(xml),
		"%s<interface type='network'><source network='lab'/><bandwidth>\n"
		"<inbound average='100' peak='10'/></bandwidth></interface></devices></domain>",
		head);
	expect_error(xml, "t.xml:3: <inbound peak='10'>: give the peak");
	snprintf(
		xml, sizeof(xml),
		"%s<interface type='bridge'><source bridge='br0'/><bandwidth>\n"
		"<outbound average='0x10'/></bandwidth></interface></devices></domain>",
		head);
	expect_error(xml, "t.xml:3: <outbound average='0x10'>");
	snprintf(
		xml, sizeof(xml),
		"%s<interface type='bridge'><source bridge='br0'/><bandwidth>\n"
		"<outbound average='10' burst='99999999999'/></bandwidth></interface></devices></domain>",
		head);
	expect_error(
		xml,
		"t.xml:3: <outbound burst='99999999999'>: give the burst in KiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_view),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_uuid_canonical),
		cmocka_unit_test(test_check_supported),
		cmocka_unit_test(test_check_refused),
		cmocka_unit_test(test_firmware),
		cmocka_unit_test(test_bandwidth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
