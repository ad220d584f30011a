/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MC146818 RTC and CMOS memory at ports 0x70 (index, bit 7 masks NMI) and
 * 0x71 (data), as PC firmware reads it: a running clock from the host's
 * time (UTC, BCD or binary and 12/24 hour as register B says), status
 * registers, and the NVRAM bytes that carry memory sizes and the CPU count.
 * No alarm or periodic interrupts.
 */
#ifndef WIRT_VMM_RTC_H
#define WIRT_VMM_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RTC_PORT 0x70
#define RTC_PORTS_LEN 2
#define RTC_CMOS_SIZE 128

#define CMOS_SHUTDOWN 0x0f
#define CMOS_REG_A 0x0a
#define CMOS_REG_B 0x0b
#define CMOS_REG_C 0x0c
#define CMOS_REG_D 0x0d
#define CMOS_CENTURY 0x32

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[RTC_CMOS_SIZE]; /* NVRAM and the status registers */
	int64_t offset; /* seconds the guest set the clock off host time */
	time_t (*now)(void); /* the host clock (tests replace it) */
};

/*
 * rtc_init - power-on state: memory sizes (low_size bytes below the PCI
 * hole, high_size above 4 GiB) and ncpus in NVRAM, 24-hour BCD clock.
 */
void rtc_init(struct rtc *r, uint64_t low_size, uint64_t high_size,
	      unsigned int ncpus);

#define RTC_STATE_LEN (1 + RTC_CMOS_SIZE + 8)
#define RTC_MAX_OFFSET (1LL << 36) /* seconds: about 2000 years */

/* rtc_save - the guest-visible state into buf (RTC_STATE_LEN bytes). */
void rtc_save(struct rtc *r, uint8_t *buf);

/*
 * rtc_load - state saved by rtc_save (len bytes, from a file: checked).
 * Returns 0, or -EINVAL for a wrong length or a clock offset beyond
 * RTC_MAX_OFFSET; r is unchanged then.
 */
int rtc_load(struct rtc *r, const uint8_t *buf, size_t len);

/* rtc_io - bus callback for ports 0x70/0x71 (off 0 or 1). */
void rtc_io(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
	    bool wr);

/*
 * rtc_reset - system reset: interrupts off and flags clear; the NVRAM and
 * the clock, battery-backed on a PC, are kept.
 */
void rtc_reset(struct rtc *r);

#endif
