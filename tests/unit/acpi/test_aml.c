// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the AML encoder (src/vmm/acpi/aml.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/acpi/aml.h"

/* Decode a PkgLength at p; stores its byte count in *n. */
static uint32_t decode_pkglen(const uint8_t *p, int *n)
{
	uint32_t v;
	int i;

	*n = (p[0] >> 6) + 1;
	if (*n == 1)
		return p[0] & 0x3f;
	v = p[0] & 0x0f;
	for (i = 1; i < *n; i++)
		v |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	return v;
}

static void check_pkglen(size_t body, const uint8_t *want, int want_n)
{
	uint8_t out[4];
	int n = aml_pkglen_encode(out, body);

	assert_int_equal(n, want_n);
	assert_memory_equal(out, want, want_n);
}

static void test_pkglen_boundaries(void **state)
{
	(void)state;
	check_pkglen(0, (const uint8_t[]){ 0x01 }, 1);
	check_pkglen(62, (const uint8_t[]){ 0x3f }, 1);
	/* 63 + 1 = 64 no longer fits six bits: two bytes, total 65 */
	check_pkglen(63, (const uint8_t[]){ 0x41, 0x04 }, 2);
	check_pkglen(4093, (const uint8_t[]){ 0x4f, 0xff }, 2);
	/* 4094 + 2 = 4096 needs 13 bits: three bytes, total 4097 */
	check_pkglen(4094, (const uint8_t[]){ 0x81, 0x00, 0x01 }, 3);
	check_pkglen(0xffffc, (const uint8_t[]){ 0x8f, 0xff, 0xff }, 3);
	check_pkglen(0xffffd, (const uint8_t[]){ 0xc1, 0x00, 0x00, 0x01 }, 4);
	check_pkglen(0x0ffffffb, (const uint8_t[]){ 0xcf, 0xff, 0xff, 0xff },
		     4);
}

static void test_pkglen_too_big(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(aml_pkglen_encode(out, 0x0ffffffc), -EINVAL);
	assert_int_equal(aml_pkglen_encode(out, SIZE_MAX), -EINVAL);
	assert_int_equal(aml_encode_length(out, 0x10000000), -EINVAL);
}

/* Every encoding decodes to body + its own size, and is the shortest. */
static void test_pkglen_roundtrip(void **state)
{
	static const size_t edges[] = { 0x3f, 0xfff, 0xfffff, 0x0fffffff };
	uint8_t out[4];
	size_t body;
	int n, dn;

	(void)state;
	for (body = 0; body < 0x0fffffff - 4; body = body * 3 / 2 + 1) {
		n = aml_pkglen_encode(out, body);
		assert_true(n >= 1 && n <= 4);
		assert_int_equal(decode_pkglen(out, &dn), body + n);
		assert_int_equal(dn, n);
		/* a shorter encoding could not have held body + (n - 1) */
		if (n > 1)
			assert_true(body + n - 1 > edges[n - 2]);
	}
}

static void test_encode_length_raw(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(aml_encode_length(out, 32), 1);
	assert_int_equal(out[0], 32);
	assert_int_equal(aml_encode_length(out, 64), 2);
	assert_int_equal(out[0], 0x40);
	assert_int_equal(out[1], 0x04);
}

static void expect_name(const char *path, const uint8_t *want, size_t n)
{
	uint8_t buf[64];
	struct aml a;

	aml_init(&a, buf, sizeof(buf));
	aml_name_string(&a, path);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, n);
	assert_memory_equal(buf, want, n);
}

static void expect_bad_name(const char *path)
{
	uint8_t buf[64];
	struct aml a;

	aml_init(&a, buf, sizeof(buf));
	aml_name_string(&a, path);
	assert_int_equal(a.err, -EINVAL);
}

static void test_name_strings(void **state)
{
	(void)state;
	expect_name("GED", (const uint8_t *)"GED_", 4);
	expect_name("\\_S5", (const uint8_t *)"\\_S5_", 5);
	expect_name("\\_SB.PWRB", (const uint8_t *)"\\\x2e_SB_PWRB", 10);
	expect_name("\\_SB.PCI0.S1", (const uint8_t *)"\\\x2f\x03_SB_PCI0S1__",
		    15);
	expect_name("^^PCI0", (const uint8_t *)"^^PCI0", 6);
	expect_name("\\", (const uint8_t *)"\\\0", 2);
	expect_bad_name("ged");
	expect_bad_name("abcd");
	expect_bad_name("1ABC");
	expect_bad_name("ABCDE");
	expect_bad_name("\\_SB..X");
	expect_bad_name("\\_SB.");
}

static void expect_int(uint64_t v, const uint8_t *want, size_t n)
{
	uint8_t buf[16];
	struct aml a;

	aml_init(&a, buf, sizeof(buf));
	aml_integer(&a, v);
	assert_int_equal(a.len, n);
	assert_memory_equal(buf, want, n);
}

static void test_integers(void **state)
{
	(void)state;
	expect_int(0, (const uint8_t[]){ 0x00 }, 1);
	expect_int(1, (const uint8_t[]){ 0x01 }, 1);
	expect_int(2, (const uint8_t[]){ 0x0a, 0x02 }, 2);
	expect_int(0xff, (const uint8_t[]){ 0x0a, 0xff }, 2);
	expect_int(0x100, (const uint8_t[]){ 0x0b, 0x00, 0x01 }, 3);
	expect_int(0xfed00000,
		   (const uint8_t[]){ 0x0c, 0x00, 0x00, 0xd0, 0xfe }, 5);
	expect_int(0x100000000ULL,
		   (const uint8_t[]){ 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 }, 9);
	expect_int(UINT64_MAX, (const uint8_t[]){ 0xff }, 1);
}

static void test_eisaid(void **state)
{
	(void)state;
	assert_int_equal(aml_eisaid("PNP0C0C"), 0x0c0cd041);
	assert_int_equal(aml_eisaid("PNP0A08"), 0x080ad041);
	assert_int_equal(aml_eisaid("PNP0501"), 0x0105d041);
	assert_int_equal(aml_eisaid("PNP0c0c"), 0);
	assert_int_equal(aml_eisaid("PNP0C0"), 0);
	assert_int_equal(aml_eisaid("pNP0C0C"), 0);
	assert_int_equal(aml_eisaid("PNP0C0C0"), 0);
}

/* Name (\_S5, Package (4) { 5, 0, 0, 0 }) byte for byte. */
static void test_package(void **state)
{
	static const uint8_t want[] = { 0x08, '\\', '_',  'S',	'5',
					'_',  0x12, 0x07, 0x04, 0x0a,
					0x05, 0x00, 0x00, 0x00 };
	uint8_t buf[32];
	struct aml a;
	size_t pkg;

	(void)state;
	aml_init(&a, buf, sizeof(buf));
	aml_name(&a, "\\_S5");
	pkg = aml_package_begin(&a, 4);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_pkg_end(&a, pkg);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* A scope whose body needs a 3-byte PkgLength: the body moves intact. */
static void test_large_scope(void **state)
{
	enum { BODY = 5000 };
	uint8_t *buf = malloc(BODY + 64);
	struct aml a;
	size_t mark, i;
	int n;

	(void)state;
	assert_non_null(buf);
	aml_init(&a, buf, BODY + 64);
	mark = aml_scope_begin(&a, "\\_SB");
	for (i = 0; i < BODY - 5; i++)
		aml_byte(&a, i & 0x7f);
	aml_pkg_end(&a, mark);
	assert_int_equal(a.err, 0);
	assert_int_equal(buf[0], AML_SCOPE_OP);
	assert_int_equal(decode_pkglen(buf + 1, &n), BODY + 3);
	assert_int_equal(n, 3);
	assert_int_equal(a.len, 1 + BODY + 3);
	assert_memory_equal(buf + 4, "\\_SB_", 5);
	for (i = 0; i < BODY - 5; i++)
		assert_int_equal(buf[4 + 5 + i], i & 0x7f);
	free(buf);
}

/* Nested objects: the outer length counts the inner PkgLength bytes. */
static void test_nested_method(void **state)
{
	static const uint8_t want[] = {
		0x14, 0x19, '_',  'E',	'V',  'T',  0x09, /* Method (_EVT, 1, S) */
		0xa0, 0x12, 0x7b, 0x60, 0x01, 0x00, /* If (And (Local0, 1)) */
		0x86, '\\', 0x2e, '_',	'S',  'B',  '_',  'P',
		'W',  'R',  'B',  0x0a, 0x80 /* Notify (\_SB.PWRB, 0x80) */
	};
	uint8_t buf[64];
	struct aml a;
	size_t m, c;

	(void)state;
	aml_init(&a, buf, sizeof(buf));
	m = aml_method_begin(&a, "_EVT", 1, true);
	c = aml_if_begin(&a);
	aml_byte(&a, AML_AND_OP);
	aml_byte(&a, AML_LOCAL0_OP);
	aml_integer(&a, 1);
	aml_byte(&a, 0);
	aml_notify(&a, "\\_SB.PWRB", 0x80);
	aml_pkg_end(&a, c);
	aml_pkg_end(&a, m);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_field_and_region(void **state)
{
	static const uint8_t want[] = {
		0x5b, 0x80, 'E',  'R',	'E',  'G',  0x00,
		0x0c, 0x00, 0x00, 0xd0, 0xfe, 0x0a, 0x04, /* OperationRegion */
		0x5b, 0x81, 0x0b, 'E',	'R',  'E',  'G',
		0x43, 'G',  'E',  'V',	'T',  0x20 /* Field (EREG, DWordAcc, NoLock, WriteAsZeros) */
	};
	uint8_t buf[64];
	struct aml a;
	size_t f;

	(void)state;
	aml_init(&a, buf, sizeof(buf));
	aml_opregion(&a, "EREG", AML_SPACE_SYSTEM_MEMORY, 0xfed00000, 4);
	f = aml_field_begin(&a, "EREG",
			    AML_FIELD_DWORD_ACC | AML_FIELD_WRITE_ZEROS);
	aml_field_entry(&a, "GEVT", 32);
	aml_pkg_end(&a, f);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_resources(void **state)
{
	static const uint8_t want[] = {
		0x89, 0x06, 0x00, 0x03, 0x01, 0x09, 0x00, 0x00, 0x00, /* Int */
		0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, /* IO */
		0x22, 0x10, 0x00, /* IRQNoFlags {4} */
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xd0, 0xfe, 0x04,
		0x00, 0x00, 0x00, /* Memory32Fixed */
		0x79, 0x00
	};
	uint8_t buf[64];
	struct aml r;

	(void)state;
	aml_init(&r, buf, sizeof(buf));
	aml_res_interrupt(&r, 9, true, false);
	aml_res_io(&r, 0x3f8, 8);
	aml_res_irq_noflags(&r, 4);
	aml_res_mem32_fixed(&r, 0xfed00000, 4, true);
	aml_res_end(&r);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	aml_init(&r, buf, sizeof(buf));
	aml_res_irq_noflags(&r, 16);
	assert_int_equal(r.err, -EINVAL);
	aml_init(&r, buf, sizeof(buf));
	aml_res_word_io(&r, 0x2000, 0x1000);
	assert_int_equal(r.err, -EINVAL);
}

static void test_buffer(void **state)
{
	static const uint8_t data[] = { 0x79, 0x00 };
	static const uint8_t want[] = { 0x11, 0x05, 0x0a, 0x02, 0x79, 0x00 };
	uint8_t buf[16];
	struct aml a;

	(void)state;
	aml_init(&a, buf, sizeof(buf));
	aml_buffer(&a, data, sizeof(data));
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_uuid(void **state)
{
	static const uint8_t want[] = { 0x11, 0x13, 0x0a, 0x10, 0x5b,
					0x4d, 0xdb, 0x33, 0xf7, 0x1f,
					0x1c, 0x40, 0x96, 0x57, 0x74,
					0x41, 0xc0, 0x3d, 0xd7, 0x66 };
	static const char *const bad[] = {
		"33DB4D5B-1FF7-401C-9657-7441C03DD76",
		"33DB4D5B-1FF7-401C-9657-7441C03DD7666",
		"33DB4D5B+1FF7-401C-9657-7441C03DD766",
		"33DB4D5G-1FF7-401C-9657-7441C03DD766",
		"33DB4D5B-1FF7-401C-9657-7441C03DD7 6",
	};
	uint8_t buf[32];
	struct aml a;
	size_t i;

	(void)state;
	aml_init(&a, buf, sizeof(buf));
	aml_uuid(&a, "33db4d5b-1ff7-401c-9657-7441C03DD766");
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a, buf, sizeof(buf));
		aml_uuid(&a, bad[i]);
		assert_int_equal(a.err, -EINVAL);
	}
}

/* Out of room: err is -ENOSPC, nothing is written past cap. */
static void test_no_space(void **state)
{
	uint8_t buf[32];
	struct aml a;
	size_t cap, mark, i;

	(void)state;
	for (cap = 0; cap < 20; cap++) {
		memset(buf, 0xee, sizeof(buf));
		aml_init(&a, buf, cap);
		mark = aml_device_begin(&a, "PWRB");
		aml_name_int(&a, "_UID", 0x1234);
		aml_pkg_end(&a, mark);
		/* the device is 2 + 1 + 4 + 1 + 4 + 3 = 15 bytes long */
		if (cap < 15) {
			assert_int_equal(a.err, -ENOSPC);
		} else {
			assert_int_equal(a.err, 0);
			assert_int_equal(a.len, 15);
		}
		assert_true(a.len <= cap);
		for (i = cap; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0xee);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglen_boundaries),
		cmocka_unit_test(test_pkglen_too_big),
		cmocka_unit_test(test_pkglen_roundtrip),
		cmocka_unit_test(test_encode_length_raw),
		cmocka_unit_test(test_name_strings),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_package),
		cmocka_unit_test(test_large_scope),
		cmocka_unit_test(test_nested_method),
		cmocka_unit_test(test_field_and_region),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_no_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
