// SPDX-License-Identifier: GPL-2.0-or-later
/* CMOS RTC and NVRAM at ports 0x70/0x71. See rtc.h. */
#include "vmm/devices/rtc.h"

#include <errno.h>
#include <string.h>

#define REG_A_DIV 0x26 /* 32.768 kHz time base, 1024 Hz rate */
#define REG_B_24H 0x02
#define REG_B_BINARY 0x04
#define REG_B_SET 0x80
#define REG_B_IRQS 0x70 /* periodic, alarm and update interrupt enables */
#define REG_D_VRT 0x80 /* RAM and time valid */

#define CMOS_BASE_LO 0x15 /* base memory in KiB */
#define CMOS_EXT_LO 0x17 /* memory from 1 MiB in KiB, max 0xffff */
#define CMOS_EXT2_LO 0x30 /* same again */
#define CMOS_HIGH16_LO 0x34 /* memory from 16 MiB in 64 KiB units */
#define CMOS_HIGH4G 0x5b /* memory from 4 GiB in 64 KiB units, 3 bytes */
#define CMOS_SMP_COUNT 0x5f /* CPUs minus one */
#define CMOS_EQUIPMENT 0x14

static time_t host_now(void)
{
	return time(NULL);
}

static void put16(uint8_t *p, uint64_t v)
{
	v = v > 0xffff ? 0xffff : v;
	p[0] = v;
	p[1] = v >> 8;
}

void rtc_init(struct rtc *r, uint64_t low_size, uint64_t high_size,
	      unsigned int ncpus)
{
	uint64_t hi4g = high_size >> 16;
	uint8_t *c = r->cmos;

	memset(r, 0, sizeof(*r));
	/* glibc reads the time zone file at the first gmtime_r(): do it now,
	 * before the vCPU threads' sandbox forbids opening files */
	tzset();
	pthread_mutex_init(&r->lock, NULL);
	r->now = host_now;
	c[CMOS_REG_A] = REG_A_DIV;
	c[CMOS_REG_B] = REG_B_24H;
	c[CMOS_REG_D] = REG_D_VRT;
	c[CMOS_EQUIPMENT] = 0x06; /* FPU, no floppy; no video BIOS */
	put16(c + CMOS_BASE_LO, 640);
	put16(c + CMOS_EXT_LO, (low_size - (1 << 20)) >> 10);
	put16(c + CMOS_EXT2_LO, (low_size - (1 << 20)) >> 10);
	put16(c + CMOS_HIGH16_LO,
	      low_size > (16 << 20) ? (low_size - (16 << 20)) >> 16 : 0);
	if (hi4g > 0xffffff)
		hi4g = 0xffffff;
	c[CMOS_HIGH4G] = hi4g;
	c[CMOS_HIGH4G + 1] = hi4g >> 8;
	c[CMOS_HIGH4G + 2] = hi4g >> 16;
	c[CMOS_SMP_COUNT] = ncpus ? ncpus - 1 : 0;
}

void rtc_reset(struct rtc *r)
{
	pthread_mutex_lock(&r->lock);
	r->cmos[CMOS_REG_B] &= ~REG_B_IRQS;
	r->cmos[CMOS_REG_C] = 0;
	r->index = 0;
	pthread_mutex_unlock(&r->lock);
}

/* A clock field in the guest's format (register B: BCD unless binary). */
static uint8_t encode(const struct rtc *r, unsigned int v)
{
	if (r->cmos[CMOS_REG_B] & REG_B_BINARY)
		return v;
	return (v / 10) << 4 | v % 10;
}

static unsigned int decode(const struct rtc *r, uint8_t v)
{
	if (r->cmos[CMOS_REG_B] & REG_B_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0xf);
}

/* The hour field: 24-hour, or 12-hour with bit 7 for PM. */
static uint8_t encode_hour(const struct rtc *r, unsigned int h)
{
	unsigned int h12;

	if (r->cmos[CMOS_REG_B] & REG_B_24H)
		return encode(r, h);
	h12 = h % 12 ? h % 12 : 12;
	return encode(r, h12) | (h >= 12 ? 0x80 : 0);
}

/* Read clock register reg (0..9 or the century) from the host clock. */
static uint8_t clock_read(const struct rtc *r, unsigned int reg)
{
	time_t t = r->now() + r->offset;
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case 0x00:
		return encode(r, tm.tm_sec);
	case 0x02:
		return encode(r, tm.tm_min);
	case 0x04:
		return encode_hour(r, tm.tm_hour);
	case 0x06:
		return encode(r, tm.tm_wday + 1);
	case 0x07:
		return encode(r, tm.tm_mday);
	case 0x08:
		return encode(r, tm.tm_mon + 1);
	case 0x09:
		return encode(r, tm.tm_year % 100);
	case CMOS_CENTURY:
		return encode(r, (tm.tm_year + 1900) / 100);
	}
	return r->cmos[reg]; /* alarm registers */
}

static bool is_clock(unsigned int reg)
{
	return reg == 0x00 || reg == 0x02 || reg == 0x04 ||
	       (reg >= 0x06 && reg <= 0x09) || reg == CMOS_CENTURY;
}

/*
 * A write to a time field sets the clock: the new date and time become
 * an offset from the host clock. Fields the guest writes one by one are
 * combined with the current reading of the others.
 */
static void clock_write(struct rtc *r, unsigned int reg, uint8_t v)
{
	time_t t = r->now() + r->offset;
	unsigned int val = decode(r, v & 0x7f);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (reg == 0x00 && val < 60)
		tm.tm_sec = val;
	else if (reg == 0x02 && val < 60)
		tm.tm_min = val;
	else if (reg == 0x04 && val < 24)
		tm.tm_hour = val; /* 24-hour guests; 12-hour PM is rare */
	else if (reg == 0x07 && val >= 1 && val <= 31)
		tm.tm_mday = val;
	else if (reg == 0x08 && val >= 1 && val <= 12)
		tm.tm_mon = val - 1;
	else if (reg == 0x09 && val < 100)
		tm.tm_year = (tm.tm_year / 100) * 100 + val;
	else
		return;
	r->offset = (int64_t)timegm(&tm) - r->now();
}

/* Read register reg: the clock, the status registers or NVRAM. */
static uint8_t reg_read(struct rtc *r, unsigned int reg)
{
	uint8_t v;

	if (reg == CMOS_REG_A)
		return r->cmos[reg] & 0x7f; /* never "update in progress" */
	if (reg == CMOS_REG_C) {
		v = r->cmos[reg];
		r->cmos[reg] = 0; /* read to clear */
		return v;
	}
	if (reg == CMOS_REG_D)
		return REG_D_VRT;
	if (is_clock(reg))
		return clock_read(r, reg);
	return r->cmos[reg];
}

static void reg_write(struct rtc *r, unsigned int reg, uint8_t v)
{
	if (reg == CMOS_REG_C || reg == CMOS_REG_D)
		return;
	if (reg == CMOS_REG_A) {
		r->cmos[reg] = v & 0x7f;
		return;
	}
	if (is_clock(reg) && reg != 0x06) {
		clock_write(r, reg, v);
		return;
	}
	r->cmos[reg] = v;
}

void rtc_io(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
	    bool wr)
{
	struct rtc *r = opaque;

	pthread_mutex_lock(&r->lock);
	if (off == 0) {
		if (wr)
			r->index = data[0] & 0x7f;
		else
			data[0] = 0xff;
	} else if (wr) {
		reg_write(r, r->index, data[0]);
	} else {
		data[0] = reg_read(r, r->index);
	}
	if (!wr && size > 1)
		memset(data + 1, 0, size - 1);
	pthread_mutex_unlock(&r->lock);
}

void rtc_save(struct rtc *r, uint8_t *buf)
{
	uint64_t off;
	unsigned int i;

	pthread_mutex_lock(&r->lock);
	buf[0] = r->index;
	memcpy(buf + 1, r->cmos, RTC_CMOS_SIZE);
	off = (uint64_t)r->offset;
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < 8; i++)
		buf[1 + RTC_CMOS_SIZE + i] = off >> (8 * i);
}

int rtc_load(struct rtc *r, const uint8_t *buf, size_t len)
{
	uint64_t off = 0;
	unsigned int i;

	if (len != RTC_STATE_LEN)
		return -EINVAL;
	for (i = 0; i < 8; i++)
		off |= (uint64_t)buf[1 + RTC_CMOS_SIZE + i] << (8 * i);
	if ((int64_t)off > RTC_MAX_OFFSET || (int64_t)off < -RTC_MAX_OFFSET)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	r->index = buf[0] & 0x7f;
	memcpy(r->cmos, buf + 1, RTC_CMOS_SIZE);
	r->offset = (int64_t)off;
	pthread_mutex_unlock(&r->lock);
	return 0;
}
