// SPDX-License-Identifier: GPL-2.0-or-later
/* 8042 keyboard controller and PS/2 keyboard: see i8042.h. */
#include "vmm/devices/i8042.h"

#include <errno.h>
#include <string.h>

/* status register */
#define ST_OBF 0x01 /* output buffer full */
#define ST_SYS 0x04 /* system flag */
#define ST_CMD 0x08 /* the last write was to the command port */
#define ST_UNLOCKED 0x10 /* keyboard not inhibited */
/* command byte */
#define CTR_KBD_INT 0x01
#define CTR_SYS 0x04
#define CTR_KBD_DISABLE 0x10
#define CTR_AUX_DISABLE 0x20
#define CTR_XLATE 0x40
/* keyboard replies */
#define KBD_ACK 0xfa
#define KBD_RESEND 0xfe
#define KBD_SELFTEST_OK 0xaa

/* Queue a reply; IRQ 1 pulses when it is the one now readable. */
static void push(struct i8042 *k, uint8_t b)
{
	if (k->qlen == I8042_QUEUE)
		return;
	k->queue[k->qlen++] = b;
	if (k->qlen == 1 && (k->ctr & CTR_KBD_INT) && k->irq) {
		k->irq(k->opaque, 1);
		k->irq(k->opaque, 0);
	}
}

/* Port 0x60 read: the oldest reply (the last one again when none). */
static uint8_t pop(struct i8042 *k)
{
	if (!k->qlen)
		return k->last;
	k->last = k->queue[0];
	memmove(k->queue, k->queue + 1, --k->qlen);
	if (k->qlen && (k->ctr & CTR_KBD_INT) && k->irq) {
		k->irq(k->opaque, 1);
		k->irq(k->opaque, 0);
	}
	return k->last;
}

/* The keyboard's reply to scancode set query 0 (translated or not). */
static uint8_t set_id(const struct i8042 *k)
{
	static const uint8_t xlated[4] = { 0, 0x43, 0x41, 0x3f };

	return (k->ctr & CTR_XLATE) ? xlated[k->kbd_set] : k->kbd_set;
}

/* The parameter byte of a keyboard command (LEDs, set, typematic). */
static void kbd_param(struct i8042 *k, uint8_t cmd, uint8_t val)
{
	if (cmd != 0xf0) { /* LEDs, typematic rate: accepted */
		push(k, KBD_ACK);
	} else if (val == 0) {
		push(k, KBD_ACK);
		push(k, set_id(k));
	} else if (val <= 3) {
		k->kbd_set = val;
		push(k, KBD_ACK);
	} else {
		push(k, KBD_RESEND);
	}
}

/* A byte for the keyboard (port 0x60 with no controller command). */
static void kbd_write(struct i8042 *k, uint8_t val)
{
	if (k->kbd_pending) {
		uint8_t cmd = k->kbd_pending;

		k->kbd_pending = 0;
		kbd_param(k, cmd, val);
		return;
	}
	switch (val) {
	case 0xff: /* reset */
		k->kbd_scanning = 1;
		k->kbd_set = 2;
		push(k, KBD_ACK);
		push(k, KBD_SELFTEST_OK);
		break;
	case 0xf2: /* identify: an MF2 keyboard */
		push(k, KBD_ACK);
		push(k, 0xab);
		push(k, (k->ctr & CTR_XLATE) ? 0x41 : 0x83);
		break;
	case 0xf4: /* enable scanning */
	case 0xf5: /* disable scanning, defaults */
		k->kbd_scanning = val == 0xf4;
		push(k, KBD_ACK);
		break;
	case 0xed: /* LEDs */
	case 0xf0: /* scancode set */
	case 0xf3: /* typematic rate */
		k->kbd_pending = val;
		push(k, KBD_ACK);
		break;
	case 0xee: /* echo */
		push(k, 0xee);
		break;
	case 0xf6: /* defaults */
	case 0xf7 ... 0xfe: /* key modes, resend */
		push(k, KBD_ACK);
		break;
	default:
		push(k, KBD_RESEND);
	}
}

/* The data byte of a controller command (0x60 + n, 0xd1 - 0xd4). */
static void cmd_data(struct i8042 *k, uint8_t cmd, uint8_t val)
{
	if (cmd == 0x60)
		k->ctr = val;
	else if (cmd == 0xd1 && !(val & 1) && k->reset) /* output port */
		k->reset(k->opaque);
	else if (cmd == 0xd2) /* as if the keyboard sent it */
		push(k, val);
	/* 0xd3, 0xd4: no auxiliary device; other RAM bytes: dropped */
}

/* A controller command (port 0x64). */
static void cmd_write(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0x20: /* read the command byte */
		push(k, k->ctr);
		break;
	case 0x21 ... 0x3f: /* read the rest of its RAM */
		push(k, 0);
		break;
	case 0x60 ... 0x7f:
	case 0xd1 ... 0xd4:
		k->pending = cmd;
		break;
	case 0xa7:
	case 0xa8:
		k->ctr = cmd == 0xa7 ? k->ctr | CTR_AUX_DISABLE :
				       k->ctr & ~CTR_AUX_DISABLE;
		break;
	case 0xa9: /* auxiliary port test: clock line stuck, no mouse */
		push(k, 0x01);
		break;
	case 0xaa: /* self-test */
		k->status_sys = 1;
		push(k, 0x55);
		break;
	case 0xab: /* keyboard interface test */
		push(k, 0x00);
		break;
	case 0xad:
	case 0xae:
		k->ctr = cmd == 0xad ? k->ctr | CTR_KBD_DISABLE :
				       k->ctr & ~CTR_KBD_DISABLE;
		break;
	case 0xc0: /* input port: keyboard not inhibited */
		push(k, 0x80);
		break;
	case 0xd0: /* output port: reset line high, A20 on */
		push(k, 0x03 | (k->qlen ? 0x10 : 0));
		break;
	case 0xf0 ... 0xff: /* pulse output lines: bit 0 is the reset */
		if (!(cmd & 1) && k->reset)
			k->reset(k->opaque);
		break;
	default:
		break;
	}
}

void i8042_reset(struct i8042 *k)
{
	pthread_mutex_lock(&k->lock);
	k->ctr = CTR_KBD_INT | CTR_XLATE;
	k->status_sys = 0;
	k->last_cmd_port = 1;
	k->pending = k->kbd_pending = 0;
	k->kbd_scanning = 1;
	k->kbd_set = 2;
	k->qlen = 0;
	k->last = 0;
	pthread_mutex_unlock(&k->lock);
}

void i8042_init(struct i8042 *k, void (*irq)(void *, int),
		void (*reset)(void *), void *opaque)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->irq = irq;
	k->reset = reset;
	k->opaque = opaque;
	i8042_reset(k);
}

void i8042_io(struct i8042 *k, unsigned int off, uint8_t *val, bool wr)
{
	pthread_mutex_lock(&k->lock);
	if (!wr && off == 0) {
		*val = pop(k);
	} else if (!wr) {
		*val = (k->qlen ? ST_OBF : 0) | ST_UNLOCKED |
		       (k->status_sys || (k->ctr & CTR_SYS) ? ST_SYS : 0) |
		       (k->last_cmd_port ? ST_CMD : 0);
	} else if (off == 0) {
		uint8_t cmd = k->pending;

		k->last_cmd_port = 0;
		k->pending = 0;
		if (cmd)
			cmd_data(k, cmd, *val);
		else
			kbd_write(k, *val);
	} else {
		k->last_cmd_port = 1;
		k->pending = 0;
		cmd_write(k, *val);
	}
	pthread_mutex_unlock(&k->lock);
}

void i8042_save(struct i8042 *k, uint8_t *buf)
{
	memset(buf, 0, I8042_STATE_LEN);
	pthread_mutex_lock(&k->lock);
	buf[0] = k->ctr;
	buf[1] = k->status_sys;
	buf[2] = k->last_cmd_port;
	buf[3] = k->pending;
	buf[4] = k->kbd_pending;
	buf[5] = k->kbd_scanning;
	buf[6] = k->kbd_set;
	buf[7] = k->qlen;
	buf[8] = k->last;
	memcpy(buf + 9, k->queue, I8042_QUEUE);
	pthread_mutex_unlock(&k->lock);
}

int i8042_load(struct i8042 *k, const uint8_t *buf, unsigned int len)
{
	uint8_t p, kp;

	if (len != I8042_STATE_LEN)
		return -EINVAL;
	p = buf[3];
	kp = buf[4];
	if (buf[1] > 1 || buf[2] > 1 || buf[5] > 1 || buf[6] < 1 ||
	    buf[6] > 3 || buf[7] > I8042_QUEUE ||
	    (p && !(p >= 0x60 && p <= 0x7f) && !(p >= 0xd1 && p <= 0xd4)) ||
	    (kp && kp != 0xed && kp != 0xf0 && kp != 0xf3))
		return -EINVAL;
	pthread_mutex_lock(&k->lock);
	k->ctr = buf[0];
	k->status_sys = buf[1];
	k->last_cmd_port = buf[2];
	k->pending = p;
	k->kbd_pending = kp;
	k->kbd_scanning = buf[5];
	k->kbd_set = buf[6];
	k->qlen = buf[7];
	k->last = buf[8];
	memcpy(k->queue, buf + 9, I8042_QUEUE);
	pthread_mutex_unlock(&k->lock);
	return 0;
}
