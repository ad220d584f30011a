/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 16550A-compatible UART model (the 8250 family Linux drives as ttyS0).
 * Registers at offsets 0..7 from the port base (COM1: 0x3f8, IRQ 4).
 * Thread-safe: vCPU threads access registers while the console thread
 * pushes input. No KVM knowledge: interrupts and output go through callbacks.
 */
#ifndef WIRT_VMM_UART8250_H
#define WIRT_VMM_UART8250_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_BASE 0x3f8
#define COM1_IRQ 4

struct uart8250;

struct uart8250_ops {
	/*
	 * set the interrupt line level (0 or 1), only on changes. Called
	 * without the register lock but with the UART's internal irq lock
	 * (levels arrive in order): it must not call back into this UART.
	 */
	void (*set_irq)(void *opaque, int level);
	/*
	 * bytes the guest transmitted; called from the vCPU thread that
	 * wrote THR, with no UART lock held, before the THRE interrupt.
	 */
	void (*tx)(void *opaque, const uint8_t *buf, size_t len);
};

/* Returns a new UART in reset state, or NULL when out of memory. */
struct uart8250 *uart8250_new(const struct uart8250_ops *ops, void *opaque);
void uart8250_free(struct uart8250 *u);

/* Reset to power-on state (guest reboot); drops pending host input. */
void uart8250_reset(struct uart8250 *u);

/* The guest-visible register state, for save/restore. */
struct uart8250_regs {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, lsr_err, msr, rbr_last;
	uint8_t thre_pending;
	uint8_t pad[5];
};

/* uart8250_get_regs - copy the register state of u into r. */
void uart8250_get_regs(struct uart8250 *u, struct uart8250_regs *r);

/*
 * uart8250_set_regs - load register state r (hostile input: reserved bits
 * are masked) and update the interrupt line.
 */
void uart8250_set_regs(struct uart8250 *u, const struct uart8250_regs *r);

/* Guest register access; off is 0..7, other values read 0xff / are ignored. */
uint8_t uart8250_read(struct uart8250 *u, unsigned int off);
void uart8250_write(struct uart8250 *u, unsigned int off, uint8_t val);

/*
 * uart8250_receive - queue host input for the guest.
 * Returns the number of bytes accepted (the receive FIFO holds 16; the model
 * keeps a 4 KiB host buffer in front of it and returns a short count when
 * that is full, so host input is never lost). Never blocks. An FCR write
 * that clears the receive FIFO drops the whole host buffer.
 */
size_t uart8250_receive(struct uart8250 *u, const uint8_t *buf, size_t len);

/*
 * uart8250_wait_room - block until the guest has room for more input or
 * uart8250_wakeup() was called. Returns true when there is room.
 */
bool uart8250_wait_room(struct uart8250 *u);

/*
 * uart8250_wakeup - release uart8250_wait_room waiters, now and for good:
 * after it, wait_room never blocks (meant for shutdown, before
 * console_close; safe to call in any order with it).
 */
void uart8250_wakeup(struct uart8250 *u);

#endif
