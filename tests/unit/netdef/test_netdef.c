// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The network XML model: libvirt's default network formatted exactly as
 * libvirt writes it, every supported element round-tripped, normalization,
 * hostile and wrong values refused with their line, subnet overlaps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netdef/netdef.h"

static char err[512];

/* Parse s, asserting success. */
static struct netdef *parse_ok(const char *s)
{
	struct netdef *n = NULL;

	if (netdef_parse(s, strlen(s), "t.xml", &n, err, sizeof(err)))
		fail_msg("%s", err);
	return n;
}

/* Parse s, asserting failure with msg (and "t.xml:LINE:") in err. */
static void parse_bad(const char *s, int line, const char *msg)
{
	struct netdef *n = NULL;
	char at[32];

	assert_int_equal(
		netdef_parse(s, strlen(s), "t.xml", &n, err, sizeof(err)),
		-EINVAL);
	assert_null(n);
	snprintf(at, sizeof(at), "t.xml:%d: ", line);
	if (strncmp(err, at, strlen(at)) || !strstr(err, msg))
		fail_msg("got '%s', want '%s%s'", err, at, msg);
}

static void test_default(void **state)
{
	static const char in[] =
		"<network>\n"
		"  <name>default</name>\n"
		"  <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>\n"
		"  <forward mode='nat'/>\n"
		"  <bridge name='virbr0' stp='on' delay='0'/>\n"
		"  <mac address='52:54:00:0a:0b:0c'/>\n"
		"  <ip address='192.168.122.1' netmask='255.255.255.0'>\n"
		"    <dhcp>\n"
		"      <range start='192.168.122.2' end='192.168.122.254'/>\n"
		"    </dhcp>\n"
		"  </ip>\n"
		"</network>\n";
	struct netdef *n = parse_ok(in);
	struct in_addr net;
	unsigned int prefix;
	char *out;

	assert_int_equal(n->forward, NETDEF_FWD_NAT);
	assert_string_equal(n->bridge, "virbr0");
	assert_non_null(netdef_ipv4(n, &net, &prefix));
	assert_int_equal(prefix, 24);
	assert_int_equal(net.s_addr, inet_addr("192.168.122.0"));
	out = netdef_format(n);
	assert_string_equal(out, in); /* byte for byte libvirt's layout */
	free(out);
	free(n);
}

static void test_normalize(void **state)
{
	struct netdef *n = parse_ok(
		"<network><name>x</name><forward/><ip address='10.1.0.1' prefix='16'/></network>");
	char *out;

	assert_int_equal(n->forward, NETDEF_FWD_NAT); /* <forward/> is nat */
	assert_int_equal(netdef_normalize(n, "virbr3"), 0);
	assert_int_equal(strlen(n->uuid), 36);
	assert_string_equal(n->bridge, "virbr3");
	assert_int_equal(strncmp(n->mac, "52:54:00:", 9), 0);
	out = netdef_format(n);
	assert_non_null(
		strstr(out, "<bridge name='virbr3' stp='on' delay='0'/>"));
	assert_non_null(strstr(out, "<ip address='10.1.0.1' prefix='16'/>"));
	free(out);
	free(n);
	/* a bridged network gets no bridge of its own, nor a MAC */
	n = parse_ok(
		"<network><name>lan</name><forward mode='bridge'/><bridge name='br0'/></network>");
	assert_int_equal(netdef_normalize(n, "virbr4"), 0);
	assert_string_equal(n->bridge, "br0");
	assert_string_equal(n->mac, "");
	out = netdef_format(n);
	assert_non_null(strstr(out, "<bridge name='br0'/>"));
	free(out);
	free(n);
}

static void test_full_roundtrip(void **state)
{
	static const char in[] =
		"<network><name>lab</name>"
		"<metadata><w:portforward xmlns:w='" NETDEF_WIRT_NS
		"' port='2222' to='10.77.0.10' toport='22'/></metadata>"
		"<forward mode='nat' dev='eth0'/><domain name='lab.example'/>"
		"<dns><host ip='10.77.0.1'><hostname>gw</hostname></host></dns>"
		"<ip address='10.77.0.1' prefix='24'><dhcp>"
		"<range start='10.77.0.100' end='10.77.0.199'/>"
		"<host mac='52:54:00:00:00:AA' name='web' ip='10.77.0.10'/>"
		"</dhcp></ip></network>";
	struct netdef *n = parse_ok(in), *m;
	char *out, *again;

	assert_int_equal(n->nfwd, 1);
	assert_int_equal(n->fwd[0].port, 2222);
	assert_int_equal(n->fwd[0].toport, 22);
	assert_false(n->fwd[0].udp);
	assert_string_equal(n->ips[0].hosts[0].mac, "52:54:00:00:00:aa");
	assert_string_equal(n->dns[0].names[0], "gw");
	assert_string_equal(n->forward_dev, "eth0");
	out = netdef_format(n);
	m = parse_ok(out);
	again = netdef_format(m);
	assert_string_equal(out, again);
	assert_non_null(strstr(out, "<forward dev='eth0' mode='nat'/>"));
	assert_non_null(strstr(
		out, "proto='tcp' port='2222' to='10.77.0.10' toport='22'/>"));
	free(out);
	free(again);
	free(n);
	free(m);
}

static void test_refused(void **state)
{
	parse_bad("<network>\n<forward mode='nat'/>\n</network>", 1,
		  "has no <name>");
	parse_bad("<network><name>../etc</name></network>", 1, "<name>: give");
	parse_bad(
		"<network><name>a</name>\n<forward mode='hostdev'/></network>",
		2, "<forward mode='hostdev'> is not supported");
	parse_bad(
		"<network><name>a</name>\n\n<ip address='10.0.0.1' netmask='255.0.255.0'/></network>",
		3, "contiguous netmask");
	parse_bad(
		"<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp>\n"
		"<range start='10.0.1.2' end='10.0.1.9'/></dhcp></ip></network>",
		2, "give two addresses of 10.0.0.1/24");
	parse_bad(
		"<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp>\n"
		"<range start='10.0.0.9' end='10.0.0.2'/></dhcp></ip></network>",
		2, "start first");
	parse_bad(
		"<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp>\n"
		"<host mac='01:00:5e:00:00:01' ip='10.0.0.5'/></dhcp></ip></network>",
		2, "not a unicast MAC");
	parse_bad("<network><name>a</name>\n<bridge name='a/b'/></network>", 2,
		  "<bridge name='a/b'>");
	parse_bad("<network><name>a</name>\n<forward mode='bridge'/></network>",
		  1, "needs <bridge name='BRIDGE'/>");
	parse_bad("<network><name>a</name>\n<mtu size='9000'/></network>", 2,
		  "<mtu> is not supported");
	parse_bad(
		"<network><name>a</name><metadata>\n<x/></metadata></network>",
		2, "holds only wirt's <portforward");
	parse_bad("<network><name>a</name><ip address='10.0.0.1' prefix='24'/>"
		  "<metadata><p:portforward xmlns:p='" NETDEF_WIRT_NS
		  "' port='80' to='10.0.0.5'/></metadata></network>",
		  1, "port forwards need <forward mode='nat'>");
	parse_bad(
		"<network><name>a</name><forward/><ip address='10.0.0.1' prefix='24'/>"
		"<metadata><p:portforward xmlns:p='" NETDEF_WIRT_NS
		"' port='80' to='10.9.0.5'/></metadata></network>",
		1, "port forward to '10.9.0.5'");
	parse_bad(
		"<!DOCTYPE network [<!ENTITY x 'y'>]><network><name>&x;</name></network>",
		0, "<!DOCTYPE> is not allowed");
	parse_bad("<domain><name>a</name></domain>", 1,
		  "root element must be <network>");
	parse_bad("<network><name>a</name>", 0, "not well-formed XML");
}

static void test_update_host(void **state)
{
	struct netdef *n = parse_ok(
		"<network><name>u</name><ip address='10.5.0.1' prefix='24'><dhcp>"
		"<range start='10.5.0.100' end='10.5.0.200'/>"
		"<host mac='52:54:00:00:00:01' ip='10.5.0.10'/></dhcp></ip></network>");

	assert_int_equal(
		netdef_update_host(
			n, true,
			"<host mac='52:54:00:00:00:02' name='b' ip='10.5.0.11'/>",
			err, sizeof(err)),
		0);
	assert_int_equal(n->ips[0].nhosts, 2);
	assert_string_equal(n->ips[0].hosts[1].name, "b");
	/* the same MAC, or the same address, twice: refused */
	assert_int_equal(
		netdef_update_host(
			n, true,
			"<host mac='52:54:00:00:00:02' ip='10.5.0.12'/>", err,
			sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "already a DHCP host entry"));
	assert_int_equal(
		netdef_update_host(
			n, true,
			"<host mac='52:54:00:00:00:03' ip='10.5.0.10'/>", err,
			sizeof(err)),
		-EINVAL);
	/* outside the subnet, not a <host>, hostile XML */
	assert_int_equal(
		netdef_update_host(
			n, true,
			"<host mac='52:54:00:00:00:04' ip='10.6.0.1'/>", err,
			sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "give an address of 10.5.0.1/24"));
	assert_int_equal(netdef_update_host(n, true, "<range start='x'/>", err,
					    sizeof(err)),
			 -EINVAL);
	assert_int_equal(netdef_update_host(n, true, "<host", err, sizeof(err)),
			 -EINVAL);
	/* delete by MAC */
	assert_int_equal(
		netdef_update_host(
			n, false,
			"<host mac='52:54:00:00:00:01' ip='10.5.0.10'/>", err,
			sizeof(err)),
		0);
	assert_int_equal(n->ips[0].nhosts, 1);
	assert_string_equal(n->ips[0].hosts[0].ip, "10.5.0.11");
	assert_int_equal(
		netdef_update_host(
			n, false,
			"<host mac='52:54:00:00:00:09' ip='10.5.0.19'/>", err,
			sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "no DHCP host entry matches"));
	free(n);
}

static void test_conf(void **state)
{
	struct netdef *n = parse_ok(
		"<network><name>c</name><uuid>0f8fe884-6c02-401e-8551-cca97df1c5df</uuid>"
		"<forward mode='nat'/><bridge name='wbr1'/>"
		"<metadata><w:portforward xmlns:w='" NETDEF_WIRT_NS
		"' port='2222' to='10.5.0.10' toport='22'/></metadata>"
		"<ip address='10.5.0.1' prefix='24'><dhcp>"
		"<range start='10.5.0.100' end='10.5.0.200'/>"
		"<host mac='52:54:00:00:00:01' name='web' ip='10.5.0.10'/></dhcp></ip></network>");
	char *conf = netdef_dnsmasq_conf(n, "/r/p", "/l/l", "/r/h", "/r/a");
	char *hosts = netdef_dnsmasq_hosts(n), *nft = netdef_nft_rules(n);

	assert_non_null(strstr(conf, "\ninterface=wbr1\n"));
	assert_non_null(strstr(conf, "\nbind-dynamic\n"));
	assert_non_null(strstr(
		conf, "\ndhcp-range=10.5.0.100,10.5.0.200,255.255.255.0\n"));
	assert_non_null(strstr(conf, "\ndhcp-leasefile=/l/l\n"));
	assert_null(strstr(conf, "no-resolv"));
	assert_string_equal(hosts, "52:54:00:00:00:01,10.5.0.10,web\n");
	assert_non_null(strstr(
		nft, "table inet wirt_0f8fe8846c02401e8551cca97df1c5df {\n"));
	assert_non_null(strstr(
		nft,
		"\t\tip saddr 10.5.0.0/24 ip daddr != 10.5.0.0/24 masquerade\n"));
	assert_non_null(strstr(
		nft,
		"\t\tfib daddr type local tcp dport 2222 dnat ip to 10.5.0.10:22\n"));
	assert_non_null(strstr(
		nft,
		"\t\toifname \"wbr1\" reject with icmpx admin-prohibited\n"));
	free(conf);
	free(hosts);
	free(nft);
	free(n);
	/* isolated: no upstream DNS, no router, no NAT, nothing forwarded */
	n = parse_ok("<network><name>i</name><bridge name='wbr2'/>"
		     "<ip address='10.6.0.1' prefix='24'/></network>");
	conf = netdef_dnsmasq_conf(n, "/p", "/l", "/h", "/a");
	nft = netdef_nft_rules(n);
	assert_non_null(strstr(conf, "\nno-resolv\ndhcp-option=3\n"));
	assert_null(strstr(nft, "masquerade"));
	assert_null(strstr(nft, "accept\n\t\tiifname \"wbr2\" ip saddr"));
	assert_non_null(strstr(nft, "\t\tiifname \"wbr2\" reject"));
	free(conf);
	free(nft);
	free(n);
}

static void test_overlaps(void **state)
{
	struct in_addr a = { inet_addr("192.168.122.0") };
	struct in_addr b = { inet_addr("192.168.0.0") };
	struct in_addr c = { inet_addr("192.168.123.0") };

	assert_true(netdef_overlaps(a, 24, b, 16));
	assert_true(netdef_overlaps(b, 16, a, 24));
	assert_false(netdef_overlaps(a, 24, c, 24));
	assert_true(netdef_overlaps(a, 23, c, 24));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_full_roundtrip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_update_host),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
