/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state writer of the fuzz targets' VM: the shared skeleton's. */
#ifndef WIRT_FUZZ_VM_H
#define WIRT_FUZZ_VM_H

#include "vm-skeleton.h"

#endif
