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
#include "vmm/disk/disk.h"
#include "vmm/virtio/blk.h"
#include "vmm/virtio/scsi.h"
#include "vmm/virtio/net.h"
#include "vmm/vm.h"

struct vdev_kind_info {
	const char *option;
	/* returns 0 or a negative errno after printing one error line */
	int (*create)(struct vm *vm, const char *spec);
};

/*
 * --disk: parse spec, then a virtio-blk device (bus=virtio, the default)
 * or a target of the virtio-scsi adapter (bus=scsi). Returns 0 or -errno
 * after one error line.
 */
static int disk_create(struct vm *vm, const char *spec)
{
	char err[DISK_ERR_LEN];
	struct disk_opts o;
	int r;

	r = disk_parse_opts(spec, &o, err, sizeof(err));
	if (r) {
		wirt_err("%s", err);
		return r;
	}
	if (o.bus == DISK_BUS_SCSI)
		r = virtio_scsi_create(vm, &o);
	else
		r = virtio_blk_create(vm, &o);
	disk_opts_free(&o);
	return r;
}

static const struct vdev_kind_info kinds[] = {
	[VDEV_DISK] = { "--disk", disk_create },
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
