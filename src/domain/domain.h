/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt domain XML: parse a definition as users have it (from `virsh
 * dumpxml` on another host, or written by virt-install), keep the whole
 * document, give its typed view, normalize it as libvirt does on define,
 * and say which parts wirt-vmm can run.
 *
 * The document stays whole: elements wirt does not use (metadata, USB
 * controllers, <features>, <clock>, <pm>, <emulator>) are kept and written
 * back by domain_format(). Errors follow the (err, errlen) convention: a
 * function that fails returns -errno and writes one sentence into err
 * naming the problem (with the line, for XML) and what to do.
 */
#ifndef WIRT_DOMAIN_DOMAIN_H
#define WIRT_DOMAIN_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOMAIN_XML_MAX (1 << 20) /* bytes of XML accepted */
#define DOMAIN_NAME_MAX 64
#define DOMAIN_DISKS_MAX 64
#define DOMAIN_NICS_MAX 32
#define DOMAIN_CHARDEVS_MAX 8

enum dom_lifecycle {
	DOM_LC_DESTROY,
	DOM_LC_RESTART,
	DOM_LC_PRESERVE,
	DOM_LC_RENAME_RESTART,
	DOM_LC_COREDUMP_DESTROY,
	DOM_LC_COREDUMP_RESTART,
};

enum dom_disk_type {
	DOM_DISK_FILE,
	DOM_DISK_BLOCK,
	DOM_DISK_OTHER,
	DOM_DISK_VOLUME, /* <source pool='P' volume='V'/>: wirtd resolves it */
};
enum dom_disk_device { DOM_DEV_DISK, DOM_DEV_CDROM, DOM_DEV_OTHER };
enum dom_disk_format {
	DOM_FMT_DEFAULT,
	DOM_FMT_RAW,
	DOM_FMT_QCOW2,
	DOM_FMT_OTHER
};
enum dom_bus {
	DOM_BUS_DEFAULT,
	DOM_BUS_VIRTIO,
	DOM_BUS_SATA,
	DOM_BUS_SCSI, /* a target of wirt-vmm's one virtio-scsi controller */
	DOM_BUS_OTHER
};
enum dom_cache {
	DOM_CACHE_DEFAULT,
	DOM_CACHE_NONE,
	DOM_CACHE_WRITEBACK,
	DOM_CACHE_WRITETHROUGH,
	DOM_CACHE_DIRECTSYNC,
	DOM_CACHE_UNSAFE,
};

enum dom_nic_type {
	DOM_NIC_USER,
	DOM_NIC_ETHERNET,
	DOM_NIC_NETWORK, /* a network of wirtd's: a tap on its bridge */
	DOM_NIC_BRIDGE, /* a tap on an existing host bridge */
	DOM_NIC_OTHER
};
enum dom_chr_type { DOM_CHR_PTY, DOM_CHR_FILE, DOM_CHR_UNIX, DOM_CHR_OTHER };

struct dom_disk {
	enum dom_disk_type type;
	enum dom_disk_device device;
	enum dom_disk_format format;
	enum dom_cache cache;
	enum dom_bus bus;
	const char *source; /* file or block device path */
	const char *pool, *volume; /* type='volume': <source pool volume> */
	const char *target; /* "vda" */
	const char *serial; /* NULL when absent */
	bool readonly; /* <readonly/>, and always for a CD-ROM */
	unsigned int boot_order; /* <boot order='N'/>; 0 when absent */
	int line;
};

/* One direction of an interface's <bandwidth>, as libvirt gives it:
 * average and peak in KiB/s, burst in KiB; 0 when not given. */
struct dom_bw {
	uint64_t average, peak, burst;
	int line;
};

struct dom_nic {
	enum dom_nic_type type;
	const char *model; /* "virtio"; NULL when absent */
	const char *mac; /* 52:54:00:xx:xx:xx after normalization */
	const char *target; /* tap name for ethernet; NULL when absent */
	const char *source; /* <source network=> or <source bridge=> */
	const char *driver; /* <driver name=...>: "vhost", "qemu" or NULL */
	struct dom_bw in, out; /* <bandwidth><inbound>, <outbound> */
	unsigned int boot_order; /* <boot order='N'/>; 0 when absent */
	int line;
};

struct dom_chardev {
	bool console; /* <console> rather than <serial> */
	enum dom_chr_type type;
	const char *path; /* file or unix socket path; NULL for pty */
	int port;
	int line;
};

/* How a domain boots: its <kernel> directly, or through firmware (BIOS:
 * SeaBIOS or a <loader> ROM; EFI: <os firmware='efi'>). */
enum dom_boot {
	DOM_BOOT_KERNEL,
	DOM_BOOT_BIOS,
	DOM_BOOT_EFI,
};

/* A device class of <os><boot dev=...>: hd, cdrom (network, fd: OTHER). */
enum dom_bootdev { DOM_BOOTDEV_HD, DOM_BOOTDEV_CDROM, DOM_BOOTDEV_OTHER };
#define DOMAIN_BOOTDEVS_MAX 4 /* libvirt's limit of <boot dev> elements */

/* The typed view of a definition: pointers into the document, valid until
 * the next call that changes it or domain_free(). */
struct dom_def {
	const char *name;
	const char *uuid; /* canonical text form; NULL before normalization */
	uint64_t memory_kib;
	uint64_t current_memory_kib; /* 0: same as memory */
	unsigned int vcpus;
	const char *kernel, *initrd, *cmdline; /* NULL when absent */
	enum dom_boot boot; /* DOM_BOOT_KERNEL when <kernel> is given */
	const char *loader; /* <loader> path; NULL: the default firmware */
	const char *nvram; /* EFI: <nvram> path; NULL: wirtd's default */
	enum dom_bootdev boot_devs[DOMAIN_BOOTDEVS_MAX]; /* <os><boot dev> */
	unsigned int nboot_devs;
	enum dom_lifecycle on_poweroff, on_reboot, on_crash;
	struct dom_disk disks[DOMAIN_DISKS_MAX];
	unsigned int ndisks;
	struct dom_nic nics[DOMAIN_NICS_MAX];
	unsigned int nnics;
	struct dom_chardev chardevs[DOMAIN_CHARDEVS_MAX];
	unsigned int nchardevs;
	bool balloon; /* <memballoon model='virtio'> */
	bool rng; /* <rng model='virtio'> */
};

struct domain;

/*
 * domain_parse - parse a domain definition of len bytes from xml; origin
 * names it in messages (a file name, or "(domain definition)"). Checks the
 * structure (root <domain>, a valid <name>, <memory>, <vcpu>) and builds
 * the typed view. Returns 0 with *out set (free with domain_free()), or
 * -EINVAL (malformed or invalid XML: err has origin:LINE: and the
 * parser's or our message), -E2BIG (over DOMAIN_XML_MAX or too many
 * devices), -ENOMEM.
 */
int domain_parse(const char *xml, size_t len, const char *origin,
		 struct domain **out, char *err, size_t errlen);

void domain_free(struct domain *d);

/* domain_def - the typed view of d (see struct dom_def). */
const struct dom_def *domain_def(const struct domain *d);

/*
 * domain_normalize - complete d as libvirt does on define: a generated
 * <uuid> when absent, memory in unit='KiB', <currentMemory>, <vcpu
 * placement='static'>, <on_*> defaults, <boot dev='hd'/> when no boot
 * device is named, a generated MAC address (52:54:00:xx:xx:xx) for each
 * interface without one, <target port> of serial ports and a <console>
 * for the first serial port. Idempotent. Returns 0 or -ENOMEM / -EINVAL
 * with err set.
 */
int domain_normalize(struct domain *d, char *err, size_t errlen);

/*
 * domain_format - the document as libvirt writes it (two-space indent, no
 * XML declaration). Returns a malloc'd NUL-terminated string, or NULL.
 */
char *domain_format(const struct domain *d);

/* What domain_check() found about one element. */
struct dom_issue {
	bool fatal; /* the VM cannot start with it; else a warning */
	int line;
	char text[240]; /* "<hostdev>: host devices are not supported ..." */
};

/*
 * domain_check - which parts of d wirt-vmm cannot provide. A device the
 * guest's work depends on (a disk or CD-ROM bus, a NIC model, a
 * filesystem share, host devices, sound, a watchdog that acts) is fatal;
 * what a headless server does without (USB controllers and tablets, PS/2
 * input, video, graphics, guest-agent channels, <pm>, timers) is a
 * warning. Fills up to max issues and returns how many there are in all
 * (which may exceed max).
 */
unsigned int domain_check(const struct domain *d, struct dom_issue *issues,
			  unsigned int max);

/*
 * domain_set_uuid - give d the UUID uuid (a redefinition keeps the UUID of
 * the domain it replaces). Returns 0 or -EINVAL / -ENOMEM with err set.
 */
int domain_set_uuid(struct domain *d, const char *uuid, char *err,
		    size_t errlen);

/* domain_set_name - rename d. Returns 0 or -errno with err set. */
int domain_set_name(struct domain *d, const char *name, char *err,
		    size_t errlen);

/*
 * domain_new_identity - drop d's UUID and its interfaces' MAC addresses
 * and normalize again, which generates new ones (for a clone). Returns 0
 * or -errno with err set.
 */
int domain_new_identity(struct domain *d, char *err, size_t errlen);

/*
 * domain_set_disk - make disk i (in document order) a file disk at path,
 * with driver type fmt when fmt is not NULL. Returns 0, -ENOENT (no such
 * disk) or -errno with err set.
 */
int domain_set_disk(struct domain *d, unsigned int i, const char *path,
		    const char *fmt, char *err, size_t errlen);

/*
 * domain_set_media - put the image at path (NULL: none, the tray open)
 * into the CD-ROM drive whose target is target (or whose image is
 * target). Returns 0, -ENOENT (no such CD-ROM drive) or -errno with err
 * set.
 */
int domain_set_media(struct domain *d, const char *target, const char *path,
		     char *err, size_t errlen);

/*
 * domain_cdrom - the index in d's disks of the CD-ROM drive named by its
 * target or its image, or -1.
 */
int domain_cdrom(const struct dom_def *d, const char *target);

/*
 * domain_boot_kinds - the firmware's boot order as device classes, into
 * out (room for DOMAIN_BOOTDEVS_MAX): the <os><boot dev> list, or, when
 * devices carry <boot order>, each class at its lowest order. Returns how
 * many; classes the domain has no device of, or wirt cannot boot (OTHER),
 * are left out.
 */
unsigned int domain_boot_kinds(const struct dom_def *d, enum dom_bootdev *out);

/* domain_lifecycle_name - "destroy", "restart", ... for an action. */
const char *domain_lifecycle_name(enum dom_lifecycle lc);

#endif
