// SPDX-License-Identifier: GPL-2.0-or-later
/* CFI parallel flash (Intel command set, x8): see pflash.h. */
#include "vmm/firmware/pflash.h"

#include <errno.h>
#include <string.h>

#define CMD_READ_ARRAY 0x00 /* the mode; 0xff and 0xf0 select it */
#define CMD_PROGRAM 0x10
#define CMD_ERASE 0x20
#define CMD_PROGRAM_ALT 0x40
#define CMD_CLEAR_STATUS 0x50
#define CMD_LOCK 0x60
#define CMD_READ_STATUS 0x70
#define CMD_READ_ID 0x90
#define CMD_CFI_QUERY 0x98
#define CMD_CONFIRM 0xd0
#define CMD_LOCK_SET 0x01
#define CMD_RESET_ALT 0xf0
#define CMD_RESET 0xff

#define ID_MANUFACTURER 0x89 /* Intel */
#define ID_DEVICE 0x18
#define CFI_TABLE_LEN 0x31

/* Whether v is a command that may start a sequence. */
static bool is_command(uint8_t v)
{
	switch (v) {
	case CMD_PROGRAM:
	case CMD_PROGRAM_ALT:
	case CMD_ERASE:
	case CMD_CLEAR_STATUS:
	case CMD_LOCK:
	case CMD_READ_STATUS:
	case CMD_READ_ID:
	case CMD_CFI_QUERY:
	case CMD_RESET_ALT:
	case CMD_RESET:
		return true;
	default:
		return false;
	}
}

static void refresh_view(struct pflash *f);

int pflash_init(struct pflash *f, uint8_t *mem, uint8_t *view, size_t size,
		size_t block, bool ro)
{
	if (!block || (block & (block - 1)) || !size || size % block)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	f->mem = mem;
	f->size = size;
	f->block = block;
	f->ro = ro;
	f->status = PFLASH_STATUS_READY;
	f->view = view;
	refresh_view(f);
	return 0;
}

bool pflash_romd(const struct pflash *f)
{
	return f->cmd == CMD_READ_ARRAY && !f->wcycle;
}

/* Persist changed contents through the owner's callback. */
static void flush(struct pflash *f)
{
	if (f->dirty && f->sync)
		f->sync(f->opaque, f->dirty_lo, f->dirty_hi - f->dirty_lo);
	f->dirty = false;
}

/* Note that [off, off+len) changed. */
static void mark_dirty(struct pflash *f, size_t off, size_t len)
{
	if (!f->dirty || off < f->dirty_lo)
		f->dirty_lo = off;
	if (!f->dirty || off + len > f->dirty_hi)
		f->dirty_hi = off + len;
	f->dirty = true;
}

/* Enter mode cmd (CMD_READ_ARRAY or a command) at write cycle wcycle. */
static void set_mode(struct pflash *f, uint8_t cmd, uint8_t wcycle)
{
	f->cmd = cmd;
	f->wcycle = wcycle;
	if (pflash_romd(f))
		flush(f);
}

void pflash_reset(struct pflash *f)
{
	f->status = PFLASH_STATUS_READY;
	set_mode(f, CMD_READ_ARRAY, 0);
	flush(f);
	refresh_view(f);
}

/* The CFI query table byte at index i (x8 device, one erase region). */
static uint8_t cfi_byte(const struct pflash *f, uint64_t i)
{
	size_t nblocks = f->size / f->block - 1, bsz = f->block >> 8;
	unsigned int log2 = 0;

	while (log2 < 63 && ((size_t)1 << log2) < f->size)
		log2++;
	switch (i) {
	case 0x10:
		return 'Q';
	case 0x11:
		return 'R';
	case 0x12:
		return 'Y';
	case 0x13: /* primary command set: Intel/Sharp extended */
		return 0x01;
	case 0x1f: /* typical byte program time 2^n us */
	case 0x21: /* typical block erase time 2^n ms */
		return 0x01;
	case 0x27:
		return log2;
	case 0x28: /* x8 interface */
		return 0x00;
	case 0x2c: /* erase block regions */
		return 0x01;
	case 0x2d:
		return nblocks & 0xff;
	case 0x2e:
		return nblocks >> 8 & 0xff;
	case 0x2f:
		return bsz & 0xff;
	case 0x30:
		return bsz >> 8 & 0xff;
	default:
		return 0;
	}
}

/* A read at off of size bytes (inside the flash) in the current mode. */
static void do_read(const struct pflash *f, uint64_t off, uint8_t *data,
		    unsigned int size)
{
	unsigned int i;

	for (i = 0; i < size; i++) {
		switch (f->cmd) {
		case CMD_READ_ARRAY:
			data[i] = f->mem[off + i];
			break;
		case CMD_READ_ID:
			data[i] = (off + i) % 2 ? ID_DEVICE : ID_MANUFACTURER;
			break;
		case CMD_CFI_QUERY:
			data[i] = off + i < CFI_TABLE_LEN ?
					  cfi_byte(f, off + i) :
					  0;
			break;
		default: /* program, erase, lock, status */
			data[i] = f->status;
			break;
		}
	}
}

/* Draw the view: what reads at each offset return in the current mode. */
static void refresh_view(struct pflash *f)
{
	size_t i;

	if (!f->view)
		return;
	switch (f->cmd) {
	case CMD_READ_ARRAY:
		memcpy(f->view, f->mem, f->size);
		break;
	case CMD_READ_ID:
	case CMD_CFI_QUERY:
		for (i = 0; i < f->size; i++)
			do_read(f, i, f->view + i, 1);
		break;
	default:
		memset(f->view, f->status, f->size);
		break;
	}
	f->view_cmd = f->cmd;
	f->view_status = f->status;
}

/* refresh_view when the mode or, out of read-array mode, the status changed. */
static void update_view(struct pflash *f)
{
	if (f->view && (f->cmd != f->view_cmd || (f->cmd != CMD_READ_ARRAY &&
						  f->status != f->view_status)))
		refresh_view(f);
}

/* The second write of a two-cycle command (value v, size bytes at off). */
static void second_cycle(struct pflash *f, uint64_t off, const uint8_t *data,
			 unsigned int size)
{
	uint8_t v = data[0];

	if (f->cmd == CMD_PROGRAM || f->cmd == CMD_PROGRAM_ALT) {
		if (f->ro) {
			f->status |= PFLASH_STATUS_PROGRAM_ERR;
		} else {
			memcpy(f->mem + off, data, size);
			mark_dirty(f, off, size);
		}
		f->status |= PFLASH_STATUS_READY;
		set_mode(f, f->cmd, 0);
	} else if (v == CMD_CONFIRM && f->cmd == CMD_ERASE) {
		if (f->ro) {
			f->status |= PFLASH_STATUS_ERASE_ERR;
		} else {
			off &= ~(uint64_t)(f->block - 1);
			memset(f->mem + off, 0xff, f->block);
			mark_dirty(f, off, f->block);
		}
		f->status |= PFLASH_STATUS_READY;
		set_mode(f, f->cmd, 0);
	} else if (f->cmd == CMD_LOCK &&
		   (v == CMD_CONFIRM || v == CMD_LOCK_SET)) {
		/* block locking is accepted and not enforced, as QEMU does */
		f->status |= PFLASH_STATUS_READY;
		set_mode(f, f->cmd, 0);
	} else {
		/* 0xff or an invalid sequence: back to read array */
		set_mode(f, CMD_READ_ARRAY, 0);
	}
}

/* The first write of a command sequence: value v. */
static void first_cycle(struct pflash *f, uint8_t v)
{
	switch (v) {
	case CMD_PROGRAM:
	case CMD_PROGRAM_ALT:
	case CMD_ERASE:
	case CMD_LOCK:
		set_mode(f, v, 1);
		break;
	case CMD_CLEAR_STATUS:
		f->status = 0;
		set_mode(f, CMD_READ_ARRAY, 0);
		break;
	case CMD_READ_STATUS:
	case CMD_READ_ID:
	case CMD_CFI_QUERY:
		set_mode(f, v, 0);
		break;
	default: /* read array, or not a command: read array */
		set_mode(f, CMD_READ_ARRAY, 0);
		break;
	}
}

void pflash_access(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
		   bool wr)
{
	struct pflash *f = opaque;

	if (!size || size > 8 || off >= f->size || size > f->size - off) {
		if (!wr)
			memset(data, 0xff, size);
		return;
	}
	if (!wr) {
		do_read(f, off, data, size);
		return;
	}
	if (f->wcycle)
		second_cycle(f, off, data, size);
	else
		first_cycle(f, is_command(data[0]) ? data[0] : CMD_RESET);
	update_view(f);
}

void pflash_save(const struct pflash *f, uint8_t *buf)
{
	buf[0] = f->cmd;
	buf[1] = f->wcycle;
	buf[2] = f->status;
	buf[3] = 0;
}

int pflash_load(struct pflash *f, const uint8_t *buf, size_t len)
{
	uint8_t cmd, wcycle;

	if (len != PFLASH_STATE_LEN || buf[3] || buf[1] > 1)
		return -EINVAL;
	cmd = buf[0];
	wcycle = buf[1];
	if (cmd != CMD_READ_ARRAY &&
	    (!is_command(cmd) || cmd == CMD_RESET || cmd == CMD_RESET_ALT ||
	     cmd == CMD_CLEAR_STATUS))
		return -EINVAL;
	if (wcycle && cmd != CMD_PROGRAM && cmd != CMD_PROGRAM_ALT &&
	    cmd != CMD_ERASE && cmd != CMD_LOCK)
		return -EINVAL;
	f->status = buf[2];
	set_mode(f, cmd, wcycle);
	refresh_view(f);
	return 0;
}
