// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The 8042 (a reset-only stub for direct kernel boots, the keyboard
 * controller of i8042.h for firmware boots), ACPI sleep/reset registers,
 * PM1 event/control blocks, PM timer, GED event register, port 0x80.
 */
#include "vmm/devices/platform.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/acpi/acpi.h"
#include "vmm/boot/le.h"
#include "vmm/bus.h"
#include "vmm/devices/i8042.h"
#include "vmm/state/state.h"
#include "vmm/vm.h"

#define I8042_DATA I8042_DATA_PORT
#define I8042_CMD I8042_CMD_PORT
#define I8042_CMD_RESET 0xfe
#define KBD_IRQ 1

int acpi_sleep_state(uint8_t val)
{
	if (!(val & ACPI_SLP_EN))
		return -1;
	return (val >> 2) & 7;
}

/* The direct boot's 8042: empty status, reset on command 0xfe. */
static void i8042_stub_io(void *opaque, uint64_t off, uint8_t *data,
			  unsigned int size, bool wr)
{
	struct vm *vm = opaque;

	if (!wr) {
		/* status: output buffer empty, input buffer empty */
		memset(data, 0, size);
		return;
	}
	if (off == I8042_CMD - I8042_DATA && data[0] == I8042_CMD_RESET)
		vm_request_stop(vm, VM_RESET);
}

/* The keyboard controller's IRQ 1 and reset line (firmware boots). */
static void kbc_irq(void *opaque, int level)
{
	vm_set_irq(opaque, KBD_IRQ, level);
}

static void kbc_reset_line(void *opaque)
{
	vm_request_stop(opaque, VM_RESET);
}

/* Ports 0x60-0x64: the controller at 0x60 and 0x64; 0x61-0x63 read 0. */
static void kbc_io(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
		   bool wr)
{
	if (!wr)
		memset(data, 0, size);
	if (off == 0 || off == I8042_CMD - I8042_DATA)
		i8042_io(opaque, off, data, wr);
}

static void kbc_reset(struct vm *vm, void *opaque)
{
	(void)vm;
	i8042_reset(opaque);
}

static void kbc_destroy(struct vm *vm, void *opaque)
{
	(void)vm;
	free(opaque);
}

static int kbc_save(struct vm *vm, void *opaque, struct state_writer *w)
{
	uint8_t buf[I8042_STATE_LEN];

	(void)vm;
	i8042_save(opaque, buf);
	return state_put(w, buf, sizeof(buf));
}

static int kbc_load(struct vm *vm, void *opaque, const void *buf, size_t len)
{
	(void)vm;
	return i8042_load(opaque, buf, len);
}

/* The keyboard controller of a firmware boot, its hooks. 0 or -errno. */
static int kbc_register(struct vm *vm)
{
	struct i8042 *k = malloc(sizeof(*k));
	struct vm_hook h = { .name = "i8042",
			     .reset = kbc_reset,
			     .destroy = kbc_destroy,
			     .opaque = k };
	struct vm_state_hook sh = {
		.name = "i8042", .save = kbc_save, .load = kbc_load, .opaque = k
	};
	int r;

	if (!k)
		return -ENOMEM;
	i8042_init(k, kbc_irq, kbc_reset_line, vm);
	r = vm_add_hook(vm, &h);
	if (r) {
		free(k);
		return r;
	}
	r = vm_add_state_hook(vm, &sh);
	if (!r)
		r = bus_register(&vm->pio, I8042_DATA, 5, kbc_io, k, "i8042");
	return r;
}

static void acpi_io(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int size, bool wr)
{
	struct vm *vm = opaque;
	uint16_t port = ACPI_SLEEP_CTL_PORT + off;

	if (!wr) {
		memset(data, 0, size);
		return;
	}
	if (port == ACPI_SLEEP_CTL_PORT &&
	    acpi_sleep_state(data[0]) == ACPI_SLP_TYP_S5)
		vm_request_stop(vm, VM_POWEROFF);
	else if (port == ACPI_RESET_PORT && data[0] == ACPI_RESET_VALUE)
		vm_request_stop(vm, VM_RESET);
}

/*
 * The PM1a event (status, enable) and control blocks as one 6-byte range:
 * status reads 0 (no fixed event ever fires), enable keeps what was
 * written, control reads SCI_EN and the last SLP_TYP; writing SLP_EN with
 * the \_S5 type powers off.
 */
static void pm1_io(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
		   bool wr)
{
	struct vm *vm = opaque;
	uint8_t regs[ACPI_PM1_EVT_LEN + ACPI_PM1_CNT_LEN] = { 0 };
	uint32_t v = atomic_load(&vm->pm1_regs), cnt;

	if (off >= sizeof(regs) || size > sizeof(regs) - off) {
		if (!wr)
			memset(data, 0, size);
		return;
	}
	put_le16(regs + 2, v & 0xffff);
	put_le16(regs + 4, (v >> 16) | ACPI_PM1_SCI_EN);
	if (!wr) {
		memcpy(data, regs + off, size);
		return;
	}
	memcpy(regs + off, data, size);
	memset(regs, 0, 2); /* status: write-1-to-clear, nothing is set */
	cnt = le16(regs + 4) & ~ACPI_PM1_SCI_EN;
	atomic_store(&vm->pm1_regs, le16(regs + 2) | (cnt & ~ACPI_PM1_SLP_EN)
							     << 16);
	if ((cnt & ACPI_PM1_SLP_EN) &&
	    ((cnt >> ACPI_PM1_SLP_TYP_SHIFT) & 7) == ACPI_SLP_TYP_S5)
		vm_request_stop(vm, VM_POWEROFF);
}

/* The ACPI PM timer: a free-running 32-bit count at 3.579545 MHz. */
static void pm_tmr_io(void *opaque, uint64_t off, uint8_t *data,
		      unsigned int size, bool wr)
{
	struct timespec ts;
	uint64_t ticks;
	uint32_t v;

	(void)opaque;
	memset(data, 0, size);
	if (wr || off >= ACPI_PM_TMR_LEN || size > ACPI_PM_TMR_LEN - off)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ticks = (uint64_t)ts.tv_sec * ACPI_PM_TMR_HZ +
		(uint64_t)ts.tv_nsec * ACPI_PM_TMR_HZ / 1000000000u;
	v = (uint32_t)ticks;
	memcpy(data, (uint8_t *)&v + off, size);
}

/* GED event register: reading returns the pending events and clears them. */
static void ged_io(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
		   bool wr)
{
	struct vm *vm = opaque;
	uint32_t ev;

	if (wr)
		return;
	ev = off == 0 ? atomic_exchange(&vm->ged_events, 0) : 0;
	memset(data, 0, size);
	memcpy(data, &ev, size < 4 ? size : 4);
}

static void post_io(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int size, bool wr)
{
	if (!wr)
		memset(data, 0, size);
}

void platform_power_button(struct vm *vm)
{
	atomic_fetch_or(&vm->ged_events, ACPI_GED_EVT_POWER_BUTTON);
	vm_set_irq(vm, ACPI_GED_IRQ, 1);
	vm_set_irq(vm, ACPI_GED_IRQ, 0);
}

int platform_register(struct vm *vm)
{
	int r;

	if (vm->cfg->firmware)
		r = kbc_register(vm);
	else
		r = bus_register(&vm->pio, I8042_DATA, 5, i8042_stub_io, vm,
				 "i8042");
	if (!r)
		r = bus_register(&vm->pio, ACPI_SLEEP_CTL_PORT, 3, acpi_io, vm,
				 "acpi");
	if (!r)
		r = bus_register(&vm->pio, ACPI_PM1_EVT_PORT,
				 ACPI_PM1_EVT_LEN + ACPI_PM1_CNT_LEN, pm1_io,
				 vm, "acpi-pm1");
	if (!r)
		r = bus_register(&vm->pio, ACPI_PM_TMR_PORT, ACPI_PM_TMR_LEN,
				 pm_tmr_io, vm, "acpi-pmtmr");
	if (!r)
		r = bus_register(&vm->pio, 0x80, 1, post_io, vm, "post");
	if (!r)
		r = bus_register(&vm->mmio, ACPI_GED_MMIO_BASE, 4, ged_io, vm,
				 "ged");
	return r;
}
