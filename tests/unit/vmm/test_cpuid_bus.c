// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: CPUID topology per vCPU, I/O bus dispatch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/bus.h"
#include "vmm/kvm/cpuid.h"

static void fill(struct kvm_cpuid_entry2 *e, int amd)
{
	memset(e, 0, 8 * sizeof(*e));
	e[0].function = 0;
	e[0].ebx = amd ? 0x68747541 : 0x756e6547;
	e[1].function = 1;
	e[1].ebx = 0xffff0800; /* junk APIC id and count from the host */
	e[1].ecx = 1u << 3; /* monitor */
	e[2].function = 0xb;
	e[2].index = 0;
	e[3].function = 0xb;
	e[3].index = 1;
	e[4].function = 4;
	e[4].eax = 0xfc000121;
	e[5].function = 0x80000008;
	e[5].ecx = 0xffff;
	e[6].function = 0x8000001e;
	e[7].function = 0x80000001;
}

static void test_topology_intel(void **state)
{
	struct kvm_cpuid_entry2 e[8];

	fill(e, 0);
	cpuid_adjust(e, 8, 5, 6);
	assert_int_equal(e[1].ebx >> 24, 5);
	assert_int_equal((e[1].ebx >> 16) & 0xff, 8);
	assert_int_equal(e[1].ebx & 0xffff, 0x0800);
	assert_true(e[1].edx & (1u << 28));
	assert_true(e[1].ecx & (1u << 31));
	assert_false(e[1].ecx & (1u << 3));
	assert_int_equal(e[2].edx, 5);
	assert_int_equal(e[2].ebx, 1);
	assert_int_equal((e[2].ecx >> 8) & 0xff, 1);
	assert_int_equal(e[3].eax, 3);
	assert_int_equal(e[3].ebx, 6);
	assert_int_equal((e[3].ecx >> 8) & 0xff, 2);
	assert_int_equal(e[4].eax >> 26, 7);
	assert_int_equal(e[4].eax & 0x03ffffff, 0x121);
	/* AMD-only leaves untouched on Intel */
	assert_int_equal(e[5].ecx, 0xffff);
}

static void test_topology_amd_single(void **state)
{
	struct kvm_cpuid_entry2 e[8];

	fill(e, 1);
	cpuid_adjust(e, 8, 0, 1);
	assert_int_equal(e[1].ebx >> 24, 0);
	assert_false(e[1].edx & (1u << 28));
	assert_int_equal(e[5].ecx & 0xff, 0);
	assert_int_equal(e[6].eax, 0);
	assert_false(e[7].ecx & 2);

	fill(e, 1);
	cpuid_adjust(e, 8, 3, 4);
	assert_int_equal(e[5].ecx & 0xff, 3);
	assert_int_equal((e[5].ecx >> 12) & 0xf, 2);
	assert_int_equal(e[6].eax, 3);
	assert_true(e[7].ecx & 2);
	assert_int_equal(cpuid_core_bits(1), 0);
	assert_int_equal(cpuid_core_bits(2), 1);
	assert_int_equal(cpuid_core_bits(255), 8);
}

struct rec {
	uint64_t off;
	uint8_t val;
	int calls;
};

static void rec_fn(void *opaque, uint64_t off, uint8_t *data,
		   unsigned int size, bool wr)
{
	struct rec *r = opaque;

	r->calls++;
	r->off = off;
	if (wr)
		r->val = data[0];
	else
		data[0] = 0x42;
}

static void test_bus(void **state)
{
	struct bus b;
	struct rec r = { 0 };
	uint8_t d[4];

	memset(&b, 0, sizeof(b));
	assert_int_equal(bus_register(&b, 0x3f8, 8, rec_fn, &r, "uart"), 0);
	assert_int_equal(bus_register(&b, 0x3ff, 2, rec_fn, &r, "x"), -EEXIST);
	assert_int_equal(bus_register(&b, 0x3f0, 9, rec_fn, &r, "x"), -EEXIST);
	assert_int_equal(bus_register(&b, 0x3f0, 8, rec_fn, &r, "x"), 0);
	assert_int_equal(bus_register(&b, 0, 0, rec_fn, &r, "x"), -EINVAL);
	assert_int_equal(bus_register(&b, UINT64_MAX, 2, rec_fn, &r, "x"),
			 -EINVAL);

	d[0] = 7;
	assert_true(bus_access(&b, 0x3fb, d, 1, true));
	assert_int_equal(r.off, 3);
	assert_int_equal(r.val, 7);
	assert_true(bus_access(&b, 0x3f8, d, 1, false));
	assert_int_equal(d[0], 0x42);
	assert_false(bus_access(&b, 0x400, d, 4, false));
	assert_int_equal(d[0], 0xff);
	assert_int_equal(d[3], 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topology_intel),
		cmocka_unit_test(test_topology_amd_single),
		cmocka_unit_test(test_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
