/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM skeleton without KVM (vm_fd -1, so routes and ioeventfds are only
 * recorded), shared by the device unit tests (tests/unit/virtio/fake-vm.c)
 * and the fuzz targets (fuzz/fuzz-vm.c): the parts of vm.c and of the
 * state writer that devices and the PCI code call, and one bus access as
 * the guest makes it. No test framework: fuzz targets link it too.
 */
#ifndef WIRT_TEST_VM_SKELETON_H
#define WIRT_TEST_VM_SKELETON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/state/state.h"
#include "vmm/vm.h"

/* A state section in memory, as save.c would write it. */
struct state_writer {
	uint8_t buf[65536];
	size_t len;
};

/*
 * skel_vm_init - vm with cfg (memory = size), one vCPU and one RAM region
 * ram at guest address 0; no event sink (events are dropped).
 */
void skel_vm_init(struct vm *vm, struct vmm_config *cfg, uint8_t *ram,
		  uint64_t size);

/* vm_request_stop here only records the request in vm->request. */

/* skel_vm_destroy - run the destroy hooks, last first (RAM stays). */
void skel_vm_destroy(struct vm *vm);

/* skel_io - one access of size (1..8) bytes on bus b; returns what was read. */
uint64_t skel_io(struct bus *b, uint64_t addr, unsigned int size, bool wr,
		 uint64_t v);

#endif
