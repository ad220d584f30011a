// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Creating the devices given on the command line. Each kind maps to the
 * constructor of its module, which parses its own option string.
 */
#include "vmm/vdevs.h"

#include <errno.h>

#include "common/util.h"
#include "vmm/sata/cdrom.h"
#include "vmm/virtio/balloon.h"
#include "vmm/virtio/rng.h"
#include "vmm/virtio/vconsole.h"
#include "vmm/virtio/blk.h"
#include "vmm/virtio/net.h"
#include "vmm/vm.h"

struct vdev_kind_info {
	const char *option;
	/* returns 0 or a negative errno after printing one error line */
	int (*create)(struct vm *vm, const char *spec);
};

static const struct vdev_kind_info kinds[] = {
	[VDEV_DISK] = { "--disk", virtio_blk_create },
	[VDEV_NET] = { "--net", virtio_net_create },
	[VDEV_RNG] = { "--rng", virtio_rng_create },
	[VDEV_CONSOLE] = { "--console virtio", virtio_console_create },
	[VDEV_BALLOON] = { "--balloon", virtio_balloon_create },
	[VDEV_CDROM] = { "--cdrom", cdrom_create },
};

int vdevs_create(struct vm *vm)
{
	const struct vmm_config *cfg = vm->cfg;
	unsigned int i;
	int r;

	for (i = 0; i < cfg->nvdevs; i++) {
		const struct vdev_spec *d = &cfg->vdevs[i];
		const struct vdev_kind_info *k = &kinds[d->kind];

		if (!k->create) {
			wirt_err(
				"%s: this build of wirt-vmm has no such device yet",
				k->option);
			return -ENOTSUP;
		}
		r = k->create(vm, d->spec);
		if (r)
			return r;
	}
	return 0;
}
