// SPDX-License-Identifier: GPL-2.0-or-later
/* --net option parsing and the user-mode egress filter. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/net/backend.h"
#include "vmm/net/netopts.h"

static char err[256];

static void test_user_defaults(void **state)
{
	struct net_opts o;
	const uint8_t mac0[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	const uint8_t mac3[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x59 };

	assert_int_equal(net_parse_opts("user", 0, &o, err, sizeof(err)), 0);
	assert_int_equal(o.kind, NET_USER);
	assert_int_equal(o.nfwd, 0);
	assert_memory_equal(o.mac, mac0, 6);
	/* deterministic per device index */
	assert_int_equal(net_parse_opts("user", 3, &o, err, sizeof(err)), 0);
	assert_memory_equal(o.mac, mac3, 6);
}

static void test_tap_fd(void **state)
{
	struct net_opts o;

	assert_int_equal(net_parse_opts("tap=tap0", 0, &o, err, sizeof(err)),
			 0);
	assert_int_equal(o.tapfd, -1);
	assert_int_equal(
		net_parse_opts("tap-fd=7,vhost=on,mac=52:54:00:00:00:09", 0, &o,
			       err, sizeof(err)),
		0);
	assert_int_equal(o.kind, NET_TAP);
	assert_int_equal(o.tapfd, 7);
	assert_true(o.vhost);
	assert_string_equal(o.ifname, "");
	assert_int_equal(o.mac[5], 9);
	/* stdin..stderr, junk, too large: refused with the rule */
	assert_int_equal(net_parse_opts("tap-fd=2", 0, &o, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "tap-fd '2': give the number (3 to"));
	assert_int_equal(net_parse_opts("tap-fd=x", 0, &o, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		net_parse_opts("tap-fd=70000", 0, &o, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(net_parse_opts("tap-fd=", 0, &o, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(net_parse_opts("tap-fd=5,hostfwd=tcp::1-:2", 0, &o,
					err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "unknown key 'hostfwd' for a tap"));
}

static void test_user_hostfwd(void **state)
{
	struct net_opts o;
	char a[INET_ADDRSTRLEN];

	assert_int_equal(
		net_parse_opts(
			"user,hostfwd=tcp:127.0.0.1:8022-:22,hostfwd=tcp::8080-10.0.2.15:80,hostfwd=udp:5353-:53,mac=02:00:00:AA:bb:01",
			0, &o, err, sizeof(err)),
		0);
	assert_int_equal(o.nfwd, 3);
	assert_false(o.fwd[0].udp);
	inet_ntop(AF_INET, &o.fwd[0].haddr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_int_equal(o.fwd[0].hport, 8022);
	assert_int_equal(o.fwd[0].gaddr.s_addr, 0);
	assert_int_equal(o.fwd[0].gport, 22);
	/* empty ADDR is the loopback, never every address */
	inet_ntop(AF_INET, &o.fwd[1].haddr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	inet_ntop(AF_INET, &o.fwd[1].gaddr, a, sizeof(a));
	assert_string_equal(a, "10.0.2.15");
	assert_true(o.fwd[2].udp);
	inet_ntop(AF_INET, &o.fwd[2].haddr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_int_equal(o.fwd[2].hport, 5353);
	assert_int_equal(o.mac[3], 0xaa);
	assert_int_equal(o.mac[5], 0x01);
}

static void test_tap(void **state)
{
	struct net_opts o;

	assert_int_equal(net_parse_opts("tap=tap0", 0, &o, err, sizeof(err)),
			 0);
	assert_int_equal(o.kind, NET_TAP);
	assert_string_equal(o.ifname, "tap0");
	assert_false(o.vhost);
	assert_int_equal(net_parse_opts("tap=wirt-tap.1,vhost=on", 1, &o, err,
					sizeof(err)),
			 0);
	assert_true(o.vhost);
	assert_string_equal(o.ifname, "wirt-tap.1");
	assert_int_equal(o.mac[5], 0x57);
}

/* spec must fail with a message containing want */
static void expect_error(const char *spec, const char *want)
{
	struct net_opts o;

	err[0] = '\0';
	assert_int_equal(net_parse_opts(spec, 0, &o, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, want))
		fail_msg("'%s': message '%s' lacks '%s'", spec, err, want);
}

static void test_errors(void **state)
{
	char longspec[2048];

	expect_error("", "user");
	expect_error("bridge=br0", "unknown backend 'bridge=br0'");
	expect_error("user,foo=1", "unknown key 'foo'");
	expect_error("user,vhost=on", "unknown key 'vhost'");
	expect_error("tap=tap0,hostfwd=tcp::1-:2", "unknown key 'hostfwd'");
	expect_error("tap=tap0,vhost=yes", "vhost 'yes'");
	expect_error("user,mac", "not KEY=VALUE");
	expect_error("user,mac=52:54:00:12:34", "mac '52:54:00:12:34'");
	expect_error("user,mac=52:54:00:12:34:5g", "mac");
	expect_error("user,mac=52-54-00-12-34-56", "mac");
	expect_error("user,mac=01:00:5e:00:00:01", "unicast"); /* multicast */
	expect_error("user,mac=00:00:00:00:00:00", "mac");
	expect_error("user,mac=52:54:00:12:34:56,mac=52:54:00:12:34:57",
		     "twice");
	expect_error("user,hostfwd=tcp:127.0.0.1:80", "hostfwd");
	expect_error("user,hostfwd=sctp::1-:2", "hostfwd");
	expect_error("user,hostfwd=tcp::0-:22", "host address or port");
	expect_error("user,hostfwd=tcp::65536-:22", "host address or port");
	expect_error("user,hostfwd=tcp:1.2.3:80-:22", "host address");
	expect_error("user,hostfwd=tcp::80-:", "guest address or port");
	expect_error("user,hostfwd=tcp::80-192.168.1.5:22", "10.0.2.0/24");
	expect_error("tap=", "interface name");
	expect_error("tap=abcdefghijklmnopq", "interface name");
	expect_error("tap=../x", "interface name");
	memset(longspec, 'a', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	memcpy(longspec, "user,", 5);
	expect_error(longspec, "too long");
}

static void test_too_many_hostfwd(void **state)
{
	char spec[1024] = "user";
	unsigned int i;
	struct net_opts o;

	for (i = 0; i <= NET_MAX_HOSTFWD; i++)
		sprintf(spec + strlen(spec), ",hostfwd=tcp::%u-:22", 2000 + i);
	assert_int_equal(net_parse_opts(spec, 0, &o, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "at most"));
}

/* --- the user-mode egress filter --- */

static uint8_t fr[128];

/* An Ethernet + IPv4 frame to dst with protocol proto; returns length. */
static size_t ipv4(const char *dst, uint8_t proto, size_t l4len)
{
	struct in_addr a;
	size_t tot = 20 + l4len;

	memset(fr, 0, sizeof(fr));
	fr[12] = 0x08;
	fr[13] = 0x00;
	fr[14] = 0x45;
	fr[16] = tot >> 8;
	fr[17] = tot & 0xff;
	fr[22] = 64;
	fr[23] = proto;
	inet_pton(AF_INET, "10.0.2.15", &a);
	memcpy(fr + 26, &a, 4);
	inet_pton(AF_INET, dst, &a);
	memcpy(fr + 30, &a, 4);
	return 14 + tot;
}

static size_t tcp(const char *dst, uint16_t dport, uint8_t flags)
{
	size_t len = ipv4(dst, 6, 20);

	fr[36] = dport >> 8;
	fr[37] = dport & 0xff;
	fr[47] = flags;
	return len;
}

static size_t udp(const char *dst, uint16_t dport)
{
	size_t len = ipv4(dst, 17, 8);

	fr[36] = dport >> 8;
	fr[37] = dport & 0xff;
	return len;
}

static void test_filter(void **state)
{
	size_t len;

	/* to the gateway (the host's loopback): everything */
	assert_true(net_user_filter(fr, tcp("10.0.2.2", 8000, 0x02)));
	assert_true(net_user_filter(fr, udp("10.0.2.2", 9999)));
	assert_true(net_user_filter(fr, ipv4("10.0.2.2", 1, 8)));
	/* DHCP */
	assert_true(net_user_filter(fr, udp("255.255.255.255", 67)));
	assert_false(net_user_filter(fr, udp("255.255.255.255", 68)));
	/* no new connection anywhere else */
	assert_false(net_user_filter(fr, tcp("93.184.216.34", 80, 0x02)));
	assert_false(net_user_filter(fr, tcp("10.0.2.3", 53, 0x02)));
	assert_false(net_user_filter(fr, tcp("10.0.2.7", 22, 0x02)));
	assert_false(net_user_filter(fr, tcp("127.0.0.1", 22, 0x02)));
	/* but replies on existing (hostfwd) connections pass */
	assert_true(net_user_filter(fr, tcp("192.0.2.9", 40000, 0x12)));
	assert_true(net_user_filter(fr, tcp("192.0.2.9", 40000, 0x10)));
	/* DNS and other datagrams and pings outside: dropped */
	assert_false(net_user_filter(fr, udp("10.0.2.3", 53)));
	assert_false(net_user_filter(fr, udp("8.8.8.8", 53)));
	assert_false(net_user_filter(fr, ipv4("8.8.8.8", 1, 8)));
	assert_false(net_user_filter(fr, ipv4("8.8.8.8", 47, 8)));
	/* a fragment outside, where the ports cannot be seen */
	len = tcp("8.8.8.8", 80, 0x10);
	fr[20] = 0x20; /* more fragments */
	assert_false(net_user_filter(fr, len));
	/* ARP passes, IPv6 and others do not */
	memset(fr, 0, 60);
	fr[12] = 0x08;
	fr[13] = 0x06;
	assert_true(net_user_filter(fr, 42));
	fr[12] = 0x86;
	fr[13] = 0xdd;
	assert_false(net_user_filter(fr, 60));
	/* malformed: short frames, bad header lengths, lying total length */
	assert_false(net_user_filter(fr, 10));
	len = tcp("10.0.2.2", 80, 0x02);
	assert_false(net_user_filter(fr, 30));
	fr[14] = 0x44; /* IHL 16 bytes */
	assert_false(net_user_filter(fr, len));
	fr[14] = 0x45;
	fr[16] = 0x10; /* total length beyond the frame */
	assert_false(net_user_filter(fr, len));
	len = tcp("8.8.8.8", 80, 0x10);
	assert_false(net_user_filter(fr, len - 10)); /* truncated TCP */
	fr[14] = 0x65; /* not IPv4 */
	assert_false(net_user_filter(fr, len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_defaults),
		cmocka_unit_test(test_tap_fd),
		cmocka_unit_test(test_user_hostfwd),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_many_hostfwd),
		cmocka_unit_test(test_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
