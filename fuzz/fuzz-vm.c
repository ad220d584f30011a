// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VM skeleton of the fuzz targets (see fuzz.h): the parts of vm.c and
 * of the state writer that devices and the PCI code call, without KVM
 * (vm_fd -1: routes and ioeventfds are only recorded).
 */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "fuzz-vm.h"
#include "vmm/bus.h"
#include "vmm/control/control.h"

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

/* The VM has no control socket: events are dropped, as control.c does. */
void control_event(struct vm *vm, const char *name, struct json_object *data)
{
	json_object_put(data);
}

void fz_vm_init(struct vm *vm, struct vmm_config *cfg, uint64_t ram_size)
{
	void *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (ram == MAP_FAILED)
		__builtin_trap();
	memset(vm, 0, sizeof(*vm));
	cfg->memory = ram_size;
	vm->cfg = cfg;
	vm->vm_fd = -1;
	vm->kvm_fd = -1;
	vm->ncpus = 1;
	vm->ram = ram;
	pthread_mutex_init(&vm->lock, NULL);
	vm->mem.r[0] = (struct gmem_region){ 0, ram_size, ram };
	vm->mem.n = 1;
}

void fz_vm_destroy(struct vm *vm)
{
	unsigned int i = vm->nhooks;

	while (i--)
		if (vm->hooks[i].destroy)
			vm->hooks[i].destroy(vm, vm->hooks[i].opaque);
	pthread_mutex_destroy(&vm->lock);
	munmap(vm->ram, vm->cfg->memory);
}

uint64_t fz_io(struct bus *b, uint64_t addr, unsigned int size, bool wr,
	       uint64_t v)
{
	uint8_t d[8] = { 0 };

	memcpy(d, &v, size);
	bus_access(b, addr, d, size, wr);
	v = 0;
	memcpy(&v, d, size);
	return v;
}
