// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VM of the fuzz targets (see fuzz.h): the skeleton of
 * tests/lib/vm-skeleton.c (without KVM: vm_fd -1, routes and ioeventfds
 * are only recorded) on page-aligned RAM of its own.
 */
#include <sys/mman.h>

#include "fuzz.h"
#include "fuzz-vm.h"

void fz_vm_init(struct vm *vm, struct vmm_config *cfg, uint64_t ram_size)
{
	void *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (ram == MAP_FAILED)
		__builtin_trap();
	skel_vm_init(vm, cfg, ram, ram_size);
}

void fz_vm_destroy(struct vm *vm)
{
	skel_vm_destroy(vm);
	munmap(vm->ram, vm->cfg->memory);
}

uint64_t fz_io(struct bus *b, uint64_t addr, unsigned int size, bool wr,
	       uint64_t v)
{
	return skel_io(b, addr, size, wr, v);
}
