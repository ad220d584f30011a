// SPDX-License-Identifier: GPL-2.0-or-later
/* fw_cfg: numbered items, named files, port and DMA access. See fwcfg.h. */
#include "vmm/firmware/fwcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FW_CFG_KEY_WRITE 0x4000u
#define FW_CFG_ID_TRADITIONAL 0x1u
#define FW_CFG_ID_DMA 0x2u
#define DIR_ENTRY_LEN (4 + 2 + 2 + FW_CFG_NAME_LEN)

static const char dma_signature[8] = "QEMU CFG";

static void put_be(uint8_t *p, uint64_t v, unsigned int n)
{
	while (n--) {
		p[n] = v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static struct fwcfg_item *find(struct fwcfg *f, uint16_t key)
{
	unsigned int i;

	for (i = 0; i < f->nitems; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

/* Store a copy of data under key (item it, or a new one). 0 or -errno. */
static int set_item(struct fwcfg *f, struct fwcfg_item *it, uint16_t key,
		    const void *data, uint32_t len)
{
	uint8_t *copy;

	if (len > FW_CFG_MAX_ITEM)
		return -EFBIG;
	if (!it && f->nitems == FW_CFG_MAX_ITEMS)
		return -ENOSPC;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	if (!it) {
		it = &f->items[f->nitems++];
		memset(it, 0, sizeof(*it));
	}
	free(it->data);
	it->key = key;
	it->data = copy;
	it->len = len;
	return 0;
}

int fwcfg_add(struct fwcfg *f, uint16_t key, const void *data, uint32_t len)
{
	int r;

	pthread_mutex_lock(&f->lock);
	r = set_item(f, find(f, key), key, data, len);
	pthread_mutex_unlock(&f->lock);
	return r;
}

int fwcfg_add_u16(struct fwcfg *f, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { v, v >> 8 };

	return fwcfg_add(f, key, b, sizeof(b));
}

int fwcfg_add_u64(struct fwcfg *f, uint16_t key, uint64_t v)
{
	uint8_t b[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		b[i] = v >> (8 * i);
	return fwcfg_add(f, key, b, sizeof(b));
}

/* Rebuild the file directory item from the files. 0 or -errno. */
static int rebuild_dir(struct fwcfg *f)
{
	uint8_t dir[4 + FW_CFG_MAX_FILES * DIR_ENTRY_LEN];
	uint8_t *e = dir + 4;
	unsigned int i;

	memset(dir, 0, sizeof(dir));
	put_be(dir, f->nfiles, 4);
	for (i = 0; i < f->nitems; i++) {
		const struct fwcfg_item *it = &f->items[i];

		if (it->key < FW_CFG_FILE_FIRST || !it->name[0])
			continue;
		put_be(e, it->len, 4);
		put_be(e + 4, it->key, 2);
		memcpy(e + 8, it->name, FW_CFG_NAME_LEN);
		e += DIR_ENTRY_LEN;
	}
	return set_item(f, find(f, FW_CFG_FILE_DIR), FW_CFG_FILE_DIR, dir,
			e - dir);
}

int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data,
		   uint32_t len)
{
	struct fwcfg_item *it = NULL;
	size_t n = strlen(name);
	unsigned int i;
	int r;

	if (!n || n >= FW_CFG_NAME_LEN)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->nitems; i++)
		if (f->items[i].key >= FW_CFG_FILE_FIRST &&
		    !strcmp(f->items[i].name, name))
			it = &f->items[i];
	if (!it && f->nfiles == FW_CFG_MAX_FILES) {
		r = -ENOSPC;
		goto out;
	}
	r = set_item(f, it, it ? it->key : FW_CFG_FILE_FIRST + f->nfiles, data,
		     len);
	if (r)
		goto out;
	if (!it) {
		it = &f->items[f->nitems - 1];
		f->nfiles++;
	}
	memset(it->name, 0, sizeof(it->name));
	memcpy(it->name, name, n);
	r = rebuild_dir(f);
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}

void fwcfg_init(struct fwcfg *f, const struct gmem *mem)
{
	uint8_t id[4] = { FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA, 0, 0, 0 };

	memset(f, 0, sizeof(*f));
	f->mem = mem;
	pthread_mutex_init(&f->lock, NULL);
	/* cannot fail on an empty device: items are few and small */
	(void)fwcfg_add(f, FW_CFG_SIGNATURE, "QEMU", 4);
	(void)fwcfg_add(f, FW_CFG_ID, id, sizeof(id));
	pthread_mutex_lock(&f->lock);
	(void)rebuild_dir(f);
	pthread_mutex_unlock(&f->lock);
}

void fwcfg_free(struct fwcfg *f)
{
	unsigned int i;

	for (i = 0; i < f->nitems; i++)
		free(f->items[i].data);
	f->nitems = 0;
	f->nfiles = 0;
	pthread_mutex_destroy(&f->lock);
}

void fwcfg_reset(struct fwcfg *f)
{
	pthread_mutex_lock(&f->lock);
	f->sel = 0;
	f->off = 0;
	f->dma_hi = 0;
	pthread_mutex_unlock(&f->lock);
}

/* Select key (the write bit is ignored: no item is writable). */
static void select_key(struct fwcfg *f, uint16_t key)
{
	f->sel = key & ~FW_CFG_KEY_WRITE;
	f->off = 0;
}

/* Copy len bytes of the selected item from the read offset into dst (NULL:
 * skip), zeros past its end; the offset advances, capped at the end. */
static void read_item(struct fwcfg *f, uint8_t *dst, uint32_t len)
{
	const struct fwcfg_item *it = find(f, f->sel);
	uint32_t avail = it && f->off < it->len ? it->len - f->off : 0;
	uint32_t n = len < avail ? len : avail;

	if (dst) {
		if (n)
			memcpy(dst, it->data + f->off, n);
		memset(dst + n, 0, len - n);
	}
	f->off += n;
}

/*
 * Run the DMA request whose descriptor is at guest address gpa: control
 * (select, read, skip, write), length and buffer address, big-endian.
 * The control word gets 0 back, or the error bit for a bad buffer or a
 * write (no item is writable). A descriptor outside RAM is ignored.
 */
static void run_dma(struct fwcfg *f, uint64_t gpa)
{
	uint8_t *d = gmem_ptr(f->mem, gpa, 16);
	uint32_t ctl, len;
	uint64_t addr;
	uint8_t *buf;

	f->dma_count++;
	if (!d)
		return;
	ctl = get_be(d, 4);
	len = get_be(d + 4, 4);
	addr = get_be(d + 8, 8);
	if (ctl & FW_CFG_DMA_SELECT)
		select_key(f, ctl >> 16);
	if (ctl & FW_CFG_DMA_WRITE) {
		ctl = FW_CFG_DMA_ERROR;
	} else if (ctl & FW_CFG_DMA_READ) {
		buf = gmem_ptr(f->mem, addr, len);
		if (buf)
			read_item(f, buf, len);
		ctl = buf ? 0 : FW_CFG_DMA_ERROR;
	} else {
		if (ctl & FW_CFG_DMA_SKIP)
			read_item(f, NULL, len);
		ctl = 0;
	}
	put_be(d, ctl, 4);
}

/* The DMA register: signature reads, address writes (low half runs). */
static void dma_io(struct fwcfg *f, unsigned int off, uint8_t *data,
		   unsigned int size, bool wr)
{
	unsigned int i;

	if (!wr) {
		for (i = 0; i < size; i++)
			data[i] = off + i < 8 ? dma_signature[off + i] : 0;
		return;
	}
	if (off == 0 && size == 8) {
		run_dma(f, get_be(data, 8));
	} else if (off == 0 && size == 4) {
		f->dma_hi = get_be(data, 4);
	} else if (off == 4 && size == 4) {
		run_dma(f, (uint64_t)f->dma_hi << 32 | get_be(data, 4));
		f->dma_hi = 0;
	}
}

void fwcfg_io(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
	      bool wr)
{
	struct fwcfg *f = opaque;

	pthread_mutex_lock(&f->lock);
	if (off == 0 && wr && size == 2) {
		select_key(f, data[0] | data[1] << 8);
	} else if (off == 1 && !wr) {
		read_item(f, data, size);
	} else if (off >= FW_CFG_PORT_DMA - FW_CFG_PORT_SEL) {
		dma_io(f, off - (FW_CFG_PORT_DMA - FW_CFG_PORT_SEL), data, size,
		       wr);
	} else if (!wr) {
		memset(data, 0, size);
	}
	pthread_mutex_unlock(&f->lock);
}

void fwcfg_save(struct fwcfg *f, uint8_t *buf)
{
	pthread_mutex_lock(&f->lock);
	put_be(buf, f->sel, 2);
	put_be(buf + 2, f->off, 4);
	put_be(buf + 6, f->dma_hi, 4);
	pthread_mutex_unlock(&f->lock);
}

int fwcfg_load(struct fwcfg *f, const uint8_t *buf, size_t len)
{
	if (len != FW_CFG_STATE_LEN)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	f->sel = get_be(buf, 2) & ~FW_CFG_KEY_WRITE;
	f->off = get_be(buf + 2, 4);
	f->dma_hi = get_be(buf + 6, 4);
	pthread_mutex_unlock(&f->lock);
	return 0;
}
