/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wirt-vmm's configuration, as parsed from the command line. */
#ifndef WIRT_VMM_VMM_H
#define WIRT_VMM_VMM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/devices/console.h"
#include "vmm/sandbox/sandbox.h"

#define VMM_MAX_CPUS 255
#define VMM_DEFAULT_MEMORY (512ULL << 20)

#define VMM_MAX_VDEVS 32

/* A device given on the command line, parsed by its own module. */
enum vdev_kind {
	VDEV_DISK, /* --disk SPEC */
	VDEV_NET, /* --net SPEC */
	VDEV_RNG, /* --rng */
	VDEV_CONSOLE, /* --console virtio */
	VDEV_BALLOON, /* --balloon[=SPEC] */
	VDEV_CDROM, /* --cdrom PATH: SATA CD-ROM (AHCI) */
};

struct vdev_spec {
	enum vdev_kind kind;
	const char *spec; /* the option's value ("" for --rng) */
};

struct vmm_config {
	const char *kernel;
	const char *firmware; /* --firmware bios|uefi|PATH, NULL: direct boot */
	const char *nvram; /* --nvram PATH: UEFI variable store, or NULL */
	const char *boot; /* --boot LIST (checked: disk, cdrom), or NULL */
	const char *initrd;
	const char *cmdline;
	unsigned int cpus;
	uint64_t memory;
	struct console_config console;
	const char *name;
	bool no_reboot;
	bool virtio_console; /* --console virtio: the console is hvc0 */
	struct vdev_spec vdevs[VMM_MAX_VDEVS];
	unsigned int nvdevs;
	const char *api_socket; /* --api-socket PATH: QMP control socket */
	const char *incoming; /* --incoming file:PATH: restore saved state */
	bool trust_saved_config; /* --trust-saved-config: its host files too */
	bool start_paused; /* --paused: vCPUs wait for QMP cont */
	struct sandbox_opts sandbox; /* --sandbox on|off, --user NAME */
};

enum opts_result {
	OPTS_RUN = 0, /* configuration complete: boot it */
	OPTS_EXIT_OK = 1, /* --help or --version printed */
	OPTS_ERROR = -1, /* a message was printed */
};

/*
 * vmm_parse_args - fill cfg from argv. Prints one error line for a bad or
 * unknown option. Returns an enum opts_result.
 */
int vmm_parse_args(int argc, char **argv, struct vmm_config *cfg);

/* vmm_usage - the --help text. */
const char *vmm_usage(void);

#endif
