// SPDX-License-Identifier: GPL-2.0-or-later
/* UEFI firmware in CFI flash: see uefi.h. */
#include "vmm/firmware/uefi.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/boot/le.h"
#include "vmm/firmware/pflash.h"
#include "vmm/firmware/piix.h"
#include "vmm/kvm/kvm.h"
#include "vmm/state/state.h"
#include "vmm/vm.h"

#define FOUR_GIB 0x100000000ULL
#define FVH_SIG_OFF 40
#define FVH_LEN_OFF 32

struct flash_region {
	struct pflash fl;
	struct uefi *u;
	unsigned int slot;
	uint64_t gpa;
	uint8_t *view; /* mapped into the guest, see pflash.h */
};

struct uefi {
	struct vm *vm; /* from uefi_setup on */
	struct flash_region code, vars;
	uint8_t *vars_mem;
	size_t vars_len;
	int vars_fd;
	bool vars_is_file; /* --nvram: written back after changes */
	bool ro_mem; /* KVM_CAP_READONLY_MEM */
	bool ro_checked; /* ro_mem is known (at the first uefi_map) */
	pthread_mutex_t lock; /* both flashes' state */
	struct piix piix;
};

const char *uefi_check_code(const uint8_t *buf, size_t len)
{
	uint64_t fv_len = 0;
	size_t i;

	if (len < 4096 || len % 4096 || len >= UEFI_FLASH_MAX)
		return "not a UEFI code image: its size must be a multiple of 4 KiB below 16 MiB";
	if (memcmp(buf + FVH_SIG_OFF, "_FVH", 4))
		return "not a UEFI code image: no firmware volume header (_FVH) at its start";
	for (i = 0; i < 8; i++)
		fv_len |= (uint64_t)buf[FVH_LEN_OFF + i] << (8 * i);
	if (!fv_len || fv_len > len)
		return "not a UEFI code image: its first firmware volume is longer than the file";
	for (i = len - 16; i < len && buf[i] == 0x90; i++)
		;
	if (i >= len - 4 || (buf[i] != 0xe9 && buf[i] != 0xeb))
		return "not a UEFI code image: no jump at its reset vector (16 bytes from the end)";
	return NULL;
}

char *uefi_vars_template(const char *code_path)
{
	const char *base = strrchr(code_path, '/'), *code;
	char *t;

	base = base ? base + 1 : code_path;
	code = strstr(base, "CODE");
	while (code && strstr(code + 1, "CODE"))
		code = strstr(code + 1, "CODE");
	if (!code)
		return NULL;
	t = strdup(code_path);
	if (!t)
		return NULL;
	memcpy(t + (code - code_path), "VARS", 4);
	if (access(t, R_OK)) {
		free(t);
		return NULL;
	}
	return t;
}

/* Read the template at path (whole, at most max bytes) into *buf. */
static int read_template(const char *path, size_t max, uint8_t **buf,
			 size_t *len)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		r = -errno;
	} else if (!S_ISREG(st.st_mode) || st.st_size < UEFI_BLOCK ||
		   (size_t)st.st_size > max || st.st_size % UEFI_BLOCK) {
		r = -EINVAL;
	} else {
		*len = st.st_size;
		*buf = malloc(*len);
		if (!*buf)
			r = -ENOMEM;
		else if (pread_full(fd, *buf, *len, 0) != (ssize_t)*len)
			r = -EIO;
	}
	if (fd >= 0)
		close(fd);
	if (r)
		wirt_err(
			"UEFI variable store template '%s': %s (reinstall Debian's ovmf package or give --nvram with an existing store)",
			path,
			r == -EINVAL ? "not a file of 4 KiB blocks" :
				       strerror(-r));
	return r;
}

/*
 * Open the existing variable store at path read-write into u->vars_fd
 * and check its size (want: the template's size, 0 when unknown).
 * Returns 0 or -errno, printed.
 */
static int open_nvram(struct uefi *u, const char *path, size_t want,
		      size_t code_len)
{
	struct stat st;

	u->vars_fd = open(path, O_RDWR | O_CLOEXEC);
	if (u->vars_fd < 0 || fstat(u->vars_fd, &st)) {
		int e = errno;

		wirt_err(
			"--nvram '%s': %s%s", path, strerror(e),
			e == EACCES || e == EROFS || e == EPERM ?
				": the firmware keeps its variables there, so it must be writable (fix its permissions or give another path)" :
				"");
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		wirt_err("--nvram '%s': not a regular file: give a file path",
			 path);
		return -EINVAL;
	}
	if ((want && (size_t)st.st_size != want) || st.st_size < UEFI_BLOCK ||
	    st.st_size % UEFI_BLOCK ||
	    (uint64_t)st.st_size > UEFI_FLASH_MAX - code_len) {
		if (want)
			wirt_err(
				"--nvram '%s': %lld bytes, but this firmware's variable store has %zu: remove the file to start from the template again",
				path, (long long)st.st_size, want);
		else
			wirt_err(
				"--nvram '%s': %lld bytes is no variable store size for this image (4 KiB blocks, at most %u MiB with the code)",
				path, (long long)st.st_size,
				UEFI_FLASH_MAX >> 20);
		return -EINVAL;
	}
	u->vars_len = st.st_size;
	u->vars_is_file = true;
	return 0;
}

/*
 * Create the variable store from the template's contents (tpl, len
 * bytes): the new file path, or a memory file when path is NULL.
 * Returns 0 or -errno, printed.
 */
static int create_vars(struct uefi *u, const char *path, const uint8_t *tpl,
		       size_t len)
{
	int r = 0;

	if (path)
		u->vars_fd =
			open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	else
		u->vars_fd = memfd_create("wirt-nvram", MFD_CLOEXEC);
	if (u->vars_fd < 0)
		r = -errno;
	else if (pwrite_full(u->vars_fd, tpl, len, 0) != (ssize_t)len ||
		 (path && fsync(u->vars_fd)))
		r = errno ? -errno : -EIO;
	if (r) {
		wirt_err("--nvram '%s': cannot create it: %s",
			 path ? path : "(memory copy)", strerror(-r));
		if (path && u->vars_fd >= 0)
			unlink(path);
		return r;
	}
	u->vars_len = len;
	u->vars_is_file = path != NULL;
	return 0;
}

/* Open or create the variable store (see uefi_open). 0 or -errno. */
static int open_vars(struct uefi *u, const char *code_path, size_t code_len,
		     const char *nvram)
{
	char *tpl_path = uefi_vars_template(code_path);
	uint8_t *tpl = NULL;
	size_t tpl_len = 0;
	int r = 0;

	if (tpl_path)
		r = read_template(tpl_path, UEFI_FLASH_MAX - code_len, &tpl,
				  &tpl_len);
	if (!r && nvram && access(nvram, F_OK) == 0) {
		r = open_nvram(u, nvram, tpl_len, code_len);
	} else if (!r && !tpl && nvram) {
		wirt_err(
			"--nvram '%s' does not exist and there is no variable store template next to '%s' (its name with VARS for CODE): give an existing store",
			nvram, code_path);
		r = -ENOENT;
	} else if (!r && !tpl) {
		wirt_err(
			"--firmware '%s': no variable store template next to it (its name with VARS for CODE): give --nvram PATH naming a store for it",
			code_path);
		r = -ENOENT;
	} else if (!r) {
		r = create_vars(u, nvram, tpl, tpl_len);
	}
	free(tpl);
	free(tpl_path);
	if (r)
		return r;
	/*
	 * the guest reads a private copy (any file system will do, 9p too);
	 * programs and erases are written back to the file (flash_sync)
	 */
	u->vars_mem = mmap(NULL, u->vars_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->vars_mem == MAP_FAILED) {
		u->vars_mem = NULL;
		r = -ENOMEM;
	} else if (pread_full(u->vars_fd, u->vars_mem, u->vars_len, 0) !=
		   (ssize_t)u->vars_len) {
		r = errno ? -errno : -EIO;
	}
	if (r)
		wirt_err("--nvram '%s': cannot read it: %s",
			 nvram ? nvram : "(memory copy)", strerror(-r));
	return r;
}

/* Map region r's view read-only (if KVM can) in the current KVM VM. */
static int map_region(struct flash_region *r)
{
	struct uefi *u = r->u;
	struct kvm_userspace_memory_region m = {
		.slot = r->slot,
		.flags = u->ro_mem ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = r->gpa,
		.memory_size = r->fl.size,
		.userspace_addr = (uintptr_t)r->fl.view,
	};

	if (ioctl(u->vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m))
		return -errno;
	return 0;
}

/* pflash callback: changed variables to the --nvram file, synced. */
static void flash_sync(void *opaque, size_t off, size_t len)
{
	struct flash_region *r = opaque;
	struct uefi *u = r->u;

	if (!u->vars_is_file)
		return;
	if (pwrite_full(u->vars_fd, u->vars_mem + off, len, off) !=
		    (ssize_t)len ||
	    fdatasync(u->vars_fd))
		wirt_warn(
			"UEFI variable store: writing %zu bytes at %zu to the --nvram file failed: %s (the guest's variables there are not saved)",
			len, off, strerror(errno ? errno : EIO));
}

/*
 * Write the whole memory copy of the store to the --nvram file, synced
 * (a restored state's variables). Returns 0 or -errno after a warning.
 */
static int sync_whole(struct uefi *u)
{
	if (pwrite_full(u->vars_fd, u->vars_mem, u->vars_len, 0) ==
		    (ssize_t)u->vars_len &&
	    !fdatasync(u->vars_fd))
		return 0;
	wirt_err(
		"UEFI variable store: writing the restored store to the --nvram file failed: %s (check the file system holding it)",
		strerror(errno ? errno : EIO));
	return -EIO;
}

/* MMIO bus callback of either flash, under the flashes' lock. */
static void flash_io(void *opaque, uint64_t off, uint8_t *data,
		     unsigned int size, bool wr)
{
	struct flash_region *r = opaque;

	pthread_mutex_lock(&r->u->lock);
	pflash_access(&r->fl, off, data, size, wr);
	pthread_mutex_unlock(&r->u->lock);
}

/*
 * Set up one flash region over mem, with a view of its own (what the
 * guest's memory slot shows). 0, -ENOMEM or -EINVAL.
 */
static int init_region(struct uefi *u, struct flash_region *r, uint8_t *mem,
		       size_t len, bool ro, unsigned int slot)
{
	int e;

	r->view = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->view == MAP_FAILED) {
		r->view = NULL;
		return -ENOMEM;
	}
	e = pflash_init(&r->fl, mem, r->view, len, UEFI_BLOCK, ro);
	r->u = u;
	r->slot = slot;
	r->fl.sync = ro ? NULL : flash_sync;
	r->fl.opaque = r;
	return e;
}

int uefi_open(struct uefi **out, const char *code_path, uint8_t *code,
	      size_t code_len, const char *nvram)
{
	struct uefi *u = calloc(1, sizeof(*u));
	int r;

	if (!u)
		return -ENOMEM;
	u->vars_fd = -1;
	pthread_mutex_init(&u->lock, NULL);
	*out = u;
	r = open_vars(u, code_path, code_len, nvram);
	if (r)
		return r;
	r = init_region(u, &u->code, code, code_len, true, UEFI_CODE_SLOT);
	if (!r)
		r = init_region(u, &u->vars, u->vars_mem, u->vars_len, false,
				UEFI_VARS_SLOT);
	if (r) {
		wirt_err("--firmware '%s': %s", code_path,
			 r == -ENOMEM ?
				 "out of memory for its flash" :
				 "the image is not made of 4 KiB blocks");
		return r;
	}
	u->code.gpa = FOUR_GIB - code_len;
	u->vars.gpa = u->code.gpa - u->vars_len;
	return 0;
}

int uefi_setup_early(struct vm *vm, struct uefi *u)
{
	return piix_setup_early(vm, &u->piix);
}

int uefi_setup(struct vm *vm, struct uefi *u)
{
	int r;

	u->vm = vm;
	r = piix_setup(vm, &u->piix);
	if (!r)
		r = bus_register(&vm->mmio, u->code.gpa, u->code.fl.size,
				 flash_io, &u->code, "pflash-code");
	if (!r)
		r = bus_register(&vm->mmio, u->vars.gpa, u->vars.fl.size,
				 flash_io, &u->vars, "pflash-vars");
	return r;
}

int uefi_map(struct vm *vm, struct uefi *u, const char **what)
{
	int r = 0;

	*what = "KVM_SET_USER_MEMORY_REGION (UEFI flash)";
	pthread_mutex_lock(&u->lock);
	if (!u->ro_checked) { /* /dev/kvm is open from the first boot on */
		u->ro_checked = true;
		u->ro_mem = kvm_cap(vm->kvm_fd, KVM_CAP_READONLY_MEM) > 0;
		if (!u->ro_mem)
			wirt_warn(
				"this host's KVM has no read-only memory slots: the UEFI code image is writable by the guest and every variable store access exits");
	}
	/* without read-only slots the store is not mapped: reads exit too */
	r = map_region(&u->code);
	if (!r && u->ro_mem)
		r = map_region(&u->vars);
	pthread_mutex_unlock(&u->lock);
	return r;
}

void uefi_reset(struct uefi *u)
{
	pthread_mutex_lock(&u->lock);
	pflash_reset(&u->code.fl);
	pflash_reset(&u->vars.fl);
	pthread_mutex_unlock(&u->lock);
}

int uefi_save(struct uefi *u, struct state_writer *w)
{
	uint8_t hdr[UEFI_MODES_LEN + 4];
	int r;

	pthread_mutex_lock(&u->lock);
	pflash_save(&u->code.fl, hdr);
	pflash_save(&u->vars.fl, hdr + PFLASH_STATE_LEN);
	put_le32(hdr + UEFI_MODES_LEN, (uint32_t)u->vars_len);
	r = state_put(w, hdr, sizeof(hdr));
	if (!r)
		r = state_put(w, u->vars_mem, u->vars_len);
	pthread_mutex_unlock(&u->lock);
	return r;
}

/* Check both flashes' modes in buf on copies: 0 or -EINVAL. */
static int check_modes(const struct uefi *u, const uint8_t *buf)
{
	struct pflash code = u->code.fl, vars = u->vars.fl;

	code.view = vars.view = NULL;
	code.sync = vars.sync = NULL;
	if (pflash_load(&code, buf, PFLASH_STATE_LEN) ||
	    pflash_load(&vars, buf + PFLASH_STATE_LEN, PFLASH_STATE_LEN))
		return -EINVAL;
	return 0;
}

int uefi_load(struct uefi *u, const uint8_t *buf, size_t len)
{
	const uint8_t *store = NULL;
	int r;

	if (len != UEFI_MODES_LEN) { /* else a state without the store */
		if (len < UEFI_MODES_LEN + 4 ||
		    le32(buf + UEFI_MODES_LEN) != u->vars_len ||
		    len - UEFI_MODES_LEN - 4 != u->vars_len) {
			wirt_err(
				"the saved UEFI variable store does not fit this firmware's (%zu bytes): restore with the OVMF image the state was saved with",
				u->vars_len);
			return -EINVAL;
		}
		store = buf + UEFI_MODES_LEN + 4;
	}
	/* check both on copies first: a bad file changes nothing */
	if (check_modes(u, buf))
		return -EINVAL;
	pthread_mutex_lock(&u->lock);
	if (store)
		memcpy(u->vars_mem, store, u->vars_len);
	r = pflash_load(&u->code.fl, buf, PFLASH_STATE_LEN);
	if (!r)
		r = pflash_load(&u->vars.fl, buf + PFLASH_STATE_LEN,
				PFLASH_STATE_LEN);
	if (!r && store && u->vars_is_file && sync_whole(u))
		r = -EIO;
	pthread_mutex_unlock(&u->lock);
	return r;
}

void uefi_free(struct uefi *u)
{
	if (!u)
		return;
	if (u->vars_mem) {
		pflash_reset(&u->vars.fl); /* writes back what changed */
		munmap(u->vars_mem, u->vars_len);
	}
	if (u->code.view)
		munmap(u->code.view, u->code.fl.size);
	if (u->vars.view)
		munmap(u->vars.view, u->vars.fl.size);
	if (u->vars_fd >= 0)
		close(u->vars_fd);
	pthread_mutex_destroy(&u->lock);
	free(u);
}
