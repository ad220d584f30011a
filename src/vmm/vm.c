// SPDX-License-Identifier: GPL-2.0-or-later
/* The VM object: memory, devices, boot, run/stop/reset. */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/acpi/acpi.h"
#include "vmm/boot/boot.h"
#include "vmm/devices/console.h"
#include "vmm/devices/platform.h"
#include "vmm/devices/uart8250.h"
#include "vmm/firmware/firmware.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/state/state.h"

#define TSS_ADDR 0xfffbd000UL
#define IDENTITY_MAP_ADDR 0xfffbc000ULL
#define MAX_KERNEL_SIZE (256ULL << 20)

/*
 * open_image - open path (the kernel) read-only and check that it is a
 * regular file of a plausible size (1 byte to max bytes). The file is not
 * read: it is mapped only while it is parsed or copied into guest memory,
 * so its pages never stay resident in wirt-vmm. Returns 0 with *fd and
 * *len set, or -errno after printing an error that names what and path.
 */
static int open_image(const char *what, const char *path, uint64_t max, int *fd,
		      size_t *len)
{
	struct stat st;
	int r;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		r = -errno;
		wirt_err("%s '%s': %s", what, path, strerror(errno));
		return r;
	}
	if (fstat(*fd, &st) || !S_ISREG(st.st_mode)) {
		wirt_err("%s '%s': not a regular file", what, path);
		r = -EINVAL;
		goto fail;
	}
	if ((uint64_t)st.st_size > max || st.st_size == 0) {
		wirt_err(
			"%s '%s': size %lld is not plausible (empty or above %llu MiB)",
			what, path, (long long)st.st_size,
			(unsigned long long)(max >> 20));
		r = -EFBIG;
		goto fail;
	}
	*len = st.st_size;
	return 0;
fail:
	close(*fd);
	*fd = -1;
	return r;
}

/*
 * map_kernel - map the kernel file read-only for parsing or loading.
 * Returns the mapping (vm->kernel_len bytes; munmap it after use) or NULL
 * after printing an error.
 */
static uint8_t *map_kernel(struct vm *vm)
{
	void *p = mmap(NULL, vm->kernel_len, PROT_READ, MAP_PRIVATE,
		       vm->kernel_fd, 0);

	if (p == MAP_FAILED) {
		wirt_err("kernel '%s': cannot map it: %s", vm->cfg->kernel,
			 strerror(errno));
		return NULL;
	}
	return p;
}

/*
 * Open the initrd (kept open in vm->initrd_fd: every boot reads it, also
 * after the sandbox's user switch) and return its size, or -errno after
 * printing an error.
 */
static int64_t initrd_open(struct vm *vm, const char *path)
{
	struct stat st;
	int r;

	if (!path)
		return 0;
	vm->initrd_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (vm->initrd_fd < 0 || fstat(vm->initrd_fd, &st)) {
		r = -errno;
		wirt_err("initrd '%s': %s", path, strerror(errno));
		return r;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		wirt_err("initrd '%s': not a regular, non-empty file", path);
		return -EINVAL;
	}
	return st.st_size;
}

/* Total of MemTotal and SwapTotal from /proc/meminfo, in bytes (0: unknown) */
static uint64_t host_memory(void)
{
	unsigned long long kb, total = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1 ||
		    sscanf(line, "SwapTotal: %llu kB", &kb) == 1)
			total += kb * 1024;
	}
	fclose(f);
	return total;
}

/*
 * Map size bytes of anonymous memory at a 2 MiB aligned address, so that
 * the kernel can back guest RAM with transparent huge pages: one nested
 * page fault then maps 2 MiB instead of 4 KiB (a boot takes a few hundred
 * such exits instead of tens of thousands). Returns the mapping or
 * MAP_FAILED with errno set.
 */
static void *map_ram(uint64_t size)
{
	const uint64_t huge = 2ULL << 20;
	uint8_t *p = mmap(NULL, size + huge, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		return p;
	a = (uint8_t *)ALIGN_UP((uintptr_t)p, huge);
	if (a > p)
		munmap(p, a - p);
	munmap(a + size, p + huge - a);
	madvise(a, size, MADV_DONTDUMP);
	/* a hint: the host may have THP disabled, which is not an error */
	madvise(a, size, MADV_HUGEPAGE);
	return a;
}

static int alloc_ram(struct vm *vm)
{
	uint64_t size = vm->cfg->memory;

	vm->ram = map_ram(size);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		wirt_err(
			"cannot map %llu MiB of guest memory: %s (lower --memory)",
			(unsigned long long)(size >> 20), strerror(errno));
		return -ENOMEM;
	}
	vm->mem.r[0] = (struct gmem_region){ 0, vm->lay.low_size, vm->ram };
	vm->mem.n = 1;
	if (vm->lay.high_size)
		vm->mem.r[vm->mem.n++] =
			(struct gmem_region){ HIGH_RAM_START, vm->lay.high_size,
					      vm->ram + vm->lay.low_size };
	return 0;
}

static int get_cpuid(struct vm *vm)
{
	unsigned int n = 64;

	for (;;) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (!ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c)) {
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG || n >= 4096)
			return -errno;
		n *= 2;
	}
}

static void uart_irq(void *opaque, int level)
{
	vm_set_irq(opaque, COM1_IRQ, level);
}

static void uart_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	console_write(vm->console, buf, len);
}

static void uart_io(void *opaque, uint64_t off, uint8_t *data,
		    unsigned int size, bool wr)
{
	struct vm *vm = opaque;

	if (wr)
		uart8250_write(vm->uart, off, data[0]);
	else
		data[0] = uart8250_read(vm->uart, off);
	if (size > 1 && !wr)
		memset(data + 1, 0, size - 1);
}

/*
 * Console input: to hvc0 with --console virtio (never blocks; 0 when the
 * guest is not reading), else to the UART, waiting while its buffer is
 * full.
 */
static size_t console_in(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;
	size_t done = 0;

	if (vm->cfg->virtio_console) {
		pthread_mutex_lock(&vm->lock);
		if (vm->con_input)
			done = vm->con_input(vm->con_input_opaque, buf, len);
		pthread_mutex_unlock(&vm->lock);
		return done;
	}

	while (done < len) {
		done += uart8250_receive(vm->uart, buf + done, len - done);
		if (done < len && !uart8250_wait_room(vm->uart))
			break;
	}
	return done;
}

static void console_quit(void *opaque)
{
	vm_request_stop(opaque, VM_QUIT);
}

static void console_wakeup(void *opaque)
{
	struct vm *vm = opaque;

	uart8250_wakeup(vm->uart);
}

static int init_devices(struct vm *vm)
{
	static const struct uart8250_ops uops = { uart_irq, uart_tx };
	struct console_sink sink = { console_in, console_quit, vm,
				     console_wakeup };
	int r;

	vm->uart = uart8250_new(&uops, vm);
	if (!vm->uart)
		return -ENOMEM;
	r = bus_register(&vm->pio, COM1_BASE, 8, uart_io, vm, "com1");
	if (!r)
		r = platform_register(vm);
	if (r) {
		wirt_err("device set-up failed: %s", strerror(-r));
		return r;
	}
	r = console_open(&vm->console, &vm->cfg->console, &sink);
	if (r) {
		const char *path = vm->cfg->console.path[0] ?
					   vm->cfg->console.path :
					   "stdio";
		const char *hint = unix_socket_hint(r);

		wirt_err("console '%s': %s%s", path, strerror(-r), hint);
		return r;
	}
	return 0;
}

/*
 * prepare_kernel - open and check the kernel, initrd and command line and
 * plan guest memory for a direct boot. Returns 0 or -errno, printed.
 */
static int prepare_kernel(struct vm *vm, const struct vmm_config *cfg)
{
	struct bzimage_info bz;
	const char *why;
	int64_t isize;
	uint8_t *image;
	int r;

	r = open_image("kernel", cfg->kernel, MAX_KERNEL_SIZE, &vm->kernel_fd,
		       &vm->kernel_len);
	if (r)
		return r;
	image = map_kernel(vm);
	if (!image)
		return -ENOMEM;
	memset(&bz, 0, sizeof(bz)); /* compared whole at each boot */
	r = bzimage_parse(image, vm->kernel_len, &bz, &why);
	munmap(image, vm->kernel_len);
	vm->bz = bz;
	if (r) {
		wirt_err("kernel '%s': %s", cfg->kernel, why);
		return r;
	}
	isize = initrd_open(vm, cfg->initrd);
	if (isize < 0)
		return isize;
	r = layout_plan(cfg->memory, &bz, isize, &vm->lay, &why);
	if (r) {
		wirt_err("%s", why);
		return r;
	}
	if (strlen(cfg->cmdline) > bz.cmdline_size) {
		wirt_err(
			"--cmdline is %zu bytes; this kernel accepts at most %u",
			strlen(cfg->cmdline), bz.cmdline_size);
		return -E2BIG;
	}
	return 0;
}

int vm_prepare(struct vm *vm, const struct vmm_config *cfg)
{
	uint64_t host;
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = -1;
	vm->vm_fd = -1;
	vm->wake_fd = -1;
	vm->kernel_fd = -1;
	vm->initrd_fd = -1;
	vm->ncpus = cfg->cpus;
	pthread_mutex_init(&vm->lock, NULL);
	vm_pause_init(vm);

	r = cfg->firmware ? firmware_prepare(vm) : prepare_kernel(vm, cfg);
	if (r)
		return r;
	host = host_memory();
	if (host && cfg->memory > host) {
		wirt_err(
			"--memory %llu MiB: the host has only %llu MiB of RAM and swap to back it (lower --memory)",
			(unsigned long long)(cfg->memory >> 20),
			(unsigned long long)(host >> 20));
		return -ENOMEM;
	}
	return 0;
}

int vm_setup(struct vm *vm)
{
	int r;

	r = alloc_ram(vm);
	if (r)
		return r;
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!vm->vcpus || vm->wake_fd < 0)
		return -ENOMEM;
	vm->acpi.ncpus = vm->ncpus;
	vm->acpi.ioapic_id = vm->ncpus;
	/*
	 * --paused: requested here, before the control socket can take a
	 * "cont", so that one arriving before the first boot is not lost; no
	 * vCPU runs then: each parks before its first entry.
	 */
	if (vm->cfg->start_paused)
		vm_pause(vm);
	r = vm->fw ? firmware_setup_early(vm) : 0;
	if (!r)
		r = init_devices(vm);
	if (!r && vm->fw)
		r = firmware_setup(vm);
	return r;
}

int vm_init(struct vm *vm, int kvm_fd)
{
	const struct vmm_config *cfg = vm->cfg;
	int r, max;

	vm->kvm_fd = kvm_fd;
	max = kvm_cap(kvm_fd, KVM_CAP_MAX_VCPUS);
	if (!max)
		max = kvm_cap(kvm_fd, KVM_CAP_NR_VCPUS);
	if (max && (int)cfg->cpus > max) {
		wirt_err("--cpus %u: this host's KVM allows at most %d vCPUs",
			 cfg->cpus, max);
		return -EINVAL;
	}
	vm->run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		wirt_err("/dev/kvm: KVM_GET_VCPU_MMAP_SIZE failed");
		return -EIO;
	}
	r = get_cpuid(vm);
	if (r) {
		wirt_err("/dev/kvm: KVM_GET_SUPPORTED_CPUID failed: %s",
			 strerror(-r));
		return r;
	}
	if (cfg->incoming) {
		char label[PATH_MAX + 16];

		snprintf(label, sizeof(label), "--incoming '%s'",
			 cfg->incoming);
		r = state_open(vm, cfg->incoming, label);
	}
	return r;
}

int vm_add_hook(struct vm *vm, const struct vm_hook *h)
{
	if (vm->nhooks == VM_MAX_HOOKS)
		return -ENOSPC;
	vm->hooks[vm->nhooks++] = *h;
	return 0;
}

/* Run kvm_attach of every hook; returns 0 or the first error (printed). */
static int hooks_attach(struct vm *vm)
{
	unsigned int i;
	int r;

	for (i = 0; i < vm->nhooks; i++) {
		if (!vm->hooks[i].kvm_attach)
			continue;
		r = vm->hooks[i].kvm_attach(vm, vm->hooks[i].opaque);
		if (r) {
			wirt_err("%s: setting up KVM objects failed: %s",
				 vm->hooks[i].name, strerror(-r));
			return r;
		}
	}
	return 0;
}

static void hooks_detach(struct vm *vm)
{
	unsigned int i = vm->nhooks;

	while (i--)
		if (vm->hooks[i].kvm_detach)
			vm->hooks[i].kvm_detach(vm, vm->hooks[i].opaque);
}

static void hooks_reset(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nhooks; i++)
		if (vm->hooks[i].reset)
			vm->hooks[i].reset(vm, vm->hooks[i].opaque);
}

/*
 * load_images - write the initrd, the ACPI tables, the zero page and the
 * kernel (from image, the mapped bzImage described by bz) into guest
 * memory. Returns 0 or -errno after printing an error.
 */
static int load_images(struct vm *vm, const uint8_t *image,
		       const struct bzimage_info *bz)
{
	const struct vmm_config *cfg = vm->cfg;
	struct boot_params_in in;
	const char *why;
	long n;

	if (cfg->initrd &&
	    pread_full(vm->initrd_fd, vm->ram + vm->lay.initrd_addr,
		       vm->lay.initrd_size,
		       0) != (ssize_t)vm->lay.initrd_size) {
		wirt_err("initrd '%s': could not read it", cfg->initrd);
		return -EIO;
	}
	n = acpi_build(vm->ram + ACPI_ADDR, ACPI_SIZE, ACPI_ADDR, &vm->acpi);
	if (n < 0) {
		wirt_err("building ACPI tables failed: %s", strerror(-n));
		return n;
	}
	in = (struct boot_params_in){ image, vm->kernel_len, bz, cfg->cmdline,
				      ACPI_ADDR };
	return boot_write(vm->ram, &vm->lay, &in, &why);
}

/* kernel_changed - report a kernel file rewritten since start: -ESTALE. */
static int kernel_changed(struct vm *vm)
{
	wirt_err(
		"kernel '%s' changed on disk since wirt-vmm started; restart wirt-vmm to boot it",
		vm->cfg->kernel);
	return -ESTALE;
}

/*
 * load_guest - map the kernel, check it again (the file may have changed
 * since the last boot) and load everything into guest memory. Returns 0
 * or -errno after printing an error.
 */
static int load_guest(struct vm *vm)
{
	struct bzimage_info bz;
	uint8_t *image;
	const char *why;
	int r;

	struct stat st;

	/* the layout was planned for the kernel seen at start: a file
	 * rewritten in place since then is refused, never half-trusted */
	if (fstat(vm->kernel_fd, &st) || (size_t)st.st_size != vm->kernel_len)
		return kernel_changed(vm);
	image = map_kernel(vm);
	if (!image)
		return -ENOMEM;
	memset(&bz, 0, sizeof(bz));
	r = bzimage_parse(image, vm->kernel_len, &bz, &why);
	if (r || memcmp(&bz, &vm->bz, sizeof(bz)))
		r = kernel_changed(vm);
	else
		r = load_images(vm, image, &bz);
	munmap(image, vm->kernel_len);
	return r;
}

static int set_memory(struct vm *vm)
{
	struct kvm_userspace_memory_region low = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->lay.low_size,
		.userspace_addr = (uintptr_t)vm->ram,
	};
	struct kvm_userspace_memory_region high = {
		.slot = 1,
		.guest_phys_addr = HIGH_RAM_START,
		.memory_size = vm->lay.high_size,
		.userspace_addr = (uintptr_t)vm->ram + vm->lay.low_size,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &low))
		return -errno;
	if (vm->lay.high_size &&
	    ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &high))
		return -errno;
	return 0;
}

/* Guest memory: RAM, and the firmware image when there is one. */
static int map_memory(struct vm *vm, const char **what)
{
	int r;

	*what = "KVM_SET_USER_MEMORY_REGION";
	r = set_memory(vm);
	if (!r && vm->fw)
		r = firmware_map(vm, what);
	return r;
}

/* Create the KVM VM with irqchip, PIT and memory. Returns 0 or -errno. */
static int create_kvm_vm(struct vm *vm, const char **what)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t idmap = IDENTITY_MAP_ADDR;
	int fd;

	*what = "KVM_CREATE_VM";
	fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&vm->lock);
	vm->vm_fd = fd;
	pthread_mutex_unlock(&vm->lock);
	*what = "KVM_SET_TSS_ADDR";
	if (ioctl(fd, KVM_SET_TSS_ADDR, TSS_ADDR))
		return -errno;
	*what = "KVM_SET_IDENTITY_MAP_ADDR";
	if (kvm_cap(vm->kvm_fd, KVM_CAP_SET_IDENTITY_MAP_ADDR) &&
	    ioctl(fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap))
		return -errno;
	*what = "KVM_CREATE_IRQCHIP";
	if (ioctl(fd, KVM_CREATE_IRQCHIP, 0))
		return -errno;
	*what = "KVM_CREATE_PIT2";
	if (ioctl(fd, KVM_CREATE_PIT2, &pit))
		return -errno;
	return map_memory(vm, what);
}

static void destroy_kvm_vm(struct vm *vm)
{
	unsigned int i;

	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < vm->ncpus; i++)
		vcpu_join(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].vm)
			vcpu_release(&vm->vcpus[i]);
	pthread_mutex_unlock(&vm->lock);
	if (vm->vm_fd >= 0)
		hooks_detach(vm);
	pthread_mutex_lock(&vm->lock);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
	vm->pause.clock_valid = false;
	pthread_mutex_unlock(&vm->lock);
}

/* Boot once: build the VM and start its vCPUs. Returns 0 or -errno. */
static int boot_once(struct vm *vm)
{
	const char *what;
	unsigned int i;
	int r;

	atomic_store(&vm->io_exits, 0);
	r = create_kvm_vm(vm, &what);
	if (r) {
		wirt_err("%s failed: %s", what, strerror(-r));
		return r;
	}
	r = hooks_attach(vm);
	if (r)
		return r;
	if (vm->fw)
		r = firmware_load(vm);
	else if (!vm->incoming)
		r = load_guest(vm);
	if (r)
		return r;
	for (i = 0; i < vm->ncpus; i++) {
		r = vcpu_create(&vm->vcpus[i], vm, i, boot_entry(&vm->lay));
		if (r) {
			wirt_err("creating vCPU %u failed: %s", i,
				 strerror(-r));
			return r;
		}
	}
	if (vm->incoming) {
		r = state_restore(vm);
		if (r)
			return r;
		vm_pause_hold_clock(vm); /* a stopped VM stays stopped */
	}
	for (i = 0; i < vm->ncpus; i++) {
		r = vcpu_start(&vm->vcpus[i]);
		if (r) {
			wirt_err("starting vCPU %u failed: %s", i,
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

void vm_request_stop(struct vm *vm, enum vm_request req)
{
	uint64_t one = 1;
	unsigned int i;

	pthread_mutex_lock(&vm->lock);
	if (vm->request == VM_RUNNING || req == VM_CRASH)
		__atomic_store_n(&vm->request, req, __ATOMIC_RELEASE);
	for (i = 0; vm->vcpus && i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_cond_broadcast(&vm->pause.cond);
	pthread_mutex_unlock(&vm->lock);
	(void)!write(vm->wake_fd, &one, sizeof(one));
}

void vm_set_irq(struct vm *vm, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	pthread_mutex_lock(&vm->lock);
	if (vm->vm_fd >= 0)
		ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq);
	pthread_mutex_unlock(&vm->lock);
}

/* Sleep until a stop request or a termination signal arrives. */
static void wait_for_stop(struct vm *vm, int sig_fd)
{
	struct pollfd p[2] = { { vm->wake_fd, POLLIN, 0 },
			       { sig_fd, POLLIN, 0 } };
	struct signalfd_siginfo si;
	uint64_t v;

	while (__atomic_load_n(&vm->request, __ATOMIC_ACQUIRE) == VM_RUNNING) {
		if (poll(p, sig_fd >= 0 ? 2 : 1, -1) < 0)
			continue;
		if (p[0].revents & POLLIN)
			(void)!read(vm->wake_fd, &v, sizeof(v));
		if (sig_fd >= 0 && (p[1].revents & POLLIN) &&
		    read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
			wirt_info("terminating on signal %u", si.ssi_signo);
			vm_request_stop(vm, VM_QUIT);
		}
	}
}

int vm_run(struct vm *vm)
{
	bool reverting = false;
	sigset_t term;
	int sig_fd, r;

	sigemptyset(&term);
	sigaddset(&term, SIGINT);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGHUP);
	sig_fd = signalfd(-1, &term, SFD_CLOEXEC);

	r = console_start(vm->console);
	if (r) {
		wirt_err("console: cannot start input: %s", strerror(-r));
		return 2;
	}
	for (;;) {
		enum vm_request req;

		r = boot_once(vm);
		if (reverting)
			__atomic_store_n(&vm->revert_result, r,
					 __ATOMIC_SEQ_CST);
		reverting = false;
		if (r) {
			vm_request_stop(vm, VM_CRASH);
			destroy_kvm_vm(vm);
			r = 2;
			break;
		}
		wait_for_stop(vm, sig_fd);
		req = vm->request;
		if (req != VM_REVERT) /* loadvm waits for this loop itself */
			vm_emit(vm, VM_EV_STOPPING, 0);
		destroy_kvm_vm(vm);
		vm_emit(vm, VM_EV_STOPPED, req);
		if ((req == VM_RESET && !vm->cfg->no_reboot) ||
		    req == VM_REVERT) {
			uart8250_reset(vm->uart);
			atomic_store(&vm->ged_events, 0);
			hooks_reset(vm);
			vm->request = VM_RUNNING;
		}
		if (req == VM_REVERT) {
			r = vm->revert ? vm->revert(vm) : -EINVAL;
			if (r) {
				__atomic_store_n(&vm->revert_result, r,
						 __ATOMIC_SEQ_CST);
				wirt_err(
					"the VM cannot go on after a failed snapshot revert");
				r = 1;
				break;
			}
			reverting = true;
		}
		if (vm->request == VM_RUNNING)
			continue;
		r = req == VM_CRASH ? 1 : 0;
		break;
	}
	if (sig_fd >= 0)
		close(sig_fd);
	return r;
}

void vm_destroy(struct vm *vm)
{
	unsigned int i = vm->nhooks;

	vm_emit(vm, VM_EV_DESTROY, 0);
	state_close(vm);
	while (i--)
		if (vm->hooks[i].destroy)
			vm->hooks[i].destroy(vm, vm->hooks[i].opaque);
	firmware_free(vm); /* when set-up failed before its hook */
	if (vm->console)
		console_close(vm->console);
	if (vm->uart) {
		uart8250_free(vm->uart);
		vm->uart = NULL;
	}
	if (vm->ram)
		munmap(vm->ram, vm->cfg->memory);
	if (vm->wake_fd >= 0)
		close(vm->wake_fd);
	if (vm->initrd_fd >= 0)
		close(vm->initrd_fd);
	free(vm->vcpus);
	free(vm->cpuid);
	if (vm->kernel_fd >= 0)
		close(vm->kernel_fd);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->pause.cond);
	memset(vm, 0, sizeof(*vm));
}
