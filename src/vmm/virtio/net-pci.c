// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The --net constructor: parse the option, open the backend (and
 * vhost-net), put a virtio-net device on the PCI transport.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "vmm/net/backend.h"
#include "vmm/virtio/vhost-net.h"
#include "vmm/virtio/net.h"
#include "vmm/virtio/virtio-pci.h"
#include "vmm/vm.h"

/* The 0-based position of spec among the VM's --net options. */
static unsigned int net_index(const struct vm *vm, const char *spec)
{
	const struct vmm_config *cfg = vm->cfg;
	unsigned int i, n = 0;

	for (i = 0; i < cfg->nvdevs; i++) {
		if (cfg->vdevs[i].spec == spec)
			break;
		if (cfg->vdevs[i].kind == VDEV_NET)
			n++;
	}
	return n;
}

int virtio_net_create(struct vm *vm, const char *spec)
{
	struct vhost_net *vhost = NULL;
	struct net_backend *be = NULL;
	struct virtio_dev *d;
	struct net_opts o;
	struct vnet *n;
	char err[256];
	int r;

	r = net_parse_opts(spec, net_index(vm, spec), &o, err, sizeof(err));
	if (r) {
		wirt_err("--net '%s': %s", spec, err);
		return r;
	}
	r = net_backend_open(&o, NULL, NULL, NULL, &be, err, sizeof(err));
	if (r) {
		wirt_err("--net %s", err);
		return r;
	}
	if (o.vhost) {
		r = vhost_net_open(&vhost, err, sizeof(err));
		if (r) {
			wirt_err("--net '%s': %s", spec, err);
			be->ops->free(be);
			return r;
		}
	}
	n = vnet_new(be, o.mac);
	if (!n) {
		be->ops->free(be);
		vhost_net_close(vhost);
		return -ENOMEM;
	}
	if (vhost)
		vnet_set_vhost(n, vhost);
	r = virtio_pci_add(vm, vnet_ops(n), n, &d);
	if (r) {
		wirt_err("--net '%s': cannot add the virtio-net device: %s",
			 spec, strerror(-r));
		vnet_free(n);
		return r;
	}
	vnet_attach(n, d);
	r = be->ops->start(be);
	if (r) {
		/* the transport owns n now and frees it at vm_destroy */
		wirt_err("--net '%s': cannot watch the backend: %s", spec,
			 strerror(-r));
		return r;
	}
	return 0;
}
