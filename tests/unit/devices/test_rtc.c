// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the CMOS RTC: memory sizes, the clock, indices, reset. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/devices/rtc.h"

/* 2026-12-07 13:45:56 UTC, a Monday */
static time_t fixed_now(void)
{
	return 1796651156;
}

static uint8_t rd(struct rtc *r, uint8_t idx)
{
	uint8_t v = idx;

	rtc_io(r, 0, &v, 1, true);
	rtc_io(r, 1, &v, 1, false);
	return v;
}

static void wr(struct rtc *r, uint8_t idx, uint8_t val)
{
	rtc_io(r, 0, &idx, 1, true);
	rtc_io(r, 1, &val, 1, true);
}

static void test_memory_bytes(void **state)
{
	struct rtc r;

	(void)state;
	rtc_init(&r, 512u << 20, 0, 2);
	assert_int_equal(rd(&r, 0x15) | rd(&r, 0x16) << 8, 640);
	/* 1 MiB to 64 MiB in KiB, capped at 0xffff */
	assert_int_equal(rd(&r, 0x17) | rd(&r, 0x18) << 8, 0xffff);
	assert_int_equal(rd(&r, 0x34) | rd(&r, 0x35) << 8,
			 (512 - 16) << 4); /* 64 KiB units */
	assert_int_equal(rd(&r, 0x5b) | rd(&r, 0x5c) << 8 | rd(&r, 0x5d) << 16,
			 0);
	assert_int_equal(rd(&r, 0x5f), 1);

	rtc_init(&r, 3ull << 30, 5ull << 30, 1);
	assert_int_equal(rd(&r, 0x5b) | rd(&r, 0x5c) << 8 | rd(&r, 0x5d) << 16,
			 (5ull << 30) >> 16);
	/* bit 7 of the index is the NMI mask: 0x80 | 0x5f reads 0x5f */
	assert_int_equal(rd(&r, 0x80 | 0x5f), 0);
	assert_int_equal(rd(&r, 0xff), rd(&r, 0x7f));
}

static void test_clock(void **state)
{
	struct rtc r;

	(void)state;
	rtc_init(&r, 64u << 20, 0, 1);
	r.now = fixed_now;
	assert_int_equal(rd(&r, 0x00), 0x56); /* BCD */
	assert_int_equal(rd(&r, 0x02), 0x45);
	assert_int_equal(rd(&r, 0x04), 0x13);
	assert_int_equal(rd(&r, 0x07), 0x07);
	assert_int_equal(rd(&r, 0x08), 0x12);
	assert_int_equal(rd(&r, 0x09), 0x26);
	assert_int_equal(rd(&r, 0x32), 0x20);
	assert_int_equal(rd(&r, 0x0a) & 0x80, 0); /* never updating */
	assert_int_equal(rd(&r, 0x0d), 0x80);

	wr(&r, 0x0b, 0x06); /* binary, 24 hour */
	assert_int_equal(rd(&r, 0x00), 56);
	wr(&r, 0x04, 20); /* set the hour: the clock moves 7 h ahead */
	assert_int_equal(rd(&r, 0x04), 20);
	assert_int_equal(r.offset, 7 * 3600);
	wr(&r, 0x02, 99); /* out of range: ignored */
	assert_int_equal(rd(&r, 0x02), 45);
	wr(&r, 0x0b, 0x00); /* BCD, 12 hour: 20:45 is 8 PM */
	assert_int_equal(rd(&r, 0x04), 0x80 | 0x08);
}

static void test_reset_keeps_nvram(void **state)
{
	struct rtc r;

	(void)state;
	rtc_init(&r, 64u << 20, 0, 1);
	wr(&r, 0x40, 3);
	wr(&r, 0x0b, 0x02 | 0x40); /* periodic interrupt enable */
	rtc_reset(&r);
	assert_int_equal(rd(&r, 0x40), 3);
	assert_int_equal(rd(&r, 0x0b), 0x02);
	assert_int_equal(rd(&r, 0x15) | rd(&r, 0x16) << 8, 640);
}

static void test_save_load(void **state)
{
	uint8_t buf[RTC_STATE_LEN];
	struct rtc a, b;
	unsigned int i;

	(void)state;
	rtc_init(&a, 128u << 20, 0, 1);
	a.now = fixed_now;
	wr(&a, 0x41, 0x5a);
	wr(&a, 0x02, 0x50); /* 13:50: the clock runs 4 min 4 s ahead */
	rtc_save(&a, buf);
	rtc_init(&b, 64u << 20, 0, 4);
	b.now = fixed_now;
	assert_int_equal(rtc_load(&b, buf, sizeof(buf)), 0);
	assert_int_equal(rd(&b, 0x41), 0x5a);
	assert_int_equal(rd(&b, 0x02), 0x50);
	assert_int_equal(rd(&b, 0x34) | rd(&b, 0x35) << 8, (128 - 16) << 4);

	/* hostile: a short or long buffer, an absurd clock offset, an
	 * index with bit 7 set */
	assert_int_equal(rtc_load(&b, buf, sizeof(buf) - 1), -EINVAL);
	assert_int_equal(rtc_load(&b, buf, sizeof(buf) + 1), -EINVAL);
	for (i = 0; i < 8; i++)
		buf[1 + RTC_CMOS_SIZE + i] = i == 7 ? 0x7f : 0xff;
	assert_int_equal(rtc_load(&b, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(rd(&b, 0x02), 0x50); /* unchanged */
	memset(buf + 1 + RTC_CMOS_SIZE, 0, 8);
	buf[0] = 0xff;
	assert_int_equal(rtc_load(&b, buf, sizeof(buf)), 0);
	assert_int_equal(b.index, 0x7f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_bytes),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_reset_keeps_nvram),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
