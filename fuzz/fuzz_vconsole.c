// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: virtio-console's receive and transmit queues against a
 * hostile guest (vdev-fuzz.c); host actions feed console input of a
 * fuzz-chosen length, as the console backend's input thread would.
 */
#include "fuzz.h"
#include "vmm/devices/console.h"
#include "vmm/virtio/vconsole.h"

static struct vm vm;
static struct vmm_config cfg;
static unsigned long written;

/* The VM's console backend: what the guest sends to hvc0 ends here. */
void console_write(struct console *c, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		written += buf[i];
}

/* Host action: console input of a bytes (value b), then a kick of rx. */
static void host(struct virtio_dev *d, uint8_t a, uint8_t b)
{
	uint8_t buf[256];
	unsigned int i;

	for (i = 0; i < a; i++)
		buf[i] = b + i;
	virtio_console_input(vm.con_input_opaque, buf, a);
	if (__atomic_load_n(&d->vqs[0].ready, __ATOMIC_ACQUIRE))
		d->ops->queue_notify(d, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };

	if (!vm.ram)
		fz_vm_init(&vm, &cfg, FZ_RAM_SIZE);
	if (virtio_console_create(&vm, ""))
		__builtin_trap();
	fz_vdev_run(fz_last_dev, vm.ram, &in, host, NULL);
	fz_transport_free(fz_last_dev);
	vm.nhooks = vm.nstate_hooks = 0;
	return 0;
}
