/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A domain definition as a wirt-vmm command line (vmargs.c). */
#ifndef WIRT_WIRTD_VMARGS_H
#define WIRT_WIRTD_VMARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "domain/domain.h"

struct vmargs {
	char **v; /* NULL-terminated, for execve() */
	int n, cap;
};

/*
 * vmargs_build - the argument vector that runs def as VM name with
 * wirt-vmm at vmm, its QMP socket at qmp and (for a pty console) its
 * console socket at console; restoring the state file incoming when it is
 * not NULL; with its vCPUs stopped until QMP cont when paused; tapfds[i]
 * (when not NULL and >= 0) is the descriptor number wirt-vmm gets NIC i's
 * tap as (network and bridge NICs: --net tap-fd=N). Returns 0,
 * or -EINVAL / -ENOMEM with err set.
 */
int vmargs_build(struct vmargs *a, const char *vmm, const char *name,
		 const struct dom_def *def, const char *qmp,
		 const char *console, const char *incoming, bool paused,
		 const int *tapfds, char *err, size_t errlen);
void vmargs_free(struct vmargs *a);

#endif
