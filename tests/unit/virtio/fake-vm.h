/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM of the device unit tests: the skeleton of tests/lib/vm-skeleton.c
 * (no KVM: vm_fd -1, so routes and ioeventfds are only recorded), and
 * helpers that act as the guest (port and MMIO accesses) and as
 * state_save (quiesce, save, resume, reset).
 */
#ifndef WIRT_TEST_FAKE_VM_H
#define WIRT_TEST_FAKE_VM_H

#include <stddef.h>
#include <stdint.h>

#include "vm-skeleton.h"

/* fake_vm_init - vm with cfg (memory = size) and one RAM region ram. */
void fake_vm_init(struct vm *vm, struct vmm_config *cfg, uint8_t *ram,
		  uint64_t size);

/* fake_vm_destroy - run the destroy hooks, last first. */
void fake_vm_destroy(struct vm *vm);

/* fake_io - one access of size bytes on bus b; returns what was read. */
uint64_t fake_io(struct bus *b, uint64_t addr, unsigned int size, bool wr,
		 uint64_t v);

/* Config space of bus 0 through ports 0xcf8/0xcfc. */
uint32_t fake_cf8_read(struct vm *vm, unsigned int slot, unsigned int reg);
void fake_cf8_write(struct vm *vm, unsigned int slot, unsigned int reg,
		    unsigned int size, uint32_t v);

/* As state_save: quiesce every state hook, save each into w[i], resume. */
void fake_quiesce_all(struct vm *vm);
void fake_save_all(struct vm *vm, struct state_writer *w);
void fake_resume_all(struct vm *vm);

/* A guest reboot: every hook's reset. */
void fake_reset_all(struct vm *vm);

#endif
