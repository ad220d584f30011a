// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-vmm command line parsing. */
#include "vmm/vmm.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

enum {
	OPT_KERNEL = 256,
	OPT_INITRD,
	OPT_CMDLINE,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_CONSOLE,
	OPT_NAME,
	OPT_NO_REBOOT,
	OPT_DISK,
	OPT_NET,
	OPT_RNG,
	OPT_BALLOON,
	OPT_API_SOCKET,
	OPT_INCOMING,
	OPT_TRUST_SAVED_CONFIG,
	OPT_PAUSED,
	OPT_SANDBOX,
	OPT_USER,
	OPT_FIRMWARE,
	OPT_BOOT,
	OPT_NVRAM,
	OPT_CDROM,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "balloon", optional_argument, NULL, OPT_BALLOON },
	{ "api-socket", required_argument, NULL, OPT_API_SOCKET },
	{ "incoming", required_argument, NULL, OPT_INCOMING },
	{ "trust-saved-config", no_argument, NULL, OPT_TRUST_SAVED_CONFIG },
	{ "paused", no_argument, NULL, OPT_PAUSED },
	{ "sandbox", required_argument, NULL, OPT_SANDBOX },
	{ "user", required_argument, NULL, OPT_USER },
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },
	{ "boot", required_argument, NULL, OPT_BOOT },
	{ "nvram", required_argument, NULL, OPT_NVRAM },
	{ "cdrom", required_argument, NULL, OPT_CDROM },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

const char *vmm_usage(void)
{
	return "usage: wirt-vmm --kernel PATH [--initrd PATH] [--cmdline STR] [--cpus N]\n"
	       "       wirt-vmm --firmware bios|uefi|PATH [--nvram PATH] [--boot LIST] [--cdrom ISO]\n"
	       "                [--disk SPEC]...\n"
	       "                [--memory SIZE] [--console stdio|file=PATH|socket=PATH|none]\n"
	       "                [--name NAME] [--no-reboot] [--disk SPEC]... [--net SPEC]...\n"
	       "                [--rng] [--balloon[=deflate-on-oom=on]] [--api-socket PATH]\n"
	       "                [--incoming file:PATH [--trust-saved-config]] [--paused]\n"
	       "                [--sandbox on|off] [--user NAME]\n"
	       "\n"
	       "Boots a Linux bzImage on KVM without firmware.\n"
	       "  --kernel PATH     bzImage to boot (boot protocol 2.06 or later, 64-bit)\n"
	       "  --initrd PATH     initial ramdisk\n"
	       "  --firmware bios|uefi|PATH  boot through firmware instead of --kernel:\n"
	       "                    bios is Debian's SeaBIOS (/usr/share/seabios/bios-256k.bin),\n"
	       "                    uefi Debian's OVMF (/usr/share/OVMF/OVMF_CODE_4M.fd, pflash);\n"
	       "                    PATH a BIOS image or an OVMF code image; serial console on COM1\n"
	       "  --nvram PATH      UEFI variable store (writable pflash), kept in PATH;\n"
	       "                    created from OVMF_VARS_4M.fd when missing. Without it\n"
	       "                    --firmware uefi runs on a fresh copy in memory: variables\n"
	       "                    last until wirt-vmm exits\n"
	       "  --boot LIST       boot order for --firmware: disk (the --disk list) and\n"
	       "                    cdrom, comma-separated (default disk,cdrom)\n"
	       "  --cdrom ISO|none  SATA (AHCI) CD-ROM drive holding an ISO 9660 image,\n"
	       "                    read-only, or empty (none; QMP blockdev-change-medium\n"
	       "                    loads one later); one drive (./none for a file so named)\n"
	       "  --cmdline STR     kernel command line (default \"console=ttyS0\")\n"
	       "  --cpus N          number of vCPUs, 1..255 (default 1)\n"
	       "  --memory SIZE     guest RAM: 512M, 2G or bytes (default 512M)\n"
	       "  --console KIND    where COM1 goes (default stdio; Ctrl-A x quits,\n"
	       "                    Ctrl-A h helps)\n"
	       "  --name NAME       VM name for messages and the process title\n"
	       "  --no-reboot       exit when the guest reboots instead of restarting it\n"
	       "  --disk SPEC       virtio-blk disk: path=FILE[,format=raw|qcow2][,readonly=on]\n"
	       "                    [,cache=none|writeback][,serial=S][,id=NAME] (repeatable);\n"
	       "                    bus=scsi: a target of the VM's virtio-scsi adapter instead\n"
	       "  --net SPEC        virtio-net: user[,hostfwd=tcp:ADDR:HPORT-:GPORT]...[,mac=M]\n"
	       "                    or tap=IFNAME[,vhost=on][,mac=M] or tap-fd=N[,...]\n"
	       "                    (an inherited open tap; repeatable)\n"
	       "  --rng             virtio-rng fed by the host's getrandom()\n"
	       "  --balloon[=deflate-on-oom=on]  virtio-balloon with guest statistics\n"
	       "                    (QMP balloon, query-balloon, qom-get guest-stats)\n"
	       "  --console virtio  the console is the guest's hvc0 (virtio-console)\n"
	       "  --api-socket PATH QMP control socket (stop, cont, system_powerdown,\n"
	       "                    migrate to file:PATH, savevm/loadvm snapshots\n"
	       "                    through human-monitor-command, ...), mode 0600;\n"
	       "                    a raw disk's snapshots are qcow2 overlays in\n"
	       "                    FILE.snapshots/, which it runs on from then on\n"
	       "  --incoming file:PATH  restore a VM saved by QMP migrate; the file's\n"
	       "                    configuration is used, but the host files it names must\n"
	       "                    be given again: --kernel, --initrd and, when it has a\n"
	       "                    disk or network device, every device option in order\n"
	       "                    (given options must match the saved ones)\n"
	       "  --paused          start with the vCPUs stopped until QMP cont\n"
	       "  --trust-saved-config  with --incoming: let the state file choose the\n"
	       "                    kernel, initrd, disks and networks itself (only for\n"
	       "                    a file you trust: it decides what the VM opens)\n"
	       "  --sandbox on|off  after set-up, run under seccomp filters with no_new_privs\n"
	       "                    and, started as root, as an unprivileged user (default on;\n"
	       "                    off only to debug)\n"
	       "  --user NAME       the sandbox's user when started as root (default wirt-vmm);\n"
	       "                    files opened later (migrate file:, snapshots) must be\n"
	       "                    reachable by it\n"
	       "\n"
	       "Exit status: 0 when the guest powers off (or reboots with --no-reboot),\n"
	       "1 when the VM crashes, 2 for bad usage or a host problem.\n";
}

/* Record a device option for its module to parse; 0 or -E2BIG (printed). */
static int add_vdev(struct vmm_config *cfg, enum vdev_kind kind,
		    const char *spec)
{
	if (cfg->nvdevs == VMM_MAX_VDEVS) {
		wirt_err(
			"too many devices: at most %d --disk/--net/--rng in all",
			VMM_MAX_VDEVS);
		return -E2BIG;
	}
	cfg->vdevs[cfg->nvdevs++] = (struct vdev_spec){ kind, spec };
	return 0;
}

/* --cdrom: once, a non-empty path; 0 or -EINVAL (printed). */
static int add_cdrom(struct vmm_config *cfg, const char *arg)
{
	unsigned int i;

	for (i = 0; i < cfg->nvdevs; i++)
		if (cfg->vdevs[i].kind == VDEV_CDROM) {
			wirt_err(
				"--cdrom '%s': a second --cdrom: this wirt-vmm has one CD-ROM drive",
				arg);
			return -EINVAL;
		}
	if (!*arg) {
		wirt_err("--cdrom: give the path of an ISO image");
		return -EINVAL;
	}
	return add_vdev(cfg, VDEV_CDROM, arg);
}

/* --name: 1 to 64 characters without '/'; 0 or -EINVAL (printed). */
static int parse_name(const char *arg, struct vmm_config *cfg)
{
	if (!*arg || strlen(arg) > 64 || strchr(arg, '/')) {
		wirt_err("--name '%s': use 1 to 64 characters without '/'",
			 arg);
		return -EINVAL;
	}
	cfg->name = arg;
	return 0;
}

/* --cpus: 1 to VMM_MAX_CPUS; 0 or -EINVAL (printed). */
static int parse_cpus(const char *arg, struct vmm_config *cfg)
{
	uint64_t v;

	if (parse_uint(arg, 1, VMM_MAX_CPUS, &v)) {
		wirt_err("--cpus '%s': give a whole number from 1 to %d", arg,
			 VMM_MAX_CPUS);
		return -EINVAL;
	}
	cfg->cpus = v;
	return 0;
}

/* --memory: a size, a multiple of 4 KiB; 0 or -EINVAL (printed). */
static int parse_memory(const char *arg, struct vmm_config *cfg)
{
	uint64_t v;

	if (parse_size(arg, &v) || v == 0) {
		wirt_err(
			"--memory '%s': give a size such as 512M, 2G or a byte count",
			arg);
		return -EINVAL;
	}
	if (v & 0xfff) {
		wirt_err("--memory '%s': must be a multiple of 4 KiB", arg);
		return -EINVAL;
	}
	cfg->memory = v;
	return 0;
}

/* --incoming file:PATH; 0 or -EINVAL (printed). */
static int parse_incoming(const char *arg, struct vmm_config *cfg)
{
	if (strncmp(arg, "file:", 5) || !arg[5]) {
		wirt_err(
			"--incoming '%s': only file:PATH is supported (a file written by QMP migrate)",
			arg);
		return -EINVAL;
	}
	cfg->incoming = arg + 5;
	return 0;
}

/* --console stdio|file=|socket=|none|virtio; 0 or -errno (printed). */
static int parse_console_opt(const char *arg, struct vmm_config *cfg)
{
	if (!strcmp(arg, "virtio")) {
		if (cfg->virtio_console)
			return 0;
		cfg->virtio_console = true;
		return add_vdev(cfg, VDEV_CONSOLE, "");
	}
	if (console_parse(arg, &cfg->console)) {
		wirt_err("--console '%s': %s", arg, console_parse_help());
		return -EINVAL;
	}
	return 0;
}

/*
 * A non-empty string option (--api-socket, --user): stores arg in *dst;
 * 0 or -EINVAL (printed with @what, the help for an empty value).
 */
static int parse_nonempty(const char *arg, const char **dst, const char *what)
{
	if (!*arg) {
		wirt_err("%s", what);
		return -EINVAL;
	}
	*dst = arg;
	return 0;
}

/* Parse the value of one option into cfg; returns 0 or -EINVAL (printed). */
static int parse_one(int opt, const char *arg, struct vmm_config *cfg)
{
	switch (opt) {
	case OPT_KERNEL:
		cfg->kernel = arg;
		return 0;
	case OPT_INITRD:
		cfg->initrd = arg;
		return 0;
	case OPT_CMDLINE:
		cfg->cmdline = arg;
		return 0;
	case OPT_NAME:
		return parse_name(arg, cfg);
	case OPT_NO_REBOOT:
		cfg->no_reboot = true;
		return 0;
	case OPT_CPUS:
		return parse_cpus(arg, cfg);
	case OPT_MEMORY:
		return parse_memory(arg, cfg);
	case OPT_API_SOCKET:
		return parse_nonempty(
			arg, &cfg->api_socket,
			"--api-socket: give the path of the socket to create");
	case OPT_INCOMING:
		return parse_incoming(arg, cfg);
	case OPT_TRUST_SAVED_CONFIG:
		cfg->trust_saved_config = true;
		return 0;
	case OPT_PAUSED:
		cfg->start_paused = true;
		return 0;
	case OPT_SANDBOX:
		if (sandbox_parse_level(arg, &cfg->sandbox.level)) {
			wirt_err("--sandbox '%s': give on or off", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_USER:
		return parse_nonempty(
			arg, &cfg->sandbox.user,
			"--user: give the name of an unprivileged user");
	case OPT_FIRMWARE:
		return parse_nonempty(
			arg, &cfg->firmware,
			"--firmware: give bios, uefi or the path of a firmware image");
	case OPT_NVRAM:
		return parse_nonempty(
			arg, &cfg->nvram,
			"--nvram: give the path of a UEFI variable store");
	case OPT_BOOT:
		return parse_nonempty(
			arg, &cfg->boot,
			"--boot: give the boot devices, e.g. --boot disk");
	case OPT_DISK:
		return add_vdev(cfg, VDEV_DISK, arg);
	case OPT_CDROM:
		return add_cdrom(cfg, arg);
	case OPT_NET:
		return add_vdev(cfg, VDEV_NET, arg);
	case OPT_RNG:
		return add_vdev(cfg, VDEV_RNG, "");
	case OPT_BALLOON:
		return add_vdev(cfg, VDEV_BALLOON, arg ? arg : "");
	case OPT_CONSOLE:
		return parse_console_opt(arg, cfg);
	}
	return -EINVAL;
}

/* How many devices of kind cfg has. */
static unsigned int count_vdevs(const struct vmm_config *cfg,
				enum vdev_kind kind)
{
	unsigned int i, n = 0;

	for (i = 0; i < cfg->nvdevs; i++)
		n += cfg->vdevs[i].kind == kind;
	return n;
}

/*
 * check_boot - --boot LIST: comma-separated boot devices, each once and
 * each present: disk (the --disk list) and cdrom (--cdrom); anything else
 * is refused. Returns 0 or -1 after printing one line.
 */
static int check_boot(const struct vmm_config *cfg)
{
	static const char *const names[] = { "disk", "cdrom" };
	static const enum vdev_kind kinds[] = { VDEV_DISK, VDEV_CDROM };
	static const char *const opts[] = { "--disk", "--cdrom" };
	const char *p = cfg->boot, *end;
	bool seen[2] = { false, false };
	unsigned int k;
	size_t n;

	for (; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ',');
		n = end - p;
		for (k = 0; k < 2; k++)
			if (n == strlen(names[k]) && !strncmp(p, names[k], n))
				break;
		if (k == 2) {
			wirt_err(
				"--boot '%s': unknown boot device '%.*s': use disk or cdrom",
				cfg->boot, (int)n, p);
			return -1;
		}
		if (seen[k]) {
			wirt_err("--boot '%s': %s is listed twice", cfg->boot,
				 names[k]);
			return -1;
		}
		seen[k] = true;
		if (!count_vdevs(cfg, kinds[k])) {
			wirt_err("--boot '%s': no %s to boot from: give %s",
				 cfg->boot, opts[k], opts[k]);
			return -1;
		}
	}
	return 0;
}

/* check_firmware_opts - --firmware and --boot against the rest; 0 or -1. */
static int check_firmware_opts(const struct vmm_config *cfg)
{
	if (cfg->firmware && (cfg->kernel || cfg->initrd)) {
		wirt_err(
			"--firmware boots the guest's own bootloader: leave out --kernel and --initrd");
		return -1;
	}
	if (cfg->nvram && !cfg->firmware) {
		wirt_err(
			"--nvram is the UEFI variable store: give --firmware uefi (or an OVMF code image) too");
		return -1;
	}
	if (cfg->boot && !cfg->firmware) {
		wirt_err(
			"--boot sets the firmware's boot order: give --firmware too (a --kernel boot has none)");
		return -1;
	}
	return cfg->boot ? check_boot(cfg) : 0;
}

int vmm_parse_args(int argc, char **argv, struct vmm_config *cfg)
{
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->cmdline = "console=ttyS0";
	cfg->cpus = 1;
	cfg->memory = VMM_DEFAULT_MEMORY;
	cfg->console.kind = CONSOLE_STDIO;
	cfg->name = "wirt";

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(vmm_usage(), stdout);
			return OPTS_EXIT_OK;
		}
		if (opt == OPT_VERSION) {
			puts("wirt-vmm 0.1.0");
			return OPTS_EXIT_OK;
		}
		if (opt == '?' || opt == ':') {
			if (optopt)
				wirt_err(
					"option '%s' needs a value (see wirt-vmm --help)",
					argv[optind - 1]);
			else
				wirt_err(
					"unknown option '%s' (see wirt-vmm --help)",
					argv[optind - 1]);
			return OPTS_ERROR;
		}
		if (parse_one(opt, optarg, cfg))
			return OPTS_ERROR;
	}
	if (optind < argc) {
		wirt_err("unexpected argument '%s' (see wirt-vmm --help)",
			 argv[optind]);
		return OPTS_ERROR;
	}
	if (cfg->trust_saved_config && !cfg->incoming) {
		wirt_err(
			"--trust-saved-config applies to a restore only: give --incoming file:PATH too or leave it out");
		return OPTS_ERROR;
	}
	if (check_firmware_opts(cfg))
		return OPTS_ERROR;
	if (!cfg->kernel && !cfg->incoming && !cfg->firmware) {
		wirt_err(
			"no kernel given: use --kernel PATH or --firmware bios (see wirt-vmm --help)");
		return OPTS_ERROR;
	}
	return OPTS_RUN;
}
