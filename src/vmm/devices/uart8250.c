// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * 16550A UART model, written from the register description of the
 * PC16550D data sheet and what Linux's 8250 driver probes.
 *
 * Transmission is instantaneous: a THR write goes straight to ops->tx, so
 * THRE and TEMT in LSR are always set. Reception goes through a host-side
 * buffer of UART_RXBUF bytes; the first 16 (FIFO mode) or the first one
 * (16450 mode) of them are what the guest sees as the receive FIFO/RBR.
 * The host buffer never overflows: uart8250_receive returns a short count
 * instead. OE can only happen in loopback mode, when the guest writes more
 * than the receive FIFO holds.
 *
 * Locking: `lock` protects all registers and the buffer. `irq_lock`
 * serialises interrupt delivery so that levels reach ops->set_irq in the
 * order they were computed; set_irq runs with irq_lock held (but not lock)
 * and must not call back into this UART. ops->tx runs with no lock held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/devices/uart8250.h"

#define UART_RXBUF 4096
#define UART_FIFO 16

/* register offsets */
#define REG_RBR 0 /* THR on write, DLL with DLAB */
#define REG_IER 1 /* DLM with DLAB */
#define REG_IIR 2 /* FCR on write */
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_ERBFI 0x01 /* receive data available */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI 0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK 0x0f

#define IIR_NONE 0x01
#define IIR_MSR 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_LSR 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_TRIGGER(v) (((v) >> 6) & 3)

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct uart8250 {
	const struct uart8250_ops *ops;
	void *opaque;

	pthread_mutex_t lock;
	pthread_mutex_t irq_lock;
	pthread_cond_t room; /* signalled when rx space frees or on wakeup */

	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr; /* last FCR value with FIFOs enabled, 0 otherwise */
	uint8_t lsr_err; /* sticky LSR error bits, cleared by an LSR read */
	uint8_t msr; /* status bits in 4..7, deltas in 0..3 */
	uint8_t rbr_last; /* what RBR reads when empty */
	bool thre_pending;
	bool woken; /* uart8250_wakeup was called: wait_room never blocks */
	int irq_level; /* last level handed to set_irq */

	uint8_t rx[UART_RXBUF];
	size_t rx_head, rx_count;
};

/* Number of bytes the guest sees in its receive FIFO (or RBR). */
static size_t rx_visible(const struct uart8250 *u)
{
	size_t cap = (u->fcr & FCR_ENABLE) ? UART_FIFO : 1;

	return u->rx_count < cap ? u->rx_count : cap;
}

/* Receive FIFO trigger level in bytes (1, 4, 8 or 14). */
static size_t rx_trigger(const struct uart8250 *u)
{
	static const size_t lvl[4] = { 1, 4, 8, 14 };

	return lvl[FCR_TRIGGER(u->fcr)];
}

/* Interrupt identification (IIR bits 0..3) of the highest pending source. */
static uint8_t pending_source(const struct uart8250 *u)
{
	size_t n = rx_visible(u);

	if ((u->ier & IER_ELSI) && (u->lsr_err & LSR_ERRORS))
		return IIR_LSR;
	if ((u->ier & IER_ERBFI) && n) {
		if (!(u->fcr & FCR_ENABLE) || n >= rx_trigger(u))
			return IIR_RDA;
		/* no timing model: a partial FIFO times out at once */
		return IIR_TIMEOUT;
	}
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		return IIR_MSR;
	return IIR_NONE;
}

/*
 * The level of the PC's IRQ line: an interrupt is pending and OUT2 is
 * asserted (the PC gates INTR with OUT2; in loopback OUT2 drives MSR DCD
 * instead, so the line stays low).
 */
static int irq_line(const struct uart8250 *u)
{
	if ((u->mcr & (MCR_OUT2 | MCR_LOOP)) != MCR_OUT2)
		return 0;
	return pending_source(u) != IIR_NONE;
}

/* Recompute the irq line and tell ops->set_irq when it changed. */
static void update_irq(struct uart8250 *u)
{
	int level, changed;

	pthread_mutex_lock(&u->irq_lock);
	pthread_mutex_lock(&u->lock);
	level = irq_line(u);
	changed = level != u->irq_level;
	u->irq_level = level;
	pthread_mutex_unlock(&u->lock);
	if (changed && u->ops->set_irq)
		u->ops->set_irq(u->opaque, level);
	pthread_mutex_unlock(&u->irq_lock);
}

/* Modem status input bits as the guest sees them for the current MCR. */
static uint8_t msr_lines(uint8_t mcr)
{
	uint8_t s = 0;

	if (!(mcr & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD; /* host end always ready */
	if (mcr & MCR_RTS)
		s |= MSR_CTS;
	if (mcr & MCR_DTR)
		s |= MSR_DSR;
	if (mcr & MCR_OUT1)
		s |= MSR_RI;
	if (mcr & MCR_OUT2)
		s |= MSR_DCD;
	return s;
}

/* Update MSR status bits for a new MCR, latching the delta bits. */
static void msr_update(struct uart8250 *u, uint8_t mcr)
{
	uint8_t old = u->msr & ~MSR_DELTAS, now = msr_lines(mcr);
	uint8_t chg = old ^ now;

	if (chg & MSR_CTS)
		u->msr |= MSR_DCTS;
	if (chg & MSR_DSR)
		u->msr |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))
		u->msr |= MSR_TERI;
	if (chg & MSR_DCD)
		u->msr |= MSR_DDCD;
	u->msr = (u->msr & MSR_DELTAS) | now;
}

static void rx_clear(struct uart8250 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	pthread_cond_broadcast(&u->room);
}

static void rx_push(struct uart8250 *u, uint8_t b)
{
	u->rx[(u->rx_head + u->rx_count) % UART_RXBUF] = b;
	u->rx_count++;
}

/* Registers to power-on values; caller holds the lock. */
static void reset_locked(struct uart8250 *u)
{
	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->scr = 0;
	u->dll = 0x0c; /* 9600 baud with the PC's 1.8432 MHz clock */
	u->dlm = 0;
	u->fcr = 0;
	u->lsr_err = 0;
	u->msr = msr_lines(0);
	u->rbr_last = 0;
	u->thre_pending = false;
	rx_clear(u);
}

/*
 * uart8250_new - allocate a UART in power-on state.
 * Returns the UART, or NULL when out of memory or ops is NULL.
 */
struct uart8250 *uart8250_new(const struct uart8250_ops *ops, void *opaque)
{
	struct uart8250 *u;

	if (!ops)
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->ops = ops;
	u->opaque = opaque;
	pthread_mutex_init(&u->lock, NULL);
	pthread_mutex_init(&u->irq_lock, NULL);
	pthread_cond_init(&u->room, NULL);
	reset_locked(u);
	return u;
}

/* Free the UART; no other thread may use it any more. */
void uart8250_free(struct uart8250 *u)
{
	if (!u)
		return;
	pthread_cond_destroy(&u->room);
	pthread_mutex_destroy(&u->irq_lock);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

/* Power-on reset (guest reboot): registers, FIFOs and pending host input. */
void uart8250_reset(struct uart8250 *u)
{
	pthread_mutex_lock(&u->lock);
	reset_locked(u);
	pthread_mutex_unlock(&u->lock);
	update_irq(u);
}

void uart8250_get_regs(struct uart8250 *u, struct uart8250_regs *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_lock(&u->lock);
	r->ier = u->ier;
	r->lcr = u->lcr;
	r->mcr = u->mcr;
	r->scr = u->scr;
	r->dll = u->dll;
	r->dlm = u->dlm;
	r->fcr = u->fcr;
	r->lsr_err = u->lsr_err;
	r->msr = u->msr;
	r->rbr_last = u->rbr_last;
	r->thre_pending = u->thre_pending;
	pthread_mutex_unlock(&u->lock);
}

void uart8250_set_regs(struct uart8250 *u, const struct uart8250_regs *r)
{
	pthread_mutex_lock(&u->lock);
	u->ier = r->ier & 0x0f;
	u->lcr = r->lcr;
	u->mcr = r->mcr & 0x1f;
	u->scr = r->scr;
	u->dll = r->dll;
	u->dlm = r->dlm;
	u->fcr = r->fcr;
	u->lsr_err = r->lsr_err & 0x1e;
	u->msr = r->msr;
	u->rbr_last = r->rbr_last;
	u->thre_pending = r->thre_pending != 0;
	pthread_mutex_unlock(&u->lock);
	update_irq(u);
}

/* RBR read: pop one byte of the receive FIFO. Caller holds the lock. */
static uint8_t read_rbr(struct uart8250 *u)
{
	if (u->rx_count) {
		u->rbr_last = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_RXBUF;
		u->rx_count--;
		pthread_cond_broadcast(&u->room);
	}
	return u->rbr_last;
}

/* IIR read: identify the source; reading a THRE report clears it. */
static uint8_t read_iir(struct uart8250 *u)
{
	uint8_t src = pending_source(u);

	if (src == IIR_THRE)
		u->thre_pending = false;
	return src | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
}

/* LSR read: status, clearing the sticky error bits. */
static uint8_t read_lsr(struct uart8250 *u)
{
	uint8_t v = LSR_THRE | LSR_TEMT | u->lsr_err;

	if (u->rx_count)
		v |= LSR_DR;
	u->lsr_err = 0;
	return v;
}

/* One register read with its side effects; caller holds the lock. */
static uint8_t read_locked(struct uart8250 *u, unsigned int off)
{
	uint8_t v;

	switch (off) {
	case REG_RBR:
		return (u->lcr & LCR_DLAB) ? u->dll : read_rbr(u);
	case REG_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case REG_IIR:
		return read_iir(u);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		return read_lsr(u);
	case REG_MSR:
		v = u->msr;
		u->msr &= ~MSR_DELTAS;
		return v;
	case REG_SCR:
		return u->scr;
	default:
		return 0xff;
	}
}

/*
 * uart8250_read - guest read of register off (0..7).
 * Returns the register value; 0xff for offsets outside the UART.
 */
uint8_t uart8250_read(struct uart8250 *u, unsigned int off)
{
	uint8_t v;

	pthread_mutex_lock(&u->lock);
	v = read_locked(u, off);
	pthread_mutex_unlock(&u->lock);
	update_irq(u);
	return v;
}

/*
 * THR write. In loopback the byte goes to the receive FIFO (overrun when
 * it is full); otherwise the caller transmits it. Returns true when the
 * byte must go to ops->tx. Caller holds the lock.
 */
static bool write_thr(struct uart8250 *u, uint8_t val)
{
	u->thre_pending = true; /* the byte leaves at once: THR empty again */
	if (!(u->mcr & MCR_LOOP))
		return true;
	if (u->rx_count >= ((u->fcr & FCR_ENABLE) ? UART_FIFO : 1))
		u->lsr_err |= LSR_OE;
	else
		rx_push(u, val);
	return false;
}

static void write_ier(struct uart8250 *u, uint8_t val)
{
	uint8_t old = u->ier;

	u->ier = val & IER_MASK;
	/* enabling ETBEI while THR is empty (always) raises THRE */
	if ((u->ier & IER_ETBEI) && !(old & IER_ETBEI))
		u->thre_pending = true;
}

static void write_fcr(struct uart8250 *u, uint8_t val)
{
	/* toggling FIFO enable clears both FIFOs */
	if ((val ^ u->fcr) & FCR_ENABLE)
		val |= FCR_CLEAR_RX;
	if ((val & FCR_CLEAR_RX) && ((val | u->fcr) & FCR_ENABLE))
		rx_clear(u);
	if (val & FCR_CLEAR_TX)
		u->thre_pending = true; /* THR was already empty */
	u->fcr = (val & FCR_ENABLE) ? (val & 0xc9) : 0;
}

static void write_mcr(struct uart8250 *u, uint8_t val)
{
	u->mcr = val & MCR_MASK;
	msr_update(u, u->mcr);
}

/* One register write; returns true when val must be transmitted. */
static bool write_locked(struct uart8250 *u, unsigned int off, uint8_t val)
{
	switch (off) {
	case REG_RBR:
		if (u->lcr & LCR_DLAB) {
			u->dll = val;
			return false;
		}
		return write_thr(u, val);
	case REG_IER:
		if (u->lcr & LCR_DLAB)
			u->dlm = val;
		else
			write_ier(u, val);
		break;
	case REG_IIR:
		write_fcr(u, val);
		break;
	case REG_LCR:
		u->lcr = val;
		break;
	case REG_MCR:
		write_mcr(u, val);
		break;
	case REG_SCR:
		u->scr = val;
		break;
	default: /* LSR and MSR are read-only, others do not exist */
		break;
	}
	return false;
}

/* Guest write of val to register off (0..7); other offsets are ignored. */
void uart8250_write(struct uart8250 *u, unsigned int off, uint8_t val)
{
	bool tx;

	pthread_mutex_lock(&u->lock);
	tx = write_locked(u, off, val);
	pthread_mutex_unlock(&u->lock);
	/* transmit before raising THRE so output keeps the guest's order */
	if (tx && u->ops->tx)
		u->ops->tx(u->opaque, &val, 1);
	update_irq(u);
}

/*
 * uart8250_receive - queue host input for the guest.
 * Returns how many bytes of buf fit in the host buffer (0 when full).
 */
size_t uart8250_receive(struct uart8250 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->rx_count < UART_RXBUF)
		rx_push(u, buf[n++]);
	pthread_mutex_unlock(&u->lock);
	if (n)
		update_irq(u);
	return n;
}

/*
 * uart8250_wait_room - block until the host buffer has room or
 * uart8250_wakeup() was called (then never blocks again).
 * Returns true when there is room.
 */
bool uart8250_wait_room(struct uart8250 *u)
{
	bool room;

	pthread_mutex_lock(&u->lock);
	while (u->rx_count >= UART_RXBUF && !u->woken)
		pthread_cond_wait(&u->room, &u->lock);
	room = u->rx_count < UART_RXBUF;
	pthread_mutex_unlock(&u->lock);
	return room;
}

/* Release waiters in uart8250_wait_room for good (shutdown). */
void uart8250_wakeup(struct uart8250 *u)
{
	pthread_mutex_lock(&u->lock);
	u->woken = true;
	pthread_cond_broadcast(&u->room);
	pthread_mutex_unlock(&u->lock);
}
