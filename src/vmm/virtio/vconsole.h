/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-console (virtio 1.2, 5.3) with a single port, no multiport: the
 * guest's hvc0. Its output goes to the VM's console backend; the
 * backend's input is handed to it instead of the UART.
 */
#ifndef WIRT_VMM_VIRTIO_VCONSOLE_H
#define WIRT_VMM_VIRTIO_VCONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct virtio_console;

#define VIRTIO_CONSOLE_INBUF 4096 /* host input waiting for the guest */

/*
 * virtio_console_create - the --console virtio constructor for vdevs.c
 * (spec must be empty). Sets vm->con_input. Returns 0 or -errno after printing
 * one line.
 */
int virtio_console_create(struct vm *vm, const char *spec);

/*
 * virtio_console_input - queue host input for hvc0 (console input thread).
 * Never blocks. Returns how many bytes were taken (0 when the buffer is
 * full because the guest is not reading).
 */
size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf,
			    size_t len);

#endif
