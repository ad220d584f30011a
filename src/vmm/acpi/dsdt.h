/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The DSDT's AML body, separate from the table header code in acpi.c. */
#ifndef WIRT_VMM_DSDT_H
#define WIRT_VMM_DSDT_H

#include "vmm/acpi/acpi.h"
#include "vmm/acpi/aml.h"

/*
 * dsdt_aml - append the DSDT's definition blocks (everything after the
 * 36-byte table header) for cfg to a. cfg must already be validated and
 * its PCI windows resolved (see acpi.c). Returns a->err: 0, -ENOSPC or
 * -EINVAL.
 */
int dsdt_aml(struct aml *a, const struct acpi_config *cfg);

#endif
