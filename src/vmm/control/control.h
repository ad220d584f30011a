/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VM control: the QMP command set of a running VM (--api-socket) and its
 * events. main.c calls control_init(), which installs control's event
 * sink in the VM (struct vm_events): the core reports stops, resets and
 * device events through it and never calls into this layer.
 */
#ifndef WIRT_VMM_CONTROL_H
#define WIRT_VMM_CONTROL_H

struct vm;
struct json_object;

/*
 * control_init - with --api-socket: create the QMP server, listen, start
 * its thread and install the VM's event sink, which turns the core's
 * events into QMP events and closes the socket at vm_destroy (main.c,
 * after vdevs_create). Returns 0, or -errno after one error line.
 */
int control_init(struct vm *vm);

/* control_event - broadcast event name (data consumed, may be NULL). */
void control_event(struct vm *vm, const char *name, struct json_object *data);

#endif
