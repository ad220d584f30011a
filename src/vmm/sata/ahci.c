// SPDX-License-Identifier: GPL-2.0-or-later
/* The AHCI HBA's registers, reset and interrupts. See ahci.h. */
#include "vmm/sata/ahci.h"

#include <errno.h>
#include <string.h>

#include "vmm/boot/le.h"

/* Generic host control */
#define HBA_CAP 0x00
#define HBA_GHC 0x04
#define HBA_IS 0x08
#define HBA_PI 0x0c
#define HBA_VS 0x10
#define HBA_CAP2 0x24
#define PORT0 0x100
#define PORT_LEN 0x80

#define CAP_S64A (1u << 31)
#define CAP_SAM (1u << 18)
#define CAP_ISS_GEN1 (1u << 20)
#define CAP_VALUE (CAP_S64A | CAP_SAM | CAP_ISS_GEN1 | (AHCI_SLOTS - 1) << 8)
#define GHC_HR (1u << 0)
#define GHC_IE (1u << 1)
#define GHC_AE (1u << 31)
#define AHCI_VERSION 0x00010300 /* 1.3 */

/* Port registers (offset in the port's 0x80 bytes) */
enum {
	P_CLB = 0x00,
	P_CLBU = 0x04,
	P_FB = 0x08,
	P_FBU = 0x0c,
	P_IS = 0x10,
	P_IE = 0x14,
	P_CMD = 0x18,
	P_TFD = 0x20,
	P_SIG = 0x24,
	P_SSTS = 0x28,
	P_SCTL = 0x2c,
	P_SERR = 0x30,
	P_SACT = 0x34,
	P_CI = 0x38,
};

#define PORT_CMD_SUD (1u << 1)
#define PORT_CMD_POD (1u << 2)
#define PORT_CMD_CLO (1u << 3)
#define PORT_CMD_FR (1u << 14)
#define PORT_CMD_CR (1u << 15)
/* ST, SUD, POD, FRE, PMA, APSTE, ATAPI, DLAE, ALPE, ASP */
#define PORT_CMD_RW 0x0f820017u
#define PORT_IE_MASK 0xfdc000ffu
#define SSTS_UP 0x113 /* device present, Gen1, active */
#define SCTL_DET_INIT 1

/* The port after a COMRESET: link up, drive reset, signature. */
static void port_comreset(struct ahci *h)
{
	struct ahci_port *p = &h->port;

	atapi_reset(&h->atapi);
	p->ssts = SSTS_UP;
	p->ci = 0;
	p->sact = 0;
	p->halted = 0;
	ahci_send_reset_fis(h);
}

/* HBA reset (GHC.HR, power-on): every register but the addresses. */
static void hba_reset(struct ahci *h, bool addresses)
{
	struct ahci_port *p = &h->port;

	h->ghc = GHC_AE;
	h->is = 0;
	if (addresses) {
		p->clb = 0;
		p->clbu = 0;
		p->fb = 0;
		p->fbu = 0;
	}
	p->is = 0;
	p->ie = 0;
	p->cmd = PORT_CMD_SUD | PORT_CMD_POD;
	p->sctl = 0;
	p->serr = 0;
	port_comreset(h);
}

void ahci_init(struct ahci *h, const struct gmem *mem, int fd, uint64_t blocks,
	       void (*irq)(void *opaque), void *opaque)
{
	memset(h, 0, sizeof(*h));
	h->mem = mem;
	h->fd = fd;
	h->irq = irq;
	h->irq_opaque = opaque;
	atapi_init(&h->atapi, blocks);
	hba_reset(h, true);
}

void ahci_reset(struct ahci *h)
{
	hba_reset(h, true);
}

/* Recompute IS from the port; interrupt when enabled and fire is set. */
static void update_irq(struct ahci *h, bool fire)
{
	if (h->port.is & h->port.ie)
		h->is |= 1;
	if (fire && (h->ghc & GHC_IE) && h->is && h->irq)
		h->irq(h->irq_opaque);
}

void ahci_port_signal(struct ahci *h, uint32_t bits)
{
	h->port.is |= bits;
	update_irq(h, bits & h->port.ie);
}

/* A write to PxCMD: start/stop the command list, FIS receive, CLO. */
static void write_port_cmd(struct ahci *h, uint32_t v)
{
	struct ahci_port *p = &h->port;
	bool was_started = p->cmd & PORT_CMD_ST;

	p->cmd = (p->cmd & ~PORT_CMD_RW) | (v & PORT_CMD_RW);
	p->cmd &= ~(PORT_CMD_FR | PORT_CMD_CR);
	if (p->cmd & PORT_CMD_FRE)
		p->cmd |= PORT_CMD_FR;
	if (p->cmd & PORT_CMD_ST)
		p->cmd |= PORT_CMD_CR;
	if (v & PORT_CMD_CLO)
		p->tfd &= ~(uint32_t)(ATA_STATUS_BSY | ATA_STATUS_DRQ);
	if (was_started && !(p->cmd & PORT_CMD_ST)) {
		p->ci = 0;
		p->sact = 0;
		p->halted = 0;
	}
}

/* PxSCTL: DET 1 holds the link in COMRESET, back to 0 brings it up. */
static void write_port_sctl(struct ahci *h, uint32_t v)
{
	struct ahci_port *p = &h->port;
	bool was_init = (p->sctl & 0xf) == SCTL_DET_INIT;

	p->sctl = v & 0xfff;
	if ((v & 0xf) == SCTL_DET_INIT)
		p->ssts = 0;
	else if (was_init)
		port_comreset(h);
}

/* A 32-bit write to port register reg. */
static void write_port(struct ahci *h, unsigned int reg, uint32_t v)
{
	struct ahci_port *p = &h->port;

	switch (reg) {
	case P_CLB:
		p->clb = v & ~0x3ffu;
		break;
	case P_CLBU:
		p->clbu = v;
		break;
	case P_FB:
		p->fb = v & ~0xffu;
		break;
	case P_FBU:
		p->fbu = v;
		break;
	case P_IS:
		p->is &= ~v;
		break;
	case P_IE:
		p->ie = v & PORT_IE_MASK;
		update_irq(h, true);
		break;
	case P_CMD:
		write_port_cmd(h, v);
		break;
	case P_SCTL:
		write_port_sctl(h, v);
		break;
	case P_SERR:
		p->serr &= ~v;
		break;
	case P_SACT:
		if (p->cmd & PORT_CMD_ST)
			p->sact |= v;
		break;
	case P_CI:
		if ((p->cmd & PORT_CMD_ST) && !p->halted) {
			p->ci |= v;
			ahci_run_commands(h);
		}
		break;
	}
}

/* A 32-bit read of port register reg. */
static uint32_t read_port(const struct ahci *h, unsigned int reg)
{
	const struct ahci_port *p = &h->port;

	switch (reg) {
	case P_CLB:
		return p->clb;
	case P_CLBU:
		return p->clbu;
	case P_FB:
		return p->fb;
	case P_FBU:
		return p->fbu;
	case P_IS:
		return p->is;
	case P_IE:
		return p->ie;
	case P_CMD:
		return p->cmd;
	case P_TFD:
		return p->tfd;
	case P_SIG:
		return p->sig;
	case P_SSTS:
		return p->ssts;
	case P_SCTL:
		return p->sctl;
	case P_SERR:
		return p->serr;
	case P_SACT:
		return p->sact;
	case P_CI:
		return p->ci;
	}
	return 0;
}

/* A 32-bit read of the register at off (4-byte aligned). */
static uint32_t read_reg(const struct ahci *h, unsigned int off)
{
	switch (off) {
	case HBA_CAP:
		return CAP_VALUE;
	case HBA_GHC:
		return h->ghc;
	case HBA_IS:
		return h->is;
	case HBA_PI:
		return 1;
	case HBA_VS:
		return AHCI_VERSION;
	}
	if (off >= PORT0 && off < PORT0 + PORT_LEN)
		return read_port(h, off - PORT0);
	return 0;
}

/* A 32-bit write of v to the register at off (4-byte aligned). */
static void write_reg(struct ahci *h, unsigned int off, uint32_t v)
{
	switch (off) {
	case HBA_GHC:
		if (v & GHC_HR) {
			hba_reset(h, false);
			return;
		}
		h->ghc = GHC_AE | (v & GHC_IE);
		update_irq(h, true);
		return;
	case HBA_IS:
		h->is &= ~v;
		update_irq(h, true);
		return;
	}
	if (off >= PORT0 && off < PORT0 + PORT_LEN)
		write_port(h, off - PORT0, v);
}

void ahci_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
	       bool is_write)
{
	struct ahci *h = opaque;
	unsigned int base = off & ~3ull, i;
	uint8_t regs[8];

	if (off >= AHCI_ABAR_SIZE || size > 8)
		return;
	if (is_write) {
		/* AHCI registers take dword (or qword) writes only */
		if (off & 3 || size < 4)
			return;
		for (i = 0; i < size; i += 4)
			write_reg(h, base + i, le32(data + i));
		return;
	}
	put_le32(regs, read_reg(h, base));
	put_le32(regs + 4,
		 base + 4 < AHCI_ABAR_SIZE ? read_reg(h, base + 4) : 0);
	if ((off & 3) + size > sizeof(regs)) {
		memset(data, 0xff, size);
		return;
	}
	memcpy(data, regs + (off & 3), size);
}

void ahci_save(const struct ahci *h, uint32_t *w)
{
	const struct ahci_port *p = &h->port;
	const uint32_t v[AHCI_STATE_WORDS] = {
		h->ghc,	      h->is,	     p->clb,
		p->clbu,      p->fb,	     p->fbu,
		p->is,	      p->ie,	     p->cmd,
		p->tfd,	      p->sig,	     p->ssts,
		p->sctl,      p->serr,	     p->sact,
		p->ci,	      p->halted,     h->atapi.sense_key,
		h->atapi.asc, h->atapi.ascq, h->atapi.locked,
	};

	memcpy(w, v, sizeof(v));
}

int ahci_load(struct ahci *h, const uint32_t *w)
{
	struct ahci_port *p = &h->port;
	unsigned int i;

	for (i = 17; i < AHCI_STATE_WORDS; i++)
		if (w[i] > 0xff)
			return -EINVAL;
	if (w[16] > 1 || w[20] > 1 || (w[11] != 0 && w[11] != SSTS_UP))
		return -EINVAL;
	hba_reset(h, true);
	h->ghc = GHC_AE | (w[0] & GHC_IE);
	h->is = w[1] & 1;
	p->clb = w[2] & ~0x3ffu;
	p->clbu = w[3];
	p->fb = w[4] & ~0xffu;
	p->fbu = w[5];
	p->is = w[6];
	p->ie = w[7] & PORT_IE_MASK;
	write_port_cmd(h, w[8] & PORT_CMD_RW);
	p->tfd = w[9] & 0xffff;
	p->sig = w[10];
	p->ssts = w[11];
	p->sctl = w[12] & 0xfff;
	p->serr = w[13];
	p->sact = (p->cmd & PORT_CMD_ST) ? w[14] : 0;
	p->ci = (p->cmd & PORT_CMD_ST) ? w[15] : 0;
	p->halted = w[16];
	h->atapi.sense_key = w[17];
	h->atapi.asc = w[18];
	h->atapi.ascq = w[19];
	h->atapi.locked = w[20];
	return 0;
}
