// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: virtio-balloon's inflate, deflate and statistics
 * queues against a hostile guest (vdev-fuzz.c); host actions are the QMP
 * side (target, statistics, polling interval) and a save/load round trip.
 */
#include "fuzz.h"
#include "fuzz-vm.h"
#include "vmm/virtio/balloon.h"

static struct vm vm;
static struct vmm_config cfg;
static struct state_writer w;

/* Host action a on balloon d with argument b. */
static void host(struct virtio_dev *d, uint8_t a, uint8_t b)
{
	struct vballoon *bl = virtio_balloon_find(&vm);
	struct balloon_stats s;

	switch (a % 5) {
	case 0:
		virtio_balloon_set_target(bl, (uint64_t)b << 12);
		break;
	case 1:
		virtio_balloon_get_stats(bl, &s);
		break;
	case 2:
		if (virtio_balloon_actual(bl) > cfg.memory)
			__builtin_trap();
		break;
	case 3:
		virtio_balloon_set_interval(bl, b % 2);
		break;
	case 4:
		w.len = 0;
		if (d->ops->quiesce(d) || d->ops->save(d, &w) ||
		    d->ops->load(d, w.buf, w.len))
			__builtin_trap();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };

	if (!vm.ram)
		fz_vm_init(&vm, &cfg, FZ_RAM_SIZE);
	if (virtio_balloon_create(
		    &vm, size && data[0] & 0x80 ? "deflate-on-oom=on" : ""))
		__builtin_trap();
	fz_vdev_run(fz_last_dev, vm.ram, &in, host, NULL);
	fz_transport_free(fz_last_dev);
	vm.nhooks = vm.nstate_hooks = 0;
	return 0;
}
