// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A domain definition as a wirt-vmm command line. Only what domain_check()
 * accepted reaches here; values that the command line cannot carry (a
 * comma in a path, which would split an option) are refused with the fix.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "wirtd/vmargs.h"
#include "wirtd/wirtd.h"

void vmargs_free(struct vmargs *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* add - append a printf-formatted argument. Returns 0 or -ENOMEM. */
static int add(struct vmargs *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add(struct vmargs *a, const char *fmt, ...)
{
	va_list ap;
	char **v;
	int r;

	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		v = realloc(a->v, a->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		a->v = v;
	}
	va_start(ap, fmt);
	r = vasprintf(&a->v[a->n], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	a->v[++a->n] = NULL;
	return 0;
}

/* no_comma - s may go into a comma-separated option value. */
static int no_comma(const char *what, const char *s, char *err, size_t errlen)
{
	if (!strchr(s, ','))
		return 0;
	snprintf(
		err, errlen,
		"%s '%s' holds a comma, which wirt-vmm's options cannot carry; rename it",
		what, s);
	return -EINVAL;
}

static int disk_args(struct vmargs *a, const struct dom_disk *k, char *err,
		     size_t errlen)
{
	const char *cache = k->cache == DOM_CACHE_NONE	  ? ",cache=none" :
			    k->cache == DOM_CACHE_DEFAULT ? "" :
							    ",cache=writeback";
	int r;

	if (k->device == DOM_DEV_CDROM)
		return add(a, "--cdrom") ||
		       add(a, "%s", k->source ? k->source : "none");
	r = no_comma("disk source", k->source, err, errlen);
	if (!r && k->serial)
		r = no_comma("disk serial", k->serial, err, errlen);
	if (r)
		return r;
	return add(a, "--disk") ||
			       add(a, "path=%s,format=%s%s%s%s%s%s,id=%s",
				   k->source,
				   k->format == DOM_FMT_QCOW2 ? "qcow2" : "raw",
				   k->readonly ? ",readonly=on" : "", cache,
				   k->serial ? ",serial=" : "",
				   k->serial ? k->serial : "",
				   k->bus == DOM_BUS_SCSI ? ",bus=scsi" : "",
				   k->target) ?
		       -ENOMEM :
		       0;
}

static int nic_args(struct vmargs *a, const struct dom_nic *k, int tapfd,
		    char *err, size_t errlen)
{
	if (tapfd >= 0) {
		bool vhost = k->driver ? !strcmp(k->driver, "vhost") :
					 !access("/dev/vhost-net", F_OK);

		return add(a, "--net") ||
		       add(a, "tap-fd=%d,vhost=%s,mac=%s", tapfd,
			   vhost ? "on" : "off", k->mac);
	}
	if (k->type == DOM_NIC_ETHERNET) {
		if (no_comma("tap name", k->target, err, errlen))
			return -EINVAL;
		/* libvirt's default: vhost-net when the host has it */
		bool vhost = k->driver ? !strcmp(k->driver, "vhost") :
					 !access("/dev/vhost-net", F_OK);

		return add(a, "--net") ||
		       add(a, "tap=%s,vhost=%s,mac=%s", k->target,
			   vhost ? "on" : "off", k->mac);
	}
	return add(a, "--net") || add(a, "user,mac=%s", k->mac);
}

/* console_args - COM1 from the first <serial> (or <console>): a file, a
 * unix socket of the user's, or (pty) wirtd's socket for `wirt console`. */
static int console_args(struct vmargs *a, const struct dom_def *def,
			const char *sock)
{
	const struct dom_chardev *c = def->nchardevs ? &def->chardevs[0] : NULL;

	if (add(a, "--console"))
		return -ENOMEM;
	if (!c)
		return add(a, "none");
	if (c->type == DOM_CHR_FILE)
		return add(a, "file=%s", c->path);
	if (c->type == DOM_CHR_UNIX)
		return add(a, "socket=%s", c->path);
	return add(a, "socket=%s", sock);
}

/* --boot: the firmware's boot order as device classes (hd is wirt-vmm's
 * disk), when the definition names one. 0, non-zero on ENOMEM. */
static int boot_order_args(struct vmargs *a, const struct dom_def *def)
{
	enum dom_bootdev kinds[DOMAIN_BOOTDEVS_MAX];
	unsigned int i, n = domain_boot_kinds(def, kinds);
	char list[64] = "";

	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? "," : "",
			 kinds[i] == DOM_BOOTDEV_CDROM ? "cdrom" : "disk");
	return n ? add(a, "--boot") || add(a, "%s", list) : 0;
}

/* --firmware uefi (or the <loader> image) and --nvram, the domain's
 * variable store. 0, -ENAMETOOLONG (err set) or non-zero on ENOMEM. */
static int efi_args(struct vmargs *a, const char *name,
		    const struct dom_def *def, char *err, size_t errlen)
{
	char nv[PATH_MAX];

	if (nvram_path(name, def, nv, sizeof(nv)))
		return err_set(
			err, errlen, -ENAMETOOLONG,
			"the UEFI variable store's path of '%s' is too long; give a shorter <nvram> or --root",
			name);
	return add(a, "--firmware") ||
	       add(a, "%s",
		   def->loader && *def->loader ? def->loader : "uefi") ||
	       add(a, "--nvram") || add(a, "%s", nv);
}

/* How the guest boots: --kernel (with --initrd, --cmdline) or
 * --firmware (SeaBIOS, the <loader> image, or OVMF) with its boot order.
 * 0, non-zero on ENOMEM or (err set) a bad path. */
static int boot_args(struct vmargs *a, const char *name,
		     const struct dom_def *def, char *err, size_t errlen)
{
	int r;

	if (def->boot == DOM_BOOT_EFI)
		return efi_args(a, name, def, err, errlen) ?:
			       boot_order_args(a, def);
	if (def->boot != DOM_BOOT_KERNEL)
		return add(a, "--firmware") ||
		       add(a, "%s", def->loader ? def->loader : "bios") ||
		       boot_order_args(a, def);
	r = add(a, "--kernel") || add(a, "%s", def->kernel);
	if (!r && def->initrd)
		r = add(a, "--initrd") || add(a, "%s", def->initrd);
	if (!r && def->cmdline)
		r = add(a, "--cmdline") || add(a, "%s", def->cmdline);
	return r;
}

int vmargs_build(struct vmargs *a, const char *vmm, const char *name,
		 const struct dom_def *def, const char *qmp,
		 const char *console, const char *incoming, bool paused,
		 const int *tapfds, char *err, size_t errlen)
{
	unsigned int i;
	int r;

	memset(a, 0, sizeof(*a));
	r = add(a, "%s", vmm) || add(a, "--name") || add(a, "%s", name) ||
	    add(a, "--memory") ||
	    add(a, "%llu",
		(unsigned long long)ALIGN_UP(def->memory_kib, 4) * 1024) ||
	    add(a, "--cpus") || add(a, "%u", def->vcpus) ||
	    add(a, "--api-socket") || add(a, "%s", qmp);
	if (!r)
		r = boot_args(a, name, def, err, errlen);
	if (!r && def->on_reboot == DOM_LC_DESTROY)
		r = add(a, "--no-reboot");
	for (i = 0; !r && i < def->ndisks; i++)
		r = disk_args(a, &def->disks[i], err, errlen);
	for (i = 0; !r && i < def->nnics; i++)
		r = nic_args(a, &def->nics[i], tapfds ? tapfds[i] : -1, err,
			     errlen);
	if (!r && def->rng)
		r = add(a, "--rng");
	if (!r && def->balloon)
		r = add(a, "--balloon");
	if (!r)
		r = console_args(a, def, console);
	if (!r && incoming)
		r = add(a, "--incoming") || add(a, "file:%s", incoming);
	if (!r && paused)
		r = add(a, "--paused");
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r)
		vmargs_free(a);
	return r;
}
