// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * State file reading: header and section checks shared by the
 * configuration merge and the restore. The file is hostile input: every
 * offset, length and count is checked before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/util.h"
#include "vmm/state/state-int.h"

#define MAX_META_SECTION (64ULL << 20)

uint32_t state_crc(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		unsigned int n = len > (1u << 30) ? (1u << 30) : len;

		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

void state_in_free(struct state_in *in)
{
	unsigned int i;

	if (!in)
		return;
	for (i = 0; i < in->n; i++)
		free(in->sec[i].data);
	if (in->fd >= 0)
		close(in->fd);
	free(in);
}

const struct state_blob *state_find(const struct state_in *in, uint32_t type,
				    uint32_t instance)
{
	unsigned int i;

	for (i = 0; i < in->n; i++)
		if (in->sec[i].type == type && in->sec[i].instance == instance)
			return &in->sec[i];
	return NULL;
}

const char *const state_vdev_kinds[STATE_VDEV_KINDS] = {
	[VDEV_DISK] = "disk",	    [VDEV_NET] = "net",
	[VDEV_RNG] = "rng",	    [VDEV_CONSOLE] = "console",
	[VDEV_BALLOON] = "balloon",
};
_Static_assert(VDEV_BALLOON + 1 == STATE_VDEV_KINDS,
	       "every device kind has a name in saved configurations");

/* Check the header of a state file; fills in->hdr. 0 or -EINVAL (why). */
static int check_header(struct state_in *in, const struct stat *st,
			const char **why)
{
	struct state_hdr *h = &in->hdr;
	uint32_t crc = h->hdr_crc;
	unsigned int i;

	if (memcmp(h->magic, STATE_MAGIC, 8)) {
		*why = "not a wirt-vmm state file (bad magic)";
		return -EINVAL;
	}
	if (h->version != STATE_VERSION) {
		*why = "state format version not supported by this wirt-vmm (it reads version 1)";
		return -EINVAL;
	}
	h->hdr_crc = 0;
	if (state_crc(0, h, STATE_HDR_SIZE) != crc) {
		*why = "header checksum mismatch (the file is corrupt)";
		return -EINVAL;
	}
	h->hdr_crc = crc;
	if (h->nsections == 0 || h->nsections > STATE_MAX_SECTIONS) {
		*why = "impossible section count (the file is corrupt)";
		return -EINVAL;
	}
	if ((uint64_t)st->st_size < h->file_size) {
		*why = "file is truncated (shorter than its header says)";
		return -EINVAL;
	}
	for (i = 0; i < h->nsections; i++) {
		const struct state_sec_ent *e = &h->sec[i];

		if (e->offset < STATE_HDR_SIZE || e->offset > h->file_size ||
		    e->length > h->file_size - e->offset) {
			*why = "a section lies outside the file (the file is corrupt)";
			return -EINVAL;
		}
		if (e->type != SEC_RAM && e->length > MAX_META_SECTION) {
			*why = "a section is implausibly large (the file is corrupt)";
			return -EINVAL;
		}
	}
	return 0;
}

/* Read every section but RAM and check its CRC. 0 or -errno (why). */
static int read_sections(struct state_in *in, const char **why)
{
	unsigned int i;

	for (i = 0; i < in->hdr.nsections; i++) {
		const struct state_sec_ent *e = &in->hdr.sec[i];
		struct state_blob *b = &in->sec[in->n];

		if (e->type == SEC_RAM) {
			in->ram = *e;
			in->have_ram = true;
			continue;
		}
		b->type = e->type;
		b->instance = e->instance;
		b->len = e->length;
		b->data = malloc(e->length ? e->length : 1);
		if (!b->data) {
			*why = "out of memory";
			return -ENOMEM;
		}
		in->n++;
		if (pread_full(in->fd, b->data, e->length, e->offset) !=
		    (ssize_t)e->length) {
			*why = "read error or truncated section";
			return -EIO;
		}
		if (state_crc(0, b->data, b->len) != e->crc) {
			*why = "section checksum mismatch (the file is corrupt)";
			return -EINVAL;
		}
	}
	if (!in->have_ram || !state_find(in, SEC_CONFIG, 0) ||
	    !state_find(in, SEC_VM, 0) || !state_find(in, SEC_RAM_INFO, 0)) {
		*why = "a required section is missing (the file is corrupt)";
		return -EINVAL;
	}
	return 0;
}

int state_in_read(const char *path, struct state_in **out)
{
	struct state_in *in = calloc(1, sizeof(*in));
	const char *why = NULL;
	struct stat st;
	int r;

	if (!in)
		return -ENOMEM;
	in->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0) {
		r = -errno;
		wirt_err("--incoming '%s': %s", path, strerror(errno));
		free(in);
		return r;
	}
	if (fstat(in->fd, &st) || !S_ISREG(st.st_mode)) {
		why = "not a regular file";
		r = -EINVAL;
		goto fail;
	}
	if (st.st_size < STATE_HDR_SIZE) {
		why = st.st_size >= 8 ?
			      "file is truncated (no complete header)" :
			      "not a wirt-vmm state file (too short)";
		r = -EINVAL;
		if (st.st_size >= 8 &&
		    (pread_full(in->fd, in->hdr.magic, 8, 0) != 8 ||
		     memcmp(in->hdr.magic, STATE_MAGIC, 8)))
			why = "not a wirt-vmm state file (bad magic)";
		goto fail;
	}
	if (pread_full(in->fd, &in->hdr, STATE_HDR_SIZE, 0) != STATE_HDR_SIZE) {
		why = "cannot read the header";
		r = -EIO;
		goto fail;
	}
	r = check_header(in, &st, &why);
	if (!r)
		r = read_sections(in, &why);
	if (r)
		goto fail;
	*out = in;
	return 0;
fail:
	wirt_err("--incoming '%s': %s; refusing to restore from it", path, why);
	state_in_free(in);
	return r;
}
