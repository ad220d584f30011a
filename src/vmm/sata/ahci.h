/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An AHCI 1.3 SATA host bus adapter with one port holding an ATAPI
 * CD-ROM drive (vmm/sata/atapi.h), as Intel's ICH9 presents it: the ABAR
 * registers (BAR 5), the port's command list and FIS receive area in
 * guest memory, commands run synchronously when the guest sets PxCI,
 * data moved through the PRDT with every address and length checked
 * against guest memory, D2H register FIS and PIO setup FIS, interrupts
 * through a callback (MSI-X). Reads of the medium are pread()s of the
 * image file. No NCQ, port multipliers, power management or hot plug.
 *
 * The MMIO callback runs on vCPU threads under the PCI bus lock; reset
 * and save/restore run while no vCPU does: no lock of its own.
 */
#ifndef WIRT_VMM_SATA_AHCI_H
#define WIRT_VMM_SATA_AHCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/mem.h"
#include "vmm/sata/atapi.h"

#define AHCI_VENDOR 0x8086
#define AHCI_DEVICE 0x2922 /* ICH9 6-port SATA AHCI */
#define AHCI_CLASS 0x010601 /* mass storage, SATA, AHCI 1.0 */
#define AHCI_ABAR 5
#define AHCI_ABAR_SIZE 0x1000
#define AHCI_SLOTS 32

struct ahci_port {
	uint32_t clb, clbu, fb, fbu, is, ie, cmd, tfd, sig, ssts, sctl, serr,
		sact, ci;
	uint32_t halted; /* a command failed: wait for PxCMD.ST to clear */
};

struct ahci {
	uint32_t ghc, is;
	struct ahci_port port;
	struct atapi atapi;
	int fd; /* the medium, ATAPI_BLOCK * atapi.blocks bytes */
	const struct gmem *mem;
	void (*irq)(void *opaque); /* send the interrupt (MSI-X vector 0) */
	void *irq_opaque;
};

/* Number of 32-bit words ahci_save writes and ahci_load reads. */
#define AHCI_STATE_WORDS 21

/*
 * ahci_init - an HBA reading the medium from fd (blocks 2048-byte blocks)
 * and guest memory through mem, interrupts through irq(opaque). Powered
 * on as after a reset.
 */
void ahci_init(struct ahci *h, const struct gmem *mem, int fd, uint64_t blocks,
	       void (*irq)(void *opaque), void *opaque);

/* ahci_reset - the VM's reset: HBA, port and drive as at power-on. */
void ahci_reset(struct ahci *h);

/* ahci_mmio - an access to the ABAR (a pci_bar_fn). */
void ahci_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
	       bool is_write);

/* ahci_save - the registers and drive state into w (AHCI_STATE_WORDS). */
void ahci_save(const struct ahci *h, uint32_t *w);

/*
 * ahci_load - restore what ahci_save wrote (from a file: checked, only
 * values a guest could have produced are taken). Returns 0 or -EINVAL.
 */
int ahci_load(struct ahci *h, const uint32_t *w);

/* Internals shared by ahci.c and ahci-cmd.c */

#define PORT_IS_DHRS (1u << 0)
#define PORT_IS_PSS (1u << 1)
#define PORT_IS_TFES (1u << 30)
#define PORT_CMD_ST (1u << 0)
#define PORT_CMD_FRE (1u << 4)
#define ATA_STATUS_ERR 0x01
#define ATA_STATUS_DRQ 0x08
#define ATA_STATUS_DSC 0x10
#define ATA_STATUS_DRDY 0x40
#define ATA_STATUS_BSY 0x80
#define ATA_ERROR_ABRT 0x04
#define ATAPI_SIGNATURE 0xeb140101u

/* ahci_run_commands - run the slots set in PxCI, in order. */
void ahci_run_commands(struct ahci *h);

/* ahci_port_signal - set PxIS bits and interrupt if they are enabled. */
void ahci_port_signal(struct ahci *h, uint32_t bits);

/*
 * ahci_send_reset_fis - after a device reset: the signature in PxSIG and
 * PxTFD, and a D2H register FIS carrying it when FIS receive is on.
 */
void ahci_send_reset_fis(struct ahci *h);

#endif
