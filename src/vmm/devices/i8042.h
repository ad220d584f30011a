/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An 8042 keyboard controller with a PS/2 keyboard behind it, as far as
 * firmware and operating systems probe them on a headless VM: the
 * controller's command byte, self-tests, output port (its bit 0 is the
 * CPU reset line), the 0xfe reset pulse, and a keyboard that answers its
 * commands (reset, identify, LEDs, scancode set, typematic rate,
 * enable/disable scanning). No keys are ever pressed and there is no
 * mouse (the auxiliary port fails its test, as on a board without one).
 * SeaBIOS's and OVMF's keyboard drivers and Linux's i8042/atkbd find the
 * keyboard at once instead of polling until their timeouts. Replies go
 * through a small output buffer read at port 0x60; IRQ 1 pulses when a
 * keyboard byte becomes readable and the command byte enables it. No KVM
 * here: the owner gives the I/O accesses and callbacks.
 */
#ifndef WIRT_VMM_I8042_H
#define WIRT_VMM_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_QUEUE 16
#define I8042_STATE_LEN 32

struct i8042 {
	pthread_mutex_t lock;
	uint8_t ctr; /* the controller's command byte */
	uint8_t status_sys; /* status bit 2 once the self-test ran */
	uint8_t last_cmd_port; /* status bit 3: the last write was a command */
	uint8_t pending; /* controller command waiting for its data byte */
	uint8_t kbd_pending; /* keyboard command waiting for its parameter */
	uint8_t kbd_scanning, kbd_set;
	uint8_t queue[I8042_QUEUE]; /* replies, oldest first */
	uint8_t qlen;
	uint8_t last; /* what port 0x60 gives when the queue is empty */
	void (*irq)(void *opaque, int level); /* IRQ 1 */
	void (*reset)(void *opaque); /* the CPU reset line */
	void *opaque;
};

/* i8042_init - power-on state, with the owner's callbacks. */
void i8042_init(struct i8042 *k, void (*irq)(void *, int),
		void (*reset)(void *), void *opaque);

/* i8042_reset - the state after a machine reset (callbacks kept). */
void i8042_reset(struct i8042 *k);

/* i8042_io - a guest access to port 0x60 (off 0) or 0x64 (off 4). */
void i8042_io(struct i8042 *k, unsigned int off, uint8_t *val, bool wr);

/* i8042_save - the registers and queued replies (I8042_STATE_LEN bytes). */
void i8042_save(struct i8042 *k, uint8_t *buf);

/*
 * i8042_load - restore what i8042_save wrote; the bytes come from a file
 * and are checked. Returns 0 or -EINVAL (unchanged).
 */
int i8042_load(struct i8042 *k, const uint8_t *buf, unsigned int len);

#endif
