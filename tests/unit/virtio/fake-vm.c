// SPDX-License-Identifier: GPL-2.0-or-later
/* The VM skeleton of the device unit tests; see fake-vm.h. */
#include "fake-vm.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/bus.h"

int vm_add_hook(struct vm *v, const struct vm_hook *h)
{
	if (v->nhooks == VM_MAX_HOOKS)
		return -ENOSPC;
	v->hooks[v->nhooks++] = *h;
	return 0;
}

int vm_add_state_hook(struct vm *v, const struct vm_state_hook *h)
{
	if (v->nstate_hooks == VM_MAX_HOOKS)
		return -ENOSPC;
	v->state_hooks[v->nstate_hooks++] = *h;
	return 0;
}

int state_put(struct state_writer *w, const void *buf, size_t len)
{
	if (len > sizeof(w->buf) - w->len)
		return -ENOSPC;
	memcpy(w->buf + w->len, buf, len);
	w->len += len;
	return 0;
}

void fake_vm_init(struct vm *vm, struct vmm_config *cfg, uint8_t *ram,
		  uint64_t size)
{
	memset(vm, 0, sizeof(*vm));
	cfg->memory = size;
	vm->cfg = cfg;
	vm->vm_fd = -1;
	vm->kvm_fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	vm->mem.r[0] = (struct gmem_region){ 0, size, ram };
	vm->mem.n = 1;
}

void fake_vm_destroy(struct vm *vm)
{
	unsigned int i = vm->nhooks;

	while (i--)
		if (vm->hooks[i].destroy)
			vm->hooks[i].destroy(vm, vm->hooks[i].opaque);
	pthread_mutex_destroy(&vm->lock);
}

uint64_t fake_io(struct bus *b, uint64_t addr, unsigned int size, bool wr,
		 uint64_t v)
{
	uint8_t d[8] = { 0 };

	memcpy(d, &v, size);
	bus_access(b, addr, d, size, wr);
	v = 0;
	memcpy(&v, d, size);
	return v;
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
