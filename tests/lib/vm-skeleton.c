// SPDX-License-Identifier: GPL-2.0-or-later
/* The VM skeleton of the device unit tests and fuzz targets; see the header. */
#include "vm-skeleton.h"

#include <errno.h>
#include <string.h>

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

void vm_request_stop(struct vm *vm, enum vm_request req)
{
	if (vm->request == VM_RUNNING || req == VM_CRASH)
		vm->request = req;
}

int state_put(struct state_writer *w, const void *buf, size_t len)
{
	if (len > sizeof(w->buf) - w->len)
		return -ENOSPC;
	memcpy(w->buf + w->len, buf, len);
	w->len += len;
	return 0;
}

void skel_vm_init(struct vm *vm, struct vmm_config *cfg, uint8_t *ram,
		  uint64_t size)
{
	memset(vm, 0, sizeof(*vm));
	cfg->memory = size;
	vm->cfg = cfg;
	vm->vm_fd = -1;
	vm->kvm_fd = -1;
	vm->ncpus = 1;
	vm->ram = ram;
	pthread_mutex_init(&vm->lock, NULL);
	vm->mem.r[0] = (struct gmem_region){ 0, size, ram };
	vm->mem.n = 1;
}

void skel_vm_destroy(struct vm *vm)
{
	unsigned int i = vm->nhooks;

	while (i--)
		if (vm->hooks[i].destroy)
			vm->hooks[i].destroy(vm, vm->hooks[i].opaque);
	pthread_mutex_destroy(&vm->lock);
}

uint64_t skel_io(struct bus *b, uint64_t addr, unsigned int size, bool wr,
		 uint64_t v)
{
	uint8_t d[8] = { 0 };

	memcpy(d, &v, size);
	bus_access(b, addr, d, size, wr);
	v = 0;
	memcpy(&v, d, size);
	return v;
}
