/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Taps for a domain's network and bridge interfaces (vmtaps.c). */
#ifndef WIRT_WIRTD_VMTAPS_H
#define WIRT_WIRTD_VMTAPS_H

#include <stddef.h>

#include "domain/domain.h"

struct vmrec;

/*
 * vm_taps_open - for each <interface type='network'|'bridge'> of d (its
 * network active, or its host bridge present), a new tap on the bridge:
 * fds[i] its descriptor (-1 for other NICs), vm->taps[i] its name.
 * Returns 0, or -errno with err set and nothing left open.
 */
int vm_taps_open(struct vmrec *vm, const struct dom_def *d, int *fds, char *err,
		 size_t errlen);

/* vm_nic_tap - the host tap of vm's NIC i: the one wirtd made, else
 * <target dev=> (ethernet), else NULL (user networking). */
const char *vm_nic_tap(const struct vmrec *vm, unsigned int i);

/* vm_taps_close - close wirtd's copies (the VM keeps its own). */
void vm_taps_close(const struct dom_def *d, int *fds);

#endif
