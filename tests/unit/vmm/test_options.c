// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: wirt-vmm command line parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/vmm.h"

#define ARGV(...) ((char *[]){ "wirt-vmm", __VA_ARGS__, NULL })
#define ARGC(...) \
	((int)(sizeof((char *[]){ "wirt-vmm", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(cfg, ...) \
	vmm_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), cfg)

static void test_defaults(void **state)
{
	struct vmm_config c;

	assert_int_equal(PARSE(&c, "--kernel", "/k"), OPTS_RUN);
	assert_string_equal(c.kernel, "/k");
	assert_null(c.initrd);
	assert_int_equal(c.cpus, 1);
	assert_int_equal(c.memory, 512ULL << 20);
	assert_string_equal(c.cmdline, "console=ttyS0");
	assert_int_equal(c.console.kind, CONSOLE_STDIO);
	assert_false(c.no_reboot);
}

static void test_all(void **state)
{
	struct vmm_config c;

	assert_int_equal(PARSE(&c, "--kernel", "/k", "--initrd", "/i",
			       "--cmdline", "quiet", "--cpus", "4", "--memory",
			       "2G", "--console", "file=/tmp/x", "--name",
			       "web1", "--no-reboot"),
			 OPTS_RUN);
	assert_string_equal(c.initrd, "/i");
	assert_string_equal(c.cmdline, "quiet");
	assert_int_equal(c.cpus, 4);
	assert_int_equal(c.memory, 2ULL << 30);
	assert_int_equal(c.console.kind, CONSOLE_FILE);
	assert_string_equal(c.console.path, "/tmp/x");
	assert_string_equal(c.name, "web1");
	assert_true(c.no_reboot);

	assert_int_equal(PARSE(&c, "--kernel=/k", "--memory=1073741824"),
			 OPTS_RUN);
	assert_int_equal(c.memory, 1ULL << 30);
}

static void test_errors(void **state)
{
	struct vmm_config c;

	assert_int_equal(PARSE(&c, "--cpus", "2"), OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--bogus"), OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--cpus", "0"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--cpus", "256"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--cpus", "two"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--memory", "1.5G"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--memory", "0"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--memory", "1000"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--console", "tcp:1"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--name", "a/b"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "extra"), OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel"), OPTS_ERROR);
}

/* --sandbox on|off and --user; the default is on, as the default user. */
static void test_sandbox(void **state)
{
	struct vmm_config c;

	assert_int_equal(PARSE(&c, "--kernel", "/k"), OPTS_RUN);
	assert_int_equal(c.sandbox.level, SANDBOX_ON);
	assert_null(c.sandbox.user);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--sandbox", "off",
			       "--user", "vmuser"),
			 OPTS_RUN);
	assert_int_equal(c.sandbox.level, SANDBOX_OFF);
	assert_string_equal(c.sandbox.user, "vmuser");
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--sandbox", "on"),
			 OPTS_RUN);
	assert_int_equal(c.sandbox.level, SANDBOX_ON);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--sandbox", "1"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--user", ""), OPTS_ERROR);
}

/* --cdrom is a device of its own kind, once; --boot checks it is there */
static void test_cdrom_boot(void **state)
{
	struct vmm_config c;

	assert_int_equal(PARSE(&c, "--firmware", "bios", "--cdrom", "/a.iso",
			       "--disk", "path=/d", "--boot", "cdrom,disk"),
			 OPTS_RUN);
	assert_int_equal(c.nvdevs, 2);
	assert_int_equal(c.vdevs[0].kind, VDEV_CDROM);
	assert_string_equal(c.vdevs[0].spec, "/a.iso");
	assert_string_equal(c.boot, "cdrom,disk");
	assert_int_equal(PARSE(&c, "--firmware", "bios", "--cdrom", "/a.iso",
			       "--boot", "cdrom"),
			 OPTS_RUN);
	/* twice, empty, not given, listed twice, unknown */
	assert_int_equal(PARSE(&c, "--firmware", "bios", "--cdrom", "/a",
			       "--cdrom", "/b"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--firmware", "bios", "--cdrom", ""),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--firmware", "bios", "--disk", "path=/d",
			       "--boot", "cdrom"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--firmware", "bios", "--cdrom", "/a",
			       "--boot", "cdrom,cdrom"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--firmware", "bios", "--cdrom", "/a",
			       "--boot", "cd"),
			 OPTS_ERROR);
	(void)state;
}

/* --nvram names the UEFI variable store: only with --firmware */
static void test_nvram(void **state)
{
	struct vmm_config c;

	assert_int_equal(PARSE(&c, "--firmware", "uefi", "--nvram", "/v.fd"),
			 OPTS_RUN);
	assert_string_equal(c.firmware, "uefi");
	assert_string_equal(c.nvram, "/v.fd");
	assert_int_equal(PARSE(&c, "--firmware", "uefi"), OPTS_RUN);
	assert_null(c.nvram);
	assert_int_equal(PARSE(&c, "--kernel", "/k", "--nvram", "/v.fd"),
			 OPTS_ERROR);
	assert_int_equal(PARSE(&c, "--firmware", "uefi", "--nvram", ""),
			 OPTS_ERROR);
	assert_non_null(strstr(vmm_usage(), "--nvram PATH"));
	(void)state;
}

static void test_help(void **state)
{
	struct vmm_config c;
	FILE *saved = stdout;

	stdout = fopen("/dev/null", "w");
	assert_int_equal(PARSE(&c, "--help"), OPTS_EXIT_OK);
	assert_int_equal(PARSE(&c, "--version"), OPTS_EXIT_OK);
	fclose(stdout);
	stdout = saved;
	assert_non_null(strstr(vmm_usage(), "--no-reboot"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),   cmocka_unit_test(test_all),
		cmocka_unit_test(test_errors),	   cmocka_unit_test(test_help),
		cmocka_unit_test(test_cdrom_boot), cmocka_unit_test(test_nvram),
		cmocka_unit_test(test_sandbox),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
