/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state writer of the fuzz targets' VM skeleton (fuzz-vm.c). */
#ifndef WIRT_FUZZ_VM_H
#define WIRT_FUZZ_VM_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/state/state.h"

/* A state section in memory, as save.c would write it. */
struct state_writer {
	uint8_t buf[65536];
	size_t len;
};

#endif
