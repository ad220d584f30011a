/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small platform devices wired into struct vm's buses:
 *  - i8042 (ports 0x60/0x64): just enough of a keyboard controller for the
 *    reset command (0xfe) Linux sends with reboot=k;
 *  - ACPI hardware-reduced registers: sleep control/status and reset
 *    (ports described in the FADT) and the GED event register (MMIO) that
 *    signals the power button; the PM1a event and control blocks of a
 *    full ACPI platform (firmware boot);
 *  - POST port 0x80, written by Linux as an I/O delay, swallowed quietly.
 */
#ifndef WIRT_VMM_PLATFORM_H
#define WIRT_VMM_PLATFORM_H

#include <stdint.h>

struct vm;

/* Register every platform device on vm's buses. Returns 0 or -errno. */
int platform_register(struct vm *vm);

/* Press the ACPI power button (GED event + interrupt). */
void platform_power_button(struct vm *vm);

/* Decode a write to SLEEP_CONTROL_REG: returns the S-state or -1. */
int acpi_sleep_state(uint8_t val);

#endif
