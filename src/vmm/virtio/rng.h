/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-rng (virtio 1.2, 5.4): entropy from the host's getrandom(). */
#ifndef WIRT_VMM_VIRTIO_RNG_H
#define WIRT_VMM_VIRTIO_RNG_H

struct vm;

/* Most bytes one request gets; the guest asks again for more. */
#define VIRTIO_RNG_MAX_REQUEST 65536

/*
 * virtio_rng_create - the --rng constructor for vdevs.c (spec must be
 * empty; one device per VM). Returns 0 or -errno after printing one line.
 */
int virtio_rng_create(struct vm *vm, const char *spec);

#endif
