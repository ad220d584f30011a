// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --cdrom PATH: check the ISO image, make the AHCI controller holding the
 * CD-ROM drive, put it on the VM's PCI bus (ABAR in BAR 5, one MSI-X
 * vector in BAR 0), and register its reset and save/restore. The
 * control socket ejects and changes the medium (cdrom_eject,
 * cdrom_change); a lock of the drive's own orders that against the
 * guest's accesses (under the PCI bus lock, taken first).
 */
#include "vmm/sata/cdrom.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/iso9660.h"
#include "common/util.h"
#include "vmm/pci/pci.h"
#include "vmm/sata/ahci.h"
#include "vmm/state/state.h"
#include "vmm/vm.h"

#define MSIX_BAR 0
#define QEMU_SUBSYS_VENDOR 0x1af4
#define QEMU_SUBSYS 0x1100

#define CDROM_HOOK "cdrom"

struct cdrom {
	struct pci_dev pci;
	struct ahci hba;
	pthread_mutex_t lock; /* hba and fd against the control socket */
	int fd; /* the medium, or -1 when ejected */
	bool changed; /* not the --cdrom image any more: no save */
};

/* Open and check the image at path (iso_open): the fd with *blocks set,
 * or -errno with a phrase saying what is wrong in err. */
static int open_iso(const char *path, uint64_t *blocks, char *err,
		    size_t errlen)
{
	uint64_t size;
	int fd = iso_open(path, &size, err, errlen);

	if (fd >= 0)
		*blocks = size / ATAPI_BLOCK;
	return fd;
}

/* The controller's interrupt: MSI-X vector 0 (pending while masked). */
/* The ABAR, under the drive's lock (a pci_bar_fn). */
static void cdrom_mmio(void *opaque, uint64_t off, uint8_t *data,
		       unsigned int size, bool is_write)
{
	struct cdrom *c = opaque;

	pthread_mutex_lock(&c->lock);
	ahci_mmio(&c->hba, off, data, size, is_write);
	pthread_mutex_unlock(&c->lock);
}

struct cdrom *cdrom_find(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nhooks; i++)
		if (vm->hooks[i].name && !strcmp(vm->hooks[i].name, CDROM_HOOK))
			return vm->hooks[i].opaque;
	return NULL;
}

int cdrom_eject(struct cdrom *c, bool force)
{
	int r;

	pthread_mutex_lock(&c->lock);
	r = atapi_eject(&c->hba.atapi, force);
	if (!r) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		c->hba.fd = -1;
		c->changed = true;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

int cdrom_change(struct cdrom *c, const char *path, char *err, size_t errlen)
{
	uint64_t blocks;
	int fd = open_iso(path, &blocks, err, errlen);

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&c->lock);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = fd;
	c->hba.fd = fd;
	atapi_insert(&c->hba.atapi, blocks);
	c->changed = true;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void cdrom_irq(void *opaque)
{
	struct cdrom *c = opaque;

	pci_msix_notify(&c->pci, 0);
}

/* Guest reboot: controller and drive as at power-on. */
static void cdrom_reset(struct vm *vm, void *opaque)
{
	struct cdrom *c = opaque;

	(void)vm;
	pthread_mutex_lock(&c->lock);
	ahci_reset(&c->hba);
	pthread_mutex_unlock(&c->lock);
}

/* vm_destroy: the image, the MSI-X state and the device. */
static void cdrom_destroy(struct vm *vm, void *opaque)
{
	struct cdrom *c = opaque;

	(void)vm;
	if (c->fd >= 0)
		close(c->fd);
	msix_free(c->pci.msix);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Save: the controller's registers and the drive (AHCI_STATE_WORDS). */
static int cdrom_save(struct vm *vm, void *opaque, struct state_writer *w)
{
	struct cdrom *c = opaque;
	uint32_t words[AHCI_STATE_WORDS];

	(void)vm;
	pthread_mutex_lock(&c->lock);
	ahci_save(&c->hba, words);
	pthread_mutex_unlock(&c->lock);
	return state_put(w, words, sizeof(words));
}

/* Restore what cdrom_save wrote (from a file: checked). 0 or -EINVAL. */
static int cdrom_load(struct vm *vm, void *opaque, const void *buf, size_t len)
{
	struct cdrom *c = opaque;
	uint32_t words[AHCI_STATE_WORDS];

	int r;

	(void)vm;
	if (len != sizeof(words))
		return -EINVAL;
	memcpy(words, buf, sizeof(words));
	pthread_mutex_lock(&c->lock);
	r = ahci_load(&c->hba, words);
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* Save needs the --cdrom image in the drive: the configuration names it. */
static const char *cdrom_blocker(struct vm *vm, void *opaque)
{
	struct cdrom *c = opaque;
	bool changed;

	(void)vm;
	pthread_mutex_lock(&c->lock);
	changed = c->changed;
	pthread_mutex_unlock(&c->lock);
	return changed ?
		       "its medium was ejected or changed since start (the saved configuration would name the wrong image)" :
		       NULL;
}

/* The PCI function: identity, ABAR, MSI-X. Returns 0 or -errno. */
static int setup_pci(struct cdrom *c)
{
	struct pci_dev *d = &c->pci;

	d->name = "ahci";
	d->vendor = AHCI_VENDOR;
	d->device = AHCI_DEVICE;
	d->subsys_vendor = QEMU_SUBSYS_VENDOR;
	d->subsys = QEMU_SUBSYS;
	d->revision = 2;
	d->class_code = AHCI_CLASS;
	d->bar[AHCI_ABAR].size = AHCI_ABAR_SIZE;
	d->bar[AHCI_ABAR].fn = cdrom_mmio;
	d->bar[AHCI_ABAR].opaque = c;
	d->opaque = c;
	return pci_dev_init_msix(d, 1, MSIX_BAR);
}

/* Register the hooks of c (then owned by the VM). Returns 0 or -errno. */
static int add_hooks(struct vm *vm, struct cdrom *c)
{
	struct vm_hook h = { .name = CDROM_HOOK,
			     .reset = cdrom_reset,
			     .destroy = cdrom_destroy,
			     .opaque = c };
	struct vm_state_hook sh = { .name = CDROM_HOOK,
				    .save = cdrom_save,
				    .load = cdrom_load,
				    .blocker = cdrom_blocker,
				    .opaque = c };
	int r = vm_add_hook(vm, &h);

	return r ?: vm_add_state_hook(vm, &sh);
}

int cdrom_create(struct vm *vm, const char *path)
{
	char err[200];
	struct cdrom *c;
	uint64_t blocks;
	int fd, r;

	if (cdrom_find(vm)) {
		wirt_err("--cdrom '%s': a second CD-ROM drive: one per VM",
			 path);
		return -EINVAL;
	}
	if (!strcmp(path, CDROM_EMPTY)) {
		fd = -1; /* an empty drive: the tray is open */
		blocks = 0;
	} else
		fd = open_iso(path, &blocks, err, sizeof(err));
	if (fd < 0 && strcmp(path, CDROM_EMPTY)) {
		wirt_err("--cdrom '%s': %s", path, err);
		return fd;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		wirt_err("--cdrom '%s': out of memory", path);
		return -ENOMEM;
	}
	c->fd = fd;
	pthread_mutex_init(&c->lock, NULL);
	ahci_init(&c->hba, &vm->mem, fd, blocks, cdrom_irq, c);
	r = setup_pci(c);
	r = r ?: pci_add_dev(vm, &c->pci);
	if (r) {
		wirt_err("--cdrom '%s': cannot add its SATA controller: %s",
			 path, strerror(-r));
		msix_free(c->pci.msix);
		close(fd);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return r;
	}
	r = add_hooks(vm, c);
	if (r) /* the bus holds c now: it lives as long as the VM */
		wirt_err(
			"--cdrom '%s': cannot register its SATA controller: %s",
			path, strerror(-r));
	return r;
}
