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

#define PAGE 4096u

/* What one section type may be: instances below ninst, min..max bytes. */
struct sec_rule {
	uint32_t ninst;
	uint64_t min, max;
};

/* The rule for type, or NULL for a type this version never writes. */
static const struct sec_rule *sec_rule(uint32_t type)
{
	static const struct sec_rule rules[] = {
		[SEC_CONFIG] = { 1, 1, STATE_CONFIG_MAX },
		[SEC_VM] = { 1, sizeof(struct state_vm),
			     sizeof(struct state_vm) },
		[SEC_VCPU] = { STATE_MAX_VCPUS,
			       sizeof(struct state_vcpu) + 4096,
			       sizeof(struct state_vcpu) + STATE_XSAVE_MAX +
				       STATE_MSRS_MAX *
					       sizeof(struct kvm_msr_entry) },
		[SEC_UART] = { 1, sizeof(struct uart8250_regs),
			       sizeof(struct uart8250_regs) },
		[SEC_DEVICE] = { STATE_MAX_DEVICES, STATE_DEV_NAME,
				 STATE_DEVICE_MAX },
		[SEC_RAM_INFO] = { 1, sizeof(struct state_ram_info),
				   sizeof(struct state_ram_info) },
		[SEC_RAM] = { 1, PAGE, UINT64_MAX },
	};

	if (type >= ARRAY_SIZE(rules) || !rules[type].ninst)
		return NULL;
	return &rules[type];
}

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
	[VDEV_BALLOON] = "balloon", [VDEV_CDROM] = "cdrom",
};
_Static_assert(VDEV_CDROM + 1 == STATE_VDEV_KINDS,
	       "every device kind has a name in saved configurations");

/*
 * Check one section entry against its type's rule and the file: a known
 * type, an instance in range, a length within bounds, inside the file
 * after the header. Returns NULL or why not.
 */
static const char *check_entry(const struct state_hdr *h,
			       const struct state_sec_ent *e)
{
	const struct sec_rule *rule = sec_rule(e->type);

	if (!rule)
		return "a section has an unknown type (the file is corrupt or from a newer wirt-vmm)";
	if (e->instance >= rule->ninst)
		return "a section's instance number is out of range (the file is corrupt)";
	if (e->length < rule->min || e->length > rule->max)
		return "a section's size is impossible for its type (the file is corrupt)";
	if (e->offset < STATE_HDR_SIZE || e->offset > h->file_size ||
	    e->length > h->file_size - e->offset)
		return "a section lies outside the file (the file is corrupt)";
	if (e->type == SEC_RAM && ((e->offset | e->length) & (PAGE - 1)))
		return "guest memory is not page aligned in the file (the file is corrupt)";
	return NULL;
}

/*
 * Check the section table: every entry (check_entry), no two of the same
 * type and instance, no two overlapping, one RAM image, and the sections
 * read into memory (all but RAM) within STATE_META_MAX together. Returns
 * 0 or -EINVAL with why set.
 */
static int check_sections(const struct state_hdr *h, const char **why)
{
	const struct state_sec_ent *a, *b;
	uint64_t meta = 0;
	unsigned int i, j, nram = 0;

	for (i = 0; i < h->nsections; i++) {
		a = &h->sec[i];
		*why = check_entry(h, a);
		if (*why)
			return -EINVAL;
		if (a->type == SEC_RAM)
			nram++;
		else
			meta += a->length;
		for (j = 0; j < i; j++) {
			b = &h->sec[j];
			if (a->type == b->type && a->instance == b->instance) {
				*why = "a section appears twice (the file is corrupt)";
				return -EINVAL;
			}
			if (a->offset < b->offset + b->length &&
			    b->offset < a->offset + a->length) {
				*why = "two sections overlap (the file is corrupt)";
				return -EINVAL;
			}
		}
	}
	if (nram != 1) {
		*why = "the file has no guest memory image (the file is corrupt)";
		return -EINVAL;
	}
	if (meta > STATE_META_MAX) {
		*why = "the device and vCPU sections are implausibly large together (the file is corrupt)";
		return -EINVAL;
	}
	return 0;
}

/* Check the header of a state file; fills in->hdr. 0 or -EINVAL (why). */
static int check_header(struct state_in *in, const struct stat *st,
			const char **why)
{
	struct state_hdr *h = &in->hdr;
	uint32_t crc = h->hdr_crc;

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
	return check_sections(h, why);
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
