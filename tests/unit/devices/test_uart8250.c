// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the 16550A model: Linux's probe, THRE, receive, priorities. */
#include <pthread.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/util.h"
#include "vmm/devices/uart8250.h"

enum { RBR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define FCR IIR
#define DLL RBR
#define DLM IER

struct fake {
	uint8_t tx[8192];
	size_t ntx;
	int level; /* current irq line */
	int changes; /* set_irq calls */
	int bad_calls; /* set_irq with an unchanged level */
};

static void fake_set_irq(void *opaque, int level)
{
	struct fake *f = opaque;

	if (level == f->level)
		f->bad_calls++;
	f->level = level;
	f->changes++;
}

static void fake_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct fake *f = opaque;

	assert_true(f->ntx + len <= sizeof(f->tx));
	memcpy(f->tx + f->ntx, buf, len);
	f->ntx += len;
}

static const struct uart8250_ops fake_ops = { fake_set_irq, fake_tx };

struct ctx {
	struct fake f;
	struct uart8250 *u;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->u = uart8250_new(&fake_ops, &c->f);
	assert_non_null(c->u);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(c->f.bad_calls, 0);
	uart8250_free(c->u);
	free(c);
	return 0;
}

static uint8_t rd(struct ctx *c, unsigned int off)
{
	return uart8250_read(c->u, off);
}

static void wr(struct ctx *c, unsigned int off, uint8_t v)
{
	uart8250_write(c->u, off, v);
}

static void test_power_on(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rd(c, IER), 0);
	assert_int_equal(rd(c, IIR), 0x01);
	assert_int_equal(rd(c, LCR), 0);
	assert_int_equal(rd(c, MCR), 0);
	assert_int_equal(rd(c, LSR), 0x60);
	assert_int_equal(rd(c, MSR) & 0xf0, 0xb0); /* CTS DSR DCD */
	assert_int_equal(rd(c, 8), 0xff);
	assert_int_equal(rd(c, 1000), 0xff);
	wr(c, 9, 0x12); /* ignored */
	assert_int_equal(c->f.changes, 0);
}

/* The checks of Linux's autoconfig() that decide "16550A". */
static void test_linux_probe(void **state)
{
	struct ctx *c = *state;
	uint8_t save;

	/* IER: low four bits read back, upper ones (UUE etc.) do not */
	wr(c, IER, 0);
	assert_int_equal(rd(c, IER) & 0x0f, 0);
	wr(c, IER, 0x0f);
	assert_int_equal(rd(c, IER) & 0x0f, 0x0f);
	wr(c, IER, 0xff);
	assert_int_equal(rd(c, IER), 0x0f);
	wr(c, IER, 0);

	/* scratch register */
	wr(c, SCR, 0xa5);
	assert_int_equal(rd(c, SCR), 0xa5);
	wr(c, SCR, 0x5a);
	assert_int_equal(rd(c, SCR), 0x5a);

	/* loopback: MSR reflects MCR; LOOP|OUT2|RTS gives DCD|CTS */
	save = rd(c, MCR);
	wr(c, MCR, 0x10 | 0x0a);
	assert_int_equal(rd(c, MSR) & 0xf0, 0x90);
	wr(c, MCR, 0x10 | 0x0f);
	assert_int_equal(rd(c, MSR) & 0xf0, 0xf0);
	wr(c, MCR, 0x10 | 0x05); /* DTR OUT1 -> DSR RI */
	assert_int_equal(rd(c, MSR) & 0xf0, 0x60);
	wr(c, MCR, save);
	assert_int_equal(rd(c, MSR) & 0xf0, 0xb0);

	/* FIFO detection: IIR bits 7:6 = 11 -> 16550A */
	wr(c, FCR, 0x01);
	assert_int_equal(rd(c, IIR) >> 6, 3);
	wr(c, FCR, 0xe7);
	assert_int_equal(rd(c, IIR) & 0xc0, 0xc0);

	/* EFR probes with LCR 0xbf / 0x80 read IIR: never 0 */
	wr(c, LCR, 0xbf);
	assert_int_not_equal(rd(c, IIR), 0);
	wr(c, LCR, 0x80);
	assert_int_not_equal(rd(c, IIR), 0);
	wr(c, LCR, 0);

	/* no 64-byte FIFO bit (TI16750): IIR bit 5 stays clear */
	wr(c, FCR, 0x21);
	assert_int_equal(rd(c, IIR) & 0x20, 0);
	wr(c, LCR, 0x80);
	wr(c, FCR, 0x21);
	assert_int_equal(rd(c, IIR) & 0x20, 0);
	wr(c, LCR, 0);
	wr(c, FCR, 0);
	assert_int_equal(rd(c, IIR) & 0xc0, 0); /* FIFOs off: 16450 view */

	/* MCR keeps five bits */
	wr(c, MCR, 0xff);
	assert_int_equal(rd(c, MCR), 0x1f);
	wr(c, MCR, 0);

	/* LSR never reads 0xff; THRE and TEMT set */
	assert_int_equal(rd(c, LSR), 0x60);
	assert_int_equal(c->f.ntx, 0);
}

/* Linux's startup THRE test must see THRE re-asserted on re-enable. */
static void test_thre_reenable(void **state)
{
	struct ctx *c = *state;
	uint8_t iir1, iir2;

	wr(c, IER, 0x02);
	iir1 = rd(c, IIR);
	wr(c, IER, 0);
	wr(c, IER, 0x02);
	iir2 = rd(c, IIR);
	wr(c, IER, 0);
	assert_int_equal(iir1 & 0x0f, 0x02);
	assert_int_equal(iir2 & 0x0f, 0x02);

	/* TXEN test: IER=THRI, LSR, IIR must not say "no interrupt" */
	wr(c, IER, 0x02);
	assert_true(rd(c, LSR) & 0x40);
	assert_int_equal(rd(c, IIR) & 0x01, 0);
	/* read cleared it; IER rewritten with ETBEI still set: stays clear */
	wr(c, IER, 0x03);
	assert_int_equal(rd(c, IIR) & 0x0f, 0x01);
}

static void test_divisor_latch(void **state)
{
	struct ctx *c = *state;

	wr(c, IER, 0x05);
	wr(c, SCR, 0x33);
	wr(c, LCR, 0x83);
	wr(c, DLL, 0x01);
	wr(c, DLM, 0x02);
	assert_int_equal(rd(c, DLL), 0x01);
	assert_int_equal(rd(c, DLM), 0x02);
	assert_int_equal(rd(c, LCR), 0x83);
	wr(c, LCR, 0x03);
	/* the divisor writes did not touch IER, nor transmit */
	assert_int_equal(rd(c, IER), 0x05);
	assert_int_equal(c->f.ntx, 0);
	wr(c, LCR, 0x80);
	assert_int_equal(rd(c, DLL), 0x01);
	assert_int_equal(rd(c, DLM), 0x02);
	wr(c, LCR, 0x03);
	assert_int_equal(rd(c, SCR), 0x33);
}

static void test_tx_and_thre_irq(void **state)
{
	struct ctx *c = *state;
	const char *msg = "hello\r\n";
	size_t i;

	wr(c, LCR, 0x03);
	wr(c, FCR, 0xc7);
	wr(c, MCR, 0x0b); /* DTR RTS OUT2 */
	assert_int_equal(c->f.level, 0);
	wr(c, IER, 0x02); /* ETBEI: THR is empty */
	assert_int_equal(c->f.level, 1);
	assert_int_equal(rd(c, IIR), 0xc2);
	assert_int_equal(c->f.level, 0); /* IIR read cleared THRE */
	assert_int_equal(rd(c, IIR), 0xc1);

	for (i = 0; msg[i]; i++) {
		wr(c, RBR, msg[i]);
		assert_int_equal(c->f.level, 1);
		assert_int_equal(rd(c, LSR) & 0x60, 0x60);
		assert_int_equal(rd(c, IIR) & 0x0f, 0x02);
		assert_int_equal(c->f.level, 0);
	}
	assert_int_equal(c->f.ntx, strlen(msg));
	assert_memory_equal(c->f.tx, msg, strlen(msg));

	/* without OUT2 the line stays low, IIR still reports */
	wr(c, MCR, 0x03);
	wr(c, RBR, 'x');
	assert_int_equal(c->f.level, 0);
	assert_int_equal(rd(c, IIR) & 0x0f, 0x02);
	/* with ETBEI clear nothing is reported */
	wr(c, IER, 0);
	wr(c, MCR, 0x0b);
	wr(c, RBR, 'y');
	assert_int_equal(c->f.level, 0);
	assert_int_equal(rd(c, IIR) & 0x0f, 0x01);
	/* ... but enabling ETBEI afterwards raises it */
	wr(c, IER, 0x02);
	assert_int_equal(c->f.level, 1);
	wr(c, IER, 0);
	assert_int_equal(c->f.level, 0);
	assert_int_equal(c->f.ntx, strlen(msg) + 2);
}

static void test_receive(void **state)
{
	struct ctx *c = *state;
	const uint8_t in[] = "ls -l\r";
	uint8_t got[sizeof(in)];
	size_t i;

	wr(c, FCR, 0x07); /* FIFO, trigger 1 */
	wr(c, MCR, 0x08);
	wr(c, IER, 0x01);
	assert_int_equal(c->f.level, 0);
	assert_int_equal(rd(c, LSR) & 0x01, 0);
	assert_int_equal(uart8250_receive(c->u, in, sizeof(in) - 1),
			 sizeof(in) - 1);
	assert_int_equal(c->f.level, 1);
	assert_int_equal(rd(c, LSR) & 0x01, 1);
	assert_int_equal(rd(c, IIR), 0xc4);
	/* reading IIR does not clear RDA */
	assert_int_equal(c->f.level, 1);
	for (i = 0; i < sizeof(in) - 1; i++) {
		assert_true(rd(c, LSR) & 0x01);
		got[i] = rd(c, RBR);
	}
	assert_memory_equal(got, in, sizeof(in) - 1);
	assert_int_equal(rd(c, LSR) & 0x01, 0);
	assert_int_equal(c->f.level, 0);
	assert_int_equal(rd(c, IIR), 0xc1);
	/* empty RBR keeps returning the last byte, no underflow */
	assert_int_equal(rd(c, RBR), '\r');
}

/* Trigger level 8: fewer bytes time out (0xc), 8 or more give RDA (0x4). */
static void test_trigger_and_timeout(void **state)
{
	struct ctx *c = *state;
	uint8_t buf[20];

	memset(buf, 'a', sizeof(buf));
	wr(c, FCR, 0x81);
	wr(c, MCR, 0x08);
	wr(c, IER, 0x01);
	uart8250_receive(c->u, buf, 3);
	assert_int_equal(rd(c, IIR), 0xcc);
	assert_int_equal(c->f.level, 1);
	uart8250_receive(c->u, buf, 5);
	assert_int_equal(rd(c, IIR), 0xc4);
	uart8250_receive(c->u, buf, 12); /* 20 queued, FIFO shows 16 */
	assert_int_equal(rd(c, IIR), 0xc4);
	while (rd(c, LSR) & 0x01)
		rd(c, RBR);
	assert_int_equal(c->f.level, 0);

	/* 16450 mode: one byte at a time, RDA, no FIFO bits */
	wr(c, FCR, 0);
	uart8250_receive(c->u, buf, 2);
	assert_int_equal(rd(c, IIR), 0x04);
	rd(c, RBR);
	assert_int_equal(rd(c, IIR), 0x04);
	rd(c, RBR);
	assert_int_equal(rd(c, IIR), 0x01);
}

static void test_fifo_clear(void **state)
{
	struct ctx *c = *state;
	uint8_t buf[100] = { 0 };

	wr(c, FCR, 0x01);
	assert_int_equal(uart8250_receive(c->u, buf, sizeof(buf)), sizeof(buf));
	assert_true(rd(c, LSR) & 0x01);
	wr(c, FCR, 0x03);
	assert_int_equal(rd(c, LSR) & 0x01, 0);
}

/* The host buffer never drops input: receive returns a short count. */
static void test_host_buffer_full(void **state)
{
	struct ctx *c = *state;
	static uint8_t buf[5000];
	size_t i, n;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i & 0xff;
	wr(c, FCR, 0x01);
	n = uart8250_receive(c->u, buf, sizeof(buf));
	assert_int_equal(n, 4096);
	assert_int_equal(uart8250_receive(c->u, buf + n, 1), 0);
	assert_int_equal(rd(c, LSR) & 0x03, 0x01); /* DR, no OE */
	assert_int_equal(rd(c, RBR), 0);
	assert_true(uart8250_wait_room(c->u)); /* one byte free: no block */
	assert_int_equal(uart8250_receive(c->u, buf + n, 10), 1);
	for (i = 1; i <= n; i++)
		assert_int_equal(rd(c, RBR), buf[i]);
	assert_int_equal(rd(c, LSR) & 0x01, 0);
}

/* In loopback the receive FIFO (16 bytes) overruns: OE, LSR interrupt. */
static void test_loopback_overrun(void **state)
{
	struct ctx *c = *state;
	int i;

	wr(c, FCR, 0x01);
	wr(c, IER, 0x05); /* ERBFI | ELSI */
	wr(c, MCR, 0x18); /* LOOP | OUT2 */
	for (i = 0; i < 17; i++)
		wr(c, RBR, 'A' + i);
	assert_int_equal(c->f.ntx, 0); /* nothing left the UART */
	assert_int_equal(c->f.level, 0); /* loopback gates the IRQ */
	assert_int_equal(rd(c, IIR), 0xc6); /* line status first */
	assert_int_equal(rd(c, LSR) & 0x03, 0x03); /* DR | OE */
	assert_int_equal(rd(c, LSR) & 0x03, 0x01); /* OE cleared by read */
	assert_int_equal(rd(c, IIR), 0xc4);
	for (i = 0; i < 16; i++)
		assert_int_equal(rd(c, RBR), 'A' + i);
	assert_int_equal(rd(c, LSR) & 0x01, 0);
	assert_int_equal(rd(c, IIR), 0xc1);

	/* 16450 mode holds one byte */
	wr(c, FCR, 0);
	wr(c, RBR, 'x');
	wr(c, RBR, 'y');
	assert_int_equal(rd(c, LSR) & 0x03, 0x03);
	assert_int_equal(rd(c, RBR), 'x');
	wr(c, MCR, 0x08);
	rd(c, MSR);
}

/* line status > rx data > THRE > modem status */
static void test_priorities(void **state)
{
	struct ctx *c = *state;
	uint8_t b = 'z';

	wr(c, FCR, 0x01);
	/* build every source: modem deltas via loopback, OE, data */
	wr(c, MCR, 0x1b); /* loop: CTS DSR DCD, no RI */
	wr(c, MCR, 0x10); /* all drop: deltas */
	for (int i = 0; i < 17; i++)
		wr(c, RBR, 'a');
	wr(c, MCR, 0x08); /* leave loopback: status changes again */
	wr(c, IER, 0x0f);
	assert_int_equal(c->f.level, 1);
	assert_int_equal(rd(c, IIR) & 0x0f, 0x06);
	rd(c, LSR);
	assert_int_equal(rd(c, IIR) & 0x0f, 0x04);
	while (rd(c, LSR) & 0x01)
		rd(c, RBR);
	assert_int_equal(rd(c, IIR) & 0x0f, 0x02); /* clears THRE */
	assert_int_equal(rd(c, IIR) & 0x0f, 0x00); /* modem status */
	assert_int_equal(c->f.level, 1);
	assert_true(rd(c, MSR) & 0x0f);
	assert_int_equal(rd(c, MSR) & 0x0f, 0);
	assert_int_equal(rd(c, IIR) & 0x0f, 0x01);
	assert_int_equal(c->f.level, 0);

	/* data arriving while THRE is pending takes precedence */
	wr(c, RBR, 'q');
	uart8250_receive(c->u, &b, 1);
	assert_int_equal(rd(c, IIR) & 0x0f, 0x04);
	assert_int_equal(rd(c, RBR), 'z');
	assert_int_equal(rd(c, IIR) & 0x0f, 0x02);
	assert_int_equal(rd(c, IIR) & 0x0f, 0x01);
	assert_int_equal(c->f.level, 0);
}

static void test_reset(void **state)
{
	struct ctx *c = *state;
	uint8_t buf[10] = { 0 };

	wr(c, LCR, 0x83);
	wr(c, DLL, 0x01);
	wr(c, LCR, 0x03);
	wr(c, FCR, 0xc7);
	wr(c, MCR, 0x0b);
	wr(c, SCR, 0x77);
	wr(c, IER, 0x03);
	uart8250_receive(c->u, buf, sizeof(buf));
	assert_int_equal(c->f.level, 1);
	uart8250_reset(c->u);
	assert_int_equal(c->f.level, 0);
	assert_int_equal(rd(c, IER), 0);
	assert_int_equal(rd(c, IIR), 0x01);
	assert_int_equal(rd(c, LCR), 0);
	assert_int_equal(rd(c, MCR), 0);
	assert_int_equal(rd(c, LSR), 0x60);
	assert_int_equal(rd(c, SCR), 0);
	assert_int_equal(rd(c, MSR), 0xb0);
}

static void *drain_later(void *arg)
{
	struct ctx *c = arg;

	usleep(50 * 1000);
	uart8250_read(c->u, RBR);
	return NULL;
}

static void *wake_later(void *arg)
{
	struct ctx *c = arg;

	usleep(50 * 1000);
	uart8250_wakeup(c->u);
	return NULL;
}

/* wait_room blocks while full; a guest read or wakeup releases it. */
static void test_wait_room(void **state)
{
	struct ctx *c = *state;
	static uint8_t buf[4096];
	pthread_t t;

	assert_true(uart8250_wait_room(c->u));
	assert_int_equal(uart8250_receive(c->u, buf, sizeof(buf)), 4096);
	assert_int_equal(pthread_create(&t, NULL, drain_later, c), 0);
	assert_true(uart8250_wait_room(c->u));
	pthread_join(t, NULL);
	assert_int_equal(uart8250_receive(c->u, buf, 1), 1);
	assert_int_equal(pthread_create(&t, NULL, wake_later, c), 0);
	assert_false(uart8250_wait_room(c->u));
	pthread_join(t, NULL);
	/* sticky: no more blocking */
	assert_false(uart8250_wait_room(c->u));
}

/* A guest driver loop against a host feeder thread: no byte lost. */
struct feeder {
	struct ctx *c;
	size_t len;
};

static void *feed(void *arg)
{
	struct feeder *fd = arg;
	size_t done = 0;
	uint8_t b[97];

	while (done < fd->len) {
		size_t n = MIN(sizeof(b), fd->len - done), i, k;

		for (i = 0; i < n; i++)
			b[i] = (done + i) * 7;
		k = 0;
		while (k < n) {
			k += uart8250_receive(fd->c->u, b + k, n - k);
			if (k < n)
				uart8250_wait_room(fd->c->u);
		}
		done += n;
	}
	return NULL;
}

static void test_threaded_receive(void **state)
{
	struct ctx *c = *state;
	struct feeder fd = { c, 200000 };
	pthread_t t;
	size_t i = 0;

	wr(c, FCR, 0x81);
	wr(c, MCR, 0x08);
	wr(c, IER, 0x01);
	assert_int_equal(pthread_create(&t, NULL, feed, &fd), 0);
	while (i < fd.len) {
		if (rd(c, LSR) & 0x01) {
			assert_int_equal(rd(c, RBR), (uint8_t)(i * 7));
			i++;
		}
	}
	pthread_join(t, NULL);
	assert_int_equal(rd(c, LSR) & 0x01, 0);
	assert_int_equal(c->f.level, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_probe, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_thre_reenable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_divisor_latch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tx_and_thre_irq, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trigger_and_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fifo_clear, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_host_buffer_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loopback_overrun, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_priorities, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_room, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_threaded_receive, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
