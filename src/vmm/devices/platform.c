// SPDX-License-Identifier: GPL-2.0-or-later
/* i8042 reset, ACPI sleep/reset registers, GED event register, port 0x80. */
#include "vmm/devices/platform.h"

#include <stdatomic.h>
#include <string.h>

#include "vmm/acpi/acpi.h"
#include "vmm/bus.h"
#include "vmm/vm.h"

#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define I8042_CMD_RESET 0xfe

int acpi_sleep_state(uint8_t val)
{
	if (!(val & ACPI_SLP_EN))
		return -1;
	return (val >> 2) & 7;
}

static void i8042_io(void *opaque, uint64_t off, uint8_t *data,
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

/* GED event register: reading returns the pending events and clears them. */
static void ged_io(void *opaque, uint64_t off, uint8_t *data,
		   unsigned int size, bool wr)
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

	r = bus_register(&vm->pio, I8042_DATA, 5, i8042_io, vm, "i8042");
	if (!r)
		r = bus_register(&vm->pio, ACPI_SLEEP_CTL_PORT, 3, acpi_io, vm,
				 "acpi");
	if (!r)
		r = bus_register(&vm->pio, 0x80, 1, post_io, vm, "post");
	if (!r)
		r = bus_register(&vm->mmio, ACPI_GED_MMIO_BASE, 4, ged_io, vm,
				 "ged");
	return r;
}
