// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: virtio-rng's request handling against a hostile guest
 * (rings, chains, buffers chosen by the input; see vdev-fuzz.c).
 */
#include "fuzz.h"
#include "vmm/virtio/rng.h"

static struct vm vm;
static struct vmm_config cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };

	if (!vm.ram)
		fz_vm_init(&vm, &cfg, FZ_RAM_SIZE);
	if (virtio_rng_create(&vm, ""))
		__builtin_trap();
	fz_vdev_run(fz_last_dev, vm.ram, &in, NULL, NULL);
	fz_transport_free(fz_last_dev);
	vm.nhooks = vm.nstate_hooks = 0;
	return 0;
}
