// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the state-file loader (src/vmm/state/file.c and
 * restore.c) as --incoming and a snapshot revert use it: the saved
 * configuration merged into the user's (state_merge_config), the file
 * checked against a VM (state_check_file), opened with its memory
 * checksum and mapped (state_open), and every device's saved bytes handed
 * to its load hook as state_restore does (PCI bus, virtio-pci transport,
 * rng, balloon and console on a fake VM of 4 KiB of RAM; KVM state is not
 * loaded, there is no KVM).
 *
 * The input is the file, except that the harness makes the checksums
 * right (each section's, the memory's in RAM_INFO and the header's) so
 * that mutations reach the parsers behind them; a set bit 0 in the
 * header's reserved word leaves the checksums as they are. The file is
 * zero-extended to the size its header claims (at most 1 MiB), so the
 * guest memory image can be a hole.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz-vm.h"
#include "vmm/state/state-int.h"

#define RAM_BYTES 4096
#define MAX_FILE (1 << 20)

static char path[64];

/* CRC32 of the non-zero pages of [off, off + len) of f, as the save did. */
static uint32_t ram_crc(const uint8_t *f, uint64_t off, uint64_t len,
			uint64_t *pages)
{
	static const uint8_t zero[4096];
	uint32_t crc = 0;
	uint64_t p;

	*pages = 0;
	for (p = 0; p + 4096 <= len; p += 4096)
		if (memcmp(f + off + p, zero, 4096)) {
			crc = state_crc(crc, f + off + p, 4096);
			(*pages)++;
		}
	return crc;
}

/* Make the checksums of the file image f (len bytes) right. */
static void fix_crcs(uint8_t *f, size_t len)
{
	struct state_hdr *h = (struct state_hdr *)f;
	struct state_sec_ent *ram = NULL;
	struct state_ram_info ri;
	uint8_t *rip = NULL; /* RAM_INFO, at any alignment */
	unsigned int i, n = h->nsections;

	if (n > STATE_MAX_SECTIONS)
		n = STATE_MAX_SECTIONS;
	for (i = 0; i < n; i++) {
		struct state_sec_ent *e = &h->sec[i];

		if (e->offset > len || e->length > len - e->offset)
			continue;
		if (e->type == SEC_RAM)
			ram = e;
		if (e->type == SEC_RAM_INFO && e->length == sizeof(ri))
			rip = f + e->offset;
	}
	if (ram && rip) {
		memcpy(&ri, rip, sizeof(ri));
		if (ram->offset % 4096 == 0 && ri.size == ram->length)
			ri.crc =
				ram_crc(f, ram->offset, ram->length, &ri.pages);
		memcpy(rip, &ri, sizeof(ri));
	}
	for (i = 0; i < n; i++) {
		struct state_sec_ent *e = &h->sec[i];

		if (e->type != SEC_RAM && e->offset <= len &&
		    e->length <= len - e->offset)
			e->crc = state_crc(0, f + e->offset, e->length);
	}
	h->hdr_crc = 0;
	h->hdr_crc = state_crc(0, f, STATE_HDR_SIZE);
}

/* Write the input as the state file; false when it cannot be. */
static bool write_file(const uint8_t *data, size_t size)
{
	const struct state_hdr *h = (const void *)data;
	size_t len = size;
	uint8_t *f;
	int fd;
	bool ok;

	if (size >= STATE_HDR_SIZE && h->file_size > size &&
	    h->file_size <= MAX_FILE)
		len = h->file_size;
	f = calloc(1, len ? len : 1);
	if (!f)
		return false;
	memcpy(f, data, size);
	if (size >= STATE_HDR_SIZE && !(h->reserved & 1))
		fix_crcs(f, len);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, f, len) == (ssize_t)len;
	if (fd >= 0)
		close(fd);
	free(f);
	return ok;
}

/* As state_restore's device part: each state hook loads its section. */
static void load_devices(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nstate_hooks; i++) {
		const struct vm_state_hook *h = &vm->state_hooks[i];
		const struct state_blob *b =
			state_find(vm->incoming, SEC_DEVICE, i);

		if (!b || b->len < STATE_DEV_NAME ||
		    strncmp((const char *)b->data, h->name ? h->name : "",
			    STATE_DEV_NAME - 1))
			return;
		if (h->load(vm, h->opaque, b->data + STATE_DEV_NAME,
			    b->len - STATE_DEV_NAME))
			return;
	}
}

/* Append section (type, instance) of len bytes to the image f at *end. */
static void add_sec(uint8_t *f, size_t *end, uint32_t type, uint32_t inst,
		    const void *a, size_t alen, const void *b, size_t blen)
{
	struct state_hdr *h = (struct state_hdr *)f;
	struct state_sec_ent *e = &h->sec[h->nsections++];

	*e = (struct state_sec_ent){ type, inst, *end, alen + blen, 0, 0 };
	memcpy(f + *end, a, alen);
	if (blen)
		memcpy(f + *end + alen, b, blen);
	*end = (*end + alen + blen + 7) & ~7UL;
}

/*
 * write_seed - write to out a state file as wirt-vmm saves it for this
 * fake VM (the devices' sections from their own save hooks), for the seed
 * corpus (fuzz/corpus/gen). The memory image is a hole
 * past the last byte written. Returns 0 or -1.
 */
static int write_seed(const char *out)
{
	static const char config[] =
		"kernel=/boot/vmlinuz\ncmdline=console=ttyS0\ncpus=1\n"
		"memory=4096\nno_reboot=0\nvdev=rng:\nvdev=balloon:\n"
		"vdev=console:\n";
	static struct vmm_config cfg;
	static struct state_writer w;
	static uint8_t f[MAX_FILE];
	struct state_hdr *h = (struct state_hdr *)f;
	struct state_ram_info ri = { RAM_BYTES, 0, 0, 0 };
	struct uart8250_regs ur = { 0 };
	struct state_vcpu vc = { .xsave_len = 4096 };
	struct state_vm v = { .ncpus = 1 };
	size_t end = STATE_HDR_SIZE, ram;
	unsigned int i;
	struct vm vm;
	int fd, r;

	memcpy(h->magic, STATE_MAGIC, 8);
	h->version = STATE_VERSION;
	for (i = 0; i < 3; i++)
		v.chip[i].chip_id = i;
	add_sec(f, &end, SEC_CONFIG, 0, config, strlen(config), NULL, 0);
	add_sec(f, &end, SEC_VM, 0, &v, sizeof(v), NULL, 0);
	add_sec(f, &end, SEC_VCPU, 0, &vc, sizeof(vc), f + MAX_FILE - 4096,
		4096);
	add_sec(f, &end, SEC_UART, 0, &ur, sizeof(ur), NULL, 0);
	fz_pci_vm_init(&vm, &cfg, RAM_BYTES);
	for (i = 0; i < vm.nstate_hooks; i++) {
		char name[STATE_DEV_NAME] = { 0 };

		snprintf(name, sizeof(name), "%s", vm.state_hooks[i].name);
		w.len = 0;
		if (vm.state_hooks[i].save(&vm, vm.state_hooks[i].opaque, &w))
			return -1;
		add_sec(f, &end, SEC_DEVICE, i, name, sizeof(name), w.buf,
			w.len);
	}
	fz_pci_vm_destroy(&vm);
	add_sec(f, &end, SEC_RAM_INFO, 0, &ri, sizeof(ri), NULL, 0);
	ram = (end + 4095) & ~4095UL;
	h->sec[h->nsections++] =
		(struct state_sec_ent){ SEC_RAM, 0, ram, RAM_BYTES, 0, 0 };
	h->file_size = ram + RAM_BYTES;
	fix_crcs(f, h->file_size);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	r = write(fd, f, end) == (ssize_t)end ? 0 : -1;
	close(fd);
	return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* With WIRT_FUZZ_STATE_SEED=PATH: write the seed file and exit. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seed = getenv("WIRT_FUZZ_STATE_SEED");

	if (seed)
		exit(write_seed(seed) ? 1 : 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmm_config cfg;
	struct vmm_config user = { .cmdline = "console=ttyS0",
				   .cpus = 1,
				   .memory = VMM_DEFAULT_MEMORY };
	char why[256];
	struct vm vm;

	if (!path[0])
		snprintf(path, sizeof(path), "/dev/shm/wirt-fuzz-state-%d",
			 getpid());
	if (!write_file(data, size))
		return 0;
	user.incoming = path;
	state_merge_config(&user);
	fz_pci_vm_init(&vm, &cfg, RAM_BYTES);
	state_check_file(&vm, path, why, sizeof(why));
	if (!state_open(&vm, path, "fuzz")) {
		load_devices(&vm);
		state_close(&vm);
	}
	fz_pci_vm_destroy(&vm);
	unlink(path);
	return 0;
}
