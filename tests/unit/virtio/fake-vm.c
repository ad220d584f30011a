// SPDX-License-Identifier: GPL-2.0-or-later
/* The device unit tests' VM: tests/lib/vm-skeleton.c plus guest helpers. */
#include "fake-vm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

void fake_vm_init(struct vm *vm, struct vmm_config *cfg, uint8_t *ram,
		  uint64_t size)
{
	skel_vm_init(vm, cfg, ram, size);
}

void fake_vm_destroy(struct vm *vm)
{
	skel_vm_destroy(vm);
}

uint64_t fake_io(struct bus *b, uint64_t addr, unsigned int size, bool wr,
		 uint64_t v)
{
	return skel_io(b, addr, size, wr, v);
}

uint32_t fake_cf8_read(struct vm *vm, unsigned int slot, unsigned int reg)
{
	fake_io(&vm->pio, 0xcf8, 4, true, 0x80000000u | slot << 11 | reg);
	return fake_io(&vm->pio, 0xcfc, 4, false, 0);
}

void fake_cf8_write(struct vm *vm, unsigned int slot, unsigned int reg,
		    unsigned int size, uint32_t v)
{
	fake_io(&vm->pio, 0xcf8, 4, true,
		0x80000000u | slot << 11 | (reg & ~3u));
	fake_io(&vm->pio, 0xcfc + (reg & 3), size, true, v);
}

void fake_quiesce_all(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nstate_hooks; i++)
		if (vm->state_hooks[i].quiesce)
			assert_int_equal(vm->state_hooks[i].quiesce(
						 vm, vm->state_hooks[i].opaque),
					 0);
}

void fake_save_all(struct vm *vm, struct state_writer *w)
{
	unsigned int i;

	for (i = 0; i < vm->nstate_hooks; i++) {
		w[i].len = 0;
		assert_int_equal(vm->state_hooks[i].save(
					 vm, vm->state_hooks[i].opaque, &w[i]),
				 0);
	}
}

void fake_resume_all(struct vm *vm)
{
	unsigned int i = vm->nstate_hooks;

	while (i--)
		if (vm->state_hooks[i].resume)
			vm->state_hooks[i].resume(vm,
						  vm->state_hooks[i].opaque);
}

void fake_reset_all(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nhooks; i++)
		if (vm->hooks[i].reset)
			vm->hooks[i].reset(vm, vm->hooks[i].opaque);
}
