/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scratch directories of the cmocka unit tests: made under /tmp in a
 * group's setup, removed with everything in them in its teardown.
 */
#ifndef WIRT_TESTS_UNIT_TMPDIR_H
#define WIRT_TESTS_UNIT_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

/* Remove dir and all it holds (rm -rf from /, so that a test that left
 * its working directory inside does not matter). 0, or -1. */
static inline int unit_tmpdir_remove(const char *dir)
{
	char cmd[4200];

	if (snprintf(cmd, sizeof(cmd), "cd / && rm -rf '%s'", dir) >=
	    (int)sizeof(cmd))
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

#endif
