/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Creating the devices given on the command line (vdevs.c). */
#ifndef WIRT_VMM_VDEVS_H
#define WIRT_VMM_VDEVS_H

struct vm;

/*
 * vdevs_create - create the devices of cfg->vdevs (--disk, --net, --rng,
 * --console virtio), each parsing its own option string. After
 * vm_setup. Returns 0 or a negative errno after printing one error line.
 */
int vdevs_create(struct vm *vm);

#endif
