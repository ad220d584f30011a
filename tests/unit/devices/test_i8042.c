// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The 8042 keyboard controller (src/vmm/devices/i8042.c) driven as
 * SeaBIOS, OVMF and Linux drive it: self-tests, the command byte, the
 * keyboard's replies, the interrupt on each readable reply, the reset
 * line, and a saved state that a bad file cannot load.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/devices/i8042.h"

struct seen {
	int pulses, resets, level;
};

static void on_irq(void *opaque, int level)
{
	struct seen *s = opaque;

	if (level && !s->level)
		s->pulses++;
	s->level = level;
}

static void on_reset(void *opaque)
{
	((struct seen *)opaque)->resets++;
}

static void cmd(struct i8042 *k, uint8_t v)
{
	i8042_io(k, 4, &v, true);
}

static void data(struct i8042 *k, uint8_t v)
{
	i8042_io(k, 0, &v, true);
}

static uint8_t status(struct i8042 *k)
{
	uint8_t v;

	i8042_io(k, 4, &v, false);
	return v;
}

/* Read one reply, which must be there (output buffer full). */
static uint8_t reply(struct i8042 *k)
{
	uint8_t v;

	assert_true(status(k) & 0x01);
	i8042_io(k, 0, &v, false);
	return v;
}

static void test_controller(void **state)
{
	struct seen s = { 0 };
	struct i8042 k;

	(void)state;
	i8042_init(&k, on_irq, on_reset, &s);
	assert_int_equal(status(&k) & 0x01, 0);
	cmd(&k, 0xaa); /* self-test */
	assert_int_equal(reply(&k), 0x55);
	assert_true(status(&k) & 0x04); /* system flag */
	cmd(&k, 0xab);
	assert_int_equal(reply(&k), 0x00);
	cmd(&k, 0x60); /* write the command byte, then read it back */
	data(&k, 0x65);
	cmd(&k, 0x20);
	assert_int_equal(reply(&k), 0x65);
	cmd(&k, 0xa9); /* no mouse */
	assert_int_equal(reply(&k), 0x01);
	assert_int_equal(status(&k) & 0x01, 0);
	assert_int_equal(s.resets, 0);
	cmd(&k, 0xfe); /* pulse the reset line */
	assert_int_equal(s.resets, 1);
	cmd(&k, 0xd1); /* output port with bit 0 low: reset too */
	data(&k, 0x02);
	assert_int_equal(s.resets, 2);
	cmd(&k, 0xd1); /* bit 0 high: none */
	data(&k, 0x03);
	assert_int_equal(s.resets, 2);
}

static void test_keyboard(void **state)
{
	struct seen s = { 0 };
	struct i8042 k;

	(void)state;
	i8042_init(&k, on_irq, on_reset, &s);
	data(&k, 0xff); /* reset: ACK, self-test passed */
	assert_int_equal(s.pulses, 1);
	assert_int_equal(reply(&k), 0xfa);
	assert_int_equal(s.pulses, 2); /* the next reply interrupts again */
	assert_int_equal(reply(&k), 0xaa);
	data(&k, 0xf2); /* identify, translated (the command byte's bit 6) */
	assert_int_equal(reply(&k), 0xfa);
	assert_int_equal(reply(&k), 0xab);
	assert_int_equal(reply(&k), 0x41);
	data(&k, 0xed); /* LEDs and their parameter */
	assert_int_equal(reply(&k), 0xfa);
	data(&k, 0x07);
	assert_int_equal(reply(&k), 0xfa);
	data(&k, 0xf0); /* scancode set 1, then ask */
	data(&k, 0x01);
	assert_int_equal(reply(&k), 0xfa);
	assert_int_equal(reply(&k), 0xfa);
	data(&k, 0xf0);
	data(&k, 0x00);
	assert_int_equal(reply(&k), 0xfa);
	assert_int_equal(reply(&k), 0xfa);
	assert_int_equal(reply(&k), 0x43);
	data(&k, 0xee);
	assert_int_equal(reply(&k), 0xee);
	data(&k, 0x12); /* no such command */
	assert_int_equal(reply(&k), 0xfe);
	cmd(&k, 0x60); /* interrupts off: replies wait without one */
	data(&k, 0x40);
	s.pulses = 0;
	data(&k, 0xf4);
	assert_int_equal(s.pulses, 0);
	assert_int_equal(reply(&k), 0xfa);
}

static void test_state(void **state)
{
	struct seen s = { 0 };
	struct i8042 a, b;
	uint8_t buf[I8042_STATE_LEN], bad[I8042_STATE_LEN];

	(void)state;
	i8042_init(&a, on_irq, on_reset, &s);
	i8042_init(&b, on_irq, on_reset, &s);
	data(&a, 0xf2);
	data(&a, 0xed); /* waits for its parameter */
	i8042_save(&a, buf);
	assert_int_equal(i8042_load(&b, buf, sizeof(buf)), 0);
	assert_int_equal(reply(&b), 0xfa);
	assert_int_equal(reply(&b), 0xab);
	assert_int_equal(reply(&b), 0x41);
	assert_int_equal(reply(&b), 0xfa);
	data(&b, 0x02);
	assert_int_equal(reply(&b), 0xfa);
	memcpy(bad, buf, sizeof(bad));
	bad[7] = I8042_QUEUE + 1; /* more replies than the queue holds */
	assert_int_equal(i8042_load(&b, bad, sizeof(bad)), -EINVAL);
	memcpy(bad, buf, sizeof(bad));
	bad[6] = 4; /* no scancode set 4 */
	assert_int_equal(i8042_load(&b, bad, sizeof(bad)), -EINVAL);
	memcpy(bad, buf, sizeof(bad));
	bad[3] = 0x90; /* not a command that takes data */
	assert_int_equal(i8042_load(&b, bad, sizeof(bad)), -EINVAL);
	assert_int_equal(i8042_load(&b, buf, 3), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controller),
		cmocka_unit_test(test_keyboard),
		cmocka_unit_test(test_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
