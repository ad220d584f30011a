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
	struct state_ram_info *ri = NULL;
	unsigned int i, n = h->nsections;

	if (n > STATE_MAX_SECTIONS)
		n = STATE_MAX_SECTIONS;
	for (i = 0; i < n; i++) {
		struct state_sec_ent *e = &h->sec[i];

		if (e->offset > len || e->length > len - e->offset)
			continue;
		if (e->type == SEC_RAM)
			ram = e;
		if (e->type == SEC_RAM_INFO && e->length == sizeof(*ri))
			ri = (struct state_ram_info *)(f + e->offset);
	}
	if (ram && ri && ram->offset % 4096 == 0 && ri->size == ram->length)
		ri->crc = ram_crc(f, ram->offset, ram->length, &ri->pages);
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
