// SPDX-License-Identifier: GPL-2.0-or-later
/* Firmware boot: the BIOS image, its memory and its devices. */
#include "vmm/firmware/firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/devices/rtc.h"
#include "vmm/firmware/fw-tables.h"
#include "vmm/firmware/fwcfg.h"
#include "vmm/firmware/uefi.h"
#include "vmm/kvm/kvm.h"
#include "vmm/pci/pci.h"
#include "vmm/state/state.h"
#include "vmm/vm.h"

#define FOUR_GIB 0x100000000ULL
#define RESET_VECTOR_FROM_END 16
#define X86_NOP 0x90
#define X86_JMP_NEAR 0xe9
#define X86_JMP_FAR 0xea
#define X86_JMP_SHORT 0xeb

struct firmware {
	uint8_t *rom; /* the image, read at start (rom_len bytes) */
	size_t rom_len;
	struct fwcfg cfg;
	struct rtc rtc;
	bool cfg_ready; /* fwcfg_init ran */
	struct uefi *uefi; /* a UEFI code image in pflash, else NULL */
	bool is_uefi; /* the image is UEFI code (uefi set up or not) */
};

const char *firmware_check_image(const uint8_t *buf, size_t len)
{
	size_t i;

	if (len < FIRMWARE_MIN_SIZE || len > FIRMWARE_MAX_SIZE || len % 4096)
		return "not a BIOS image: its size must be 64 to 256 KiB in 4 KiB units";
	for (i = len - RESET_VECTOR_FROM_END; i < len && buf[i] == X86_NOP; i++)
		;
	if (i >= len - 4 || (buf[i] != X86_JMP_FAR && buf[i] != X86_JMP_NEAR &&
			     buf[i] != X86_JMP_SHORT))
		return "not a BIOS image: no jump at its reset vector (16 bytes from the end)";
	return NULL;
}

/*
 * Whether fw->rom is a UEFI code image (fw->is_uefi set) or a BIOS one.
 * Returns 0, or -EINVAL after printing why it is neither.
 */
static int classify(struct firmware *fw, const char *path)
{
	const char *uefi = uefi_check_code(fw->rom, fw->rom_len), *bios;

	fw->is_uefi = !uefi;
	if (fw->is_uefi)
		return 0;
	bios = firmware_check_image(fw->rom, fw->rom_len);
	if (!bios && strcmp(path, UEFI_CODE_PATH))
		return 0;
	if (bios && !strcmp(path, UEFI_CODE_PATH))
		bios = NULL;
	wirt_err("--firmware '%s': %s%s%s", path, bios ? bios : "",
		 bios ? "; " : "", uefi);
	return -EINVAL;
}

/* Read the whole image at path into fw->rom. 0 or -errno, printed. */
static int read_image(struct firmware *fw, const char *path)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		r = -errno;
		wirt_err(
			"--firmware '%s': %s%s", path, strerror(errno),
			errno == ENOENT ?
				" (install Debian's seabios or ovmf package, or give the path of a firmware image)" :
				"");
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < FIRMWARE_MIN_SIZE ||
	    st.st_size >= UEFI_FLASH_MAX) {
		wirt_err(
			"--firmware '%s': not a regular file of 64 KiB to 16 MiB: give a BIOS image such as %s or a UEFI code image such as %s",
			path, FIRMWARE_BIOS_PATH, UEFI_CODE_PATH);
		r = -EINVAL;
		goto out;
	}
	fw->rom_len = st.st_size;
	fw->rom = mmap(NULL, fw->rom_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fw->rom == MAP_FAILED) {
		fw->rom = NULL;
		r = -ENOMEM;
	} else if (pread_full(fd, fw->rom, fw->rom_len, 0) !=
		   (ssize_t)fw->rom_len) {
		r = -EIO;
	}
	if (r) {
		wirt_err("--firmware '%s': cannot read it: %s", path,
			 strerror(-r));
		goto out;
	}
	r = classify(fw, path);
out:
	if (fd >= 0)
		close(fd);
	return r;
}

int firmware_prepare(struct vm *vm)
{
	const char *path = vm->cfg->firmware;
	uint64_t mem = vm->cfg->memory;
	int r;

	if (!strcmp(path, "bios"))
		path = FIRMWARE_BIOS_PATH;
	else if (!strcmp(path, "uefi"))
		path = UEFI_CODE_PATH;
	vm->fw = calloc(1, sizeof(*vm->fw));
	if (!vm->fw)
		return -ENOMEM;
	r = read_image(vm->fw, path);
	if (r)
		return r;
	if (vm->fw->is_uefi)
		r = uefi_open(&vm->fw->uefi, path, vm->fw->rom, vm->fw->rom_len,
			      vm->cfg->nvram);
	else if (vm->cfg->nvram)
		wirt_err(
			"--nvram '%s': --firmware '%s' is a BIOS image, which has no variable store: leave out --nvram or give --firmware uefi",
			vm->cfg->nvram, path);
	if (r || (!vm->fw->is_uefi && vm->cfg->nvram))
		return r ? r : -EINVAL;
	if (mem < FIRMWARE_MIN_RAM) {
		wirt_err(
			"--memory %llu MiB is too small to boot firmware: give --memory 64M or more",
			(unsigned long long)(mem >> 20));
		return -EINVAL;
	}
	memset(&vm->lay, 0, sizeof(vm->lay));
	vm->lay.mem_size = mem;
	vm->lay.low_size = MIN(mem, LOW_MEM_END);
	vm->lay.high_size = mem - vm->lay.low_size;
	return 0;
}

static void fw_reset(struct vm *vm, void *opaque)
{
	struct firmware *fw = opaque;

	(void)vm;
	fwcfg_reset(&fw->cfg);
	rtc_reset(&fw->rtc);
	if (fw->uefi)
		uefi_reset(fw->uefi);
}

void firmware_free(struct vm *vm)
{
	struct firmware *fw = vm->fw;

	if (!fw)
		return;
	if (fw->cfg_ready)
		fwcfg_free(&fw->cfg);
	uefi_free(fw->uefi);
	if (fw->rom)
		munmap(fw->rom, fw->rom_len);
	free(fw);
	vm->fw = NULL;
}

static void fw_destroy(struct vm *vm, void *opaque)
{
	(void)opaque;
	firmware_free(vm);
}

/*
 * The debug console SeaBIOS probes at 0x402: reads return 0 (not 0xe9),
 * so the firmware does not write its debug log there.
 */
static void debugcon_io(void *opaque, uint64_t off, uint8_t *data,
			unsigned int size, bool wr)
{
	(void)opaque;
	(void)off;
	if (!wr)
		memset(data, 0, size);
}

#define FW_STATE_LEN (RTC_STATE_LEN + FW_CFG_STATE_LEN)

/*
 * Save the RTC and fw_cfg registers and, for UEFI, the flash modes and
 * the variable store (the code image comes from its file).
 */
static int fw_save(struct vm *vm, void *opaque, struct state_writer *w)
{
	struct firmware *fw = opaque;
	uint8_t buf[FW_STATE_LEN];
	int r;

	(void)vm;
	rtc_save(&fw->rtc, buf);
	fwcfg_save(&fw->cfg, buf + RTC_STATE_LEN);
	r = state_put(w, buf, FW_STATE_LEN);
	if (!r && fw->uefi)
		r = uefi_save(fw->uefi, w);
	return r;
}

/* Load what fw_save wrote (from a file: lengths checked). 0 or -errno. */
static int fw_state_load(struct vm *vm, void *opaque, const void *buf,
			 size_t len)
{
	struct firmware *fw = opaque;
	const uint8_t *b = buf;
	int r;

	(void)vm;
	if (len < FW_STATE_LEN || (!fw->uefi && len != FW_STATE_LEN) ||
	    (fw->uefi && len == FW_STATE_LEN))
		return -EINVAL;
	if (rtc_load(&fw->rtc, b, RTC_STATE_LEN))
		return -EINVAL;
	if (fw->uefi) {
		r = uefi_load(fw->uefi, b + FW_STATE_LEN, len - FW_STATE_LEN);
		if (r)
			return r;
	}
	return fwcfg_load(&fw->cfg, b + RTC_STATE_LEN, FW_CFG_STATE_LEN);
}

int firmware_setup(struct vm *vm)
{
	struct firmware *fw = vm->fw;
	struct vm_hook h = { .name = "firmware",
			     .reset = fw_reset,
			     .destroy = fw_destroy,
			     .opaque = fw };
	int r;

	fwcfg_init(&fw->cfg, &vm->mem);
	fw->cfg_ready = true;
	rtc_init(&fw->rtc, vm->lay.low_size, vm->lay.high_size, vm->ncpus);
	vm->acpi.cmos_rtc = true;
	/* a full ACPI platform, so the guest OS takes over the BIOS's PIC */
	vm->acpi.fixed_hw = true;
	struct vm_state_hook sh = { .name = "firmware",
				    .save = fw_save,
				    .load = fw_state_load,
				    .opaque = fw };

	r = vm_add_hook(vm, &h);
	if (!r)
		r = vm_add_state_hook(vm, &sh);
	if (!r)
		r = bus_register(&vm->pio, FW_CFG_PORT_SEL, FW_CFG_PORTS_LEN,
				 fwcfg_io, &fw->cfg, "fw_cfg");
	if (!r)
		r = bus_register(&vm->pio, RTC_PORT, RTC_PORTS_LEN, rtc_io,
				 &fw->rtc, "rtc");
	if (!r)
		r = bus_register(&vm->pio, 0x402, 1, debugcon_io, NULL,
				 "debugcon");
	if (!r)
		r = pci_bus_ensure(vm);
	if (!r && fw->uefi)
		r = uefi_setup(vm, fw->uefi);
	if (r)
		wirt_err("firmware device set-up failed: %s", strerror(-r));
	return r;
}

int firmware_setup_early(struct vm *vm)
{
	return vm->fw->uefi ? uefi_setup_early(vm, vm->fw->uefi) : 0;
}

int firmware_map(struct vm *vm, const char **what)
{
	struct firmware *fw = vm->fw;
	struct kvm_userspace_memory_region rom = {
		.slot = FIRMWARE_ROM_SLOT,
		.guest_phys_addr = FOUR_GIB - fw->rom_len,
		.memory_size = fw->rom_len,
		.userspace_addr = (uintptr_t)fw->rom,
	};

	if (fw->uefi)
		return uefi_map(vm, fw->uefi, what);
	/* a KVM without read-only slots lets the guest write its copy */
	if (kvm_cap(vm->kvm_fd, KVM_CAP_READONLY_MEM))
		rom.flags = KVM_MEM_READONLY;
	*what = "KVM_SET_USER_MEMORY_REGION (firmware)";
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &rom))
		return -errno;
	return 0;
}

int firmware_load(struct vm *vm)
{
	struct firmware *fw = vm->fw;
	size_t n = MIN(fw->rom_len, (size_t)FIRMWARE_SHADOW_SIZE);

	/* a restore brings RAM back as it was: only fw_cfg is filled */
	if (vm->incoming)
		return fw_tables_publish(vm, &fw->cfg, false);
	/* the shadow RAM below 1 MiB holds a BIOS image's last 128 KiB */
	if (!fw->uefi)
		memcpy(vm->ram + 0x100000 - n, fw->rom + fw->rom_len - n, n);
	return fw_tables_publish(vm, &fw->cfg, true);
}
