// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the state file as hostile input. Files are built section by
 * section (a good one first, then each field broken in turn): overlapping
 * sections, sections past the end, sizes no configuration needs, bad
 * counts and instances; each gets one error line and -EINVAL, and no
 * section is read into memory beyond the bounds. Then the saved
 * configuration: host files it names are used only when given again or
 * with --trust-saved-config.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util.h"
#include "vmm/state/state-int.h"
#include "vmm/vm.h"

#define MEM (1u << 20) /* guest memory of the saved VM */
#define RAM_OFF (2u << 20)
#define MAX_SECS (STATE_MAX_SECTIONS + 8)

struct tsec {
	uint32_t type, instance;
	uint64_t offset, len;
	const void *data; /* NULL: zeroes (a hole of the file) */
};

static struct tsec secs[MAX_SECS];
static unsigned int nsecs;
static uint32_t nsections_override; /* 0: nsecs */
static uint64_t file_size_override; /* 0: the end of the last section */
static char path[64], errpath[80], errbuf[8192];
static char incoming[80];

static const char good_cfg[] = "kernel=/boot/k\ncmdline=console=ttyS0\n"
			       "cpus=1\nmemory=1048576\nno_reboot=0\n";

static int setup(void **state)
{
	int fd;

	snprintf(path, sizeof(path), "/var/tmp/wirt-state-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(errpath, sizeof(errpath), "%s.err", path);
	snprintf(incoming, sizeof(incoming), "file:%s", path);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	unlink(errpath);
	return 0;
}

static void add(uint32_t type, uint32_t inst, uint64_t off, uint64_t len,
		const void *data)
{
	assert_true(nsecs < MAX_SECS);
	secs[nsecs++] = (struct tsec){ type, inst, off, len, data };
}

/* The sections of a good file of a 1-vCPU VM saved with config cfg. */
static void good(const char *cfg)
{
	static struct state_vm vmst;
	static uint8_t vcpu[sizeof(struct state_vcpu) + 4096];
	static struct uart8250_regs ur;
	static struct state_ram_info ri;
	struct state_vcpu *v = (struct state_vcpu *)vcpu;
	uint64_t off = STATE_HDR_SIZE;

	nsecs = 0;
	nsections_override = 0;
	file_size_override = 0;
	vmst.ncpus = 1;
	v->xsave_len = 4096;
	ri.size = MEM;
	add(SEC_CONFIG, 0, off, strlen(cfg), cfg);
	off = ALIGN_UP(off + strlen(cfg), 8);
	add(SEC_VM, 0, off, sizeof(vmst), &vmst);
	off = ALIGN_UP(off + sizeof(vmst), 8);
	add(SEC_VCPU, 0, off, sizeof(vcpu), vcpu);
	off = ALIGN_UP(off + sizeof(vcpu), 8);
	add(SEC_UART, 0, off, sizeof(ur), &ur);
	off = ALIGN_UP(off + sizeof(ur), 8);
	add(SEC_RAM_INFO, 0, off, sizeof(ri), &ri);
	add(SEC_RAM, 0, RAM_OFF, MEM, NULL);
}

/* CRC32 of len zero bytes. */
static uint32_t zero_crc(uint64_t len)
{
	static const uint8_t zero[1 << 20];
	uint32_t crc = 0;

	while (len) {
		size_t n = MIN(len, sizeof(zero));

		crc = state_crc(crc, zero, n);
		len -= n;
	}
	return crc;
}

/* Write secs[] as the state file at path, with a correct header CRC. */
static void write_file(void)
{
	struct state_hdr *h = calloc(1, sizeof(*h));
	uint64_t end = STATE_HDR_SIZE;
	unsigned int i;
	int fd;

	assert_non_null(h);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memcpy(h->magic, STATE_MAGIC, 8);
	h->version = STATE_VERSION;
	h->nsections = nsections_override ? nsections_override : nsecs;
	for (i = 0; i < nsecs; i++) {
		const struct tsec *t = &secs[i];
		uint32_t crc = 0;

		if (t->type != SEC_RAM)
			crc = t->data ? state_crc(0, t->data, t->len) :
					zero_crc(t->len);
		if (i < STATE_MAX_SECTIONS)
			h->sec[i] = (struct state_sec_ent){
				t->type, t->instance, t->offset, t->len, crc, 0
			};
		if (t->data)
			assert_int_equal(pwrite(fd, t->data, t->len, t->offset),
					 (ssize_t)t->len);
		end = MAX(end, t->offset + t->len);
	}
	h->file_size = file_size_override ? file_size_override : end;
	h->hdr_crc = state_crc(0, h, STATE_HDR_SIZE);
	assert_int_equal(ftruncate(fd, end), 0);
	assert_int_equal(pwrite(fd, h, STATE_HDR_SIZE, 0), STATE_HDR_SIZE);
	close(fd);
	free(h);
}

/* Start capturing stderr into errpath. Returns the saved fd 2. */
static int capture(void)
{
	int saved = dup(2),
	    fd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(saved >= 0 && fd >= 0);
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	return saved;
}

/* Stop capturing; errbuf gets what was written. */
static void release(int saved)
{
	int fd;
	ssize_t n;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fd = open(errpath, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, errbuf, sizeof(errbuf) - 1);
	close(fd);
	errbuf[n > 0 ? n : 0] = 0;
}

/* Lines in errbuf. */
static unsigned int err_lines(void)
{
	unsigned int n = 0;
	const char *p;

	for (p = errbuf; *p; p++)
		n += *p == '\n';
	return n;
}

/* state_in_read on the file written; returns its result, errbuf set. */
static int try_read(void)
{
	struct state_in *in = NULL;
	int saved, r;

	write_file();
	saved = capture();
	r = state_in_read(path, &in);
	release(saved);
	if (!r)
		state_in_free(in);
	return r;
}

/* The file is refused with one line that contains what. */
static void expect_refused(const char *what)
{
	assert_int_equal(try_read(), -EINVAL);
	if (!strstr(errbuf, what))
		fail_msg("expected '%s' in: %s", what, errbuf);
	assert_int_equal(err_lines(), 1);
	assert_non_null(strstr(errbuf, "refusing to restore from it"));
}

static void test_good_file(void **state)
{
	good(good_cfg);
	assert_int_equal(try_read(), 0);
	assert_string_equal(errbuf, "");
}

static void test_overlap(void **state)
{
	/* the VM section starts inside the config text */
	good(good_cfg);
	secs[1].offset = secs[0].offset + 8;
	expect_refused("two sections overlap");
	/* a metadata section inside guest memory */
	good(good_cfg);
	secs[3].offset = RAM_OFF + 4096;
	expect_refused("two sections overlap");
	/* the same bytes as two sections */
	good(good_cfg);
	add(SEC_DEVICE, 0, secs[0].offset, secs[0].len, good_cfg);
	secs[nsecs - 1].len = STATE_DEV_NAME;
	expect_refused("two sections overlap");
}

static void test_outside(void **state)
{
	/* a section past the size the header gives */
	good(good_cfg);
	add(SEC_DEVICE, 0, RAM_OFF + MEM, 64, NULL);
	file_size_override = RAM_OFF + MEM;
	expect_refused("a section lies outside the file");
	/* the header claims more than the file has */
	good(good_cfg);
	file_size_override = RAM_OFF + 2 * MEM;
	expect_refused("file is truncated");
	/* inside the header page */
	good(good_cfg);
	secs[0].offset = 100;
	expect_refused("a section lies outside the file");
	/* offset + length wrapping around */
	good(good_cfg);
	secs[4].offset = UINT64_MAX - 8;
	secs[4].data = NULL;
	expect_refused("a section lies outside the file");
}

static void test_huge(void **state)
{
	unsigned int i;

	/* a 60 MiB device section of a sparse file: over its bound */
	good(good_cfg);
	add(SEC_DEVICE, 0, RAM_OFF + MEM, 60u << 20, NULL);
	expect_refused("size is impossible for its type");
	/* a config text larger than any configuration */
	good(good_cfg);
	secs[0].data = NULL;
	secs[0].offset = RAM_OFF + MEM;
	secs[0].len = STATE_CONFIG_MAX + 1;
	expect_refused("size is impossible for its type");
	/* many devices each within the bound, too much together: none read */
	good(good_cfg);
	for (i = 0; i < 40; i++)
		add(SEC_DEVICE, i, RAM_OFF + MEM + (uint64_t)i * (1u << 20),
		    1u << 20, NULL);
	expect_refused("implausibly large together");
	/* guest memory not page aligned */
	good(good_cfg);
	secs[5].len = MEM - 100;
	expect_refused("not page aligned");
	good(good_cfg);
	secs[5].offset = RAM_OFF + 8;
	expect_refused("not page aligned");
}

static void test_counts(void **state)
{
	unsigned int i;

	good(good_cfg);
	nsections_override = STATE_MAX_SECTIONS + 1;
	expect_refused("impossible section count");
	good(good_cfg);
	nsections_override = 0xffffffffu;
	expect_refused("impossible section count");
	/* a vCPU number no VM has */
	good(good_cfg);
	secs[2].instance = STATE_MAX_VCPUS;
	expect_refused("instance number is out of range");
	good(good_cfg);
	add(SEC_DEVICE, STATE_MAX_DEVICES, RAM_OFF + MEM, STATE_DEV_NAME, NULL);
	expect_refused("instance number is out of range");
	good(good_cfg);
	secs[0].instance = 1; /* a second configuration */
	expect_refused("instance number is out of range");
	/* the same vCPU twice */
	good(good_cfg);
	add(SEC_VCPU, 0, RAM_OFF + MEM, secs[2].len, NULL);
	expect_refused("a section appears twice");
	/* two memory images, none, an unknown type */
	good(good_cfg);
	add(SEC_RAM, 0, RAM_OFF + MEM, MEM, NULL);
	expect_refused("a section appears twice");
	good(good_cfg);
	nsecs--;
	expect_refused("no guest memory image");
	good(good_cfg);
	add(99, 0, RAM_OFF + MEM, 8, NULL);
	expect_refused("unknown type");
	good(good_cfg);
	add(SEC_PLATFORM, 0, RAM_OFF + MEM, 8, NULL);
	expect_refused("unknown type");
	/* a vCPU section shorter than its XSAVE minimum */
	good(good_cfg);
	secs[2].len = sizeof(struct state_vcpu);
	expect_refused("size is impossible for its type");
	/* as many vCPUs as sections allow: accepted */
	good(good_cfg);
	for (i = 1; nsecs < STATE_MAX_SECTIONS; i++)
		add(SEC_VCPU, i, RAM_OFF + MEM + (uint64_t)i * 8192,
		    sizeof(struct state_vcpu) + 4096, NULL);
	assert_int_equal(try_read(), 0);
}

/* Parse args (after --incoming file:path), then merge; errbuf set. */
static int merge(struct vmm_config *cfg, const char *const *args)
{
	static char *argv[24];
	unsigned int n = 0;
	int saved, r;

	argv[n++] = "wirt-vmm";
	argv[n++] = "--incoming";
	argv[n++] = incoming;
	while (*args && n < ARRAY_SIZE(argv) - 1)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	assert_int_equal(vmm_parse_args(n, argv, cfg), OPTS_RUN);
	saved = capture();
	r = state_merge_config(cfg);
	release(saved);
	return r;
}

static void test_trust(void **state)
{
	static const char cfg_text[] =
		"kernel=/boot/k\ninitrd=/boot/i\ncmdline=console=ttyS0\n"
		"cpus=1\nmemory=1048576\nno_reboot=0\nvdev=rng:\n"
		"vdev=disk:path=/etc/it's,format=raw\nvdev=balloon:\n";
	const char *none[] = { NULL };
	const char *all[] = { "--kernel",
			      "/boot/k",
			      "--initrd",
			      "/boot/i",
			      "--rng",
			      "--disk",
			      "path=/etc/it's,format=raw",
			      "--balloon",
			      NULL };
	const char *trust[] = { "--trust-saved-config", NULL };
	const char *other[] = { "--kernel", "/boot/k",	 "--initrd",
				"/boot/i",  "--rng",	 "--disk",
				"path=/x",  "--balloon", NULL };
	const char *no_disk[] = { "--kernel", "/boot/k", "--initrd", "/boot/i",
				  NULL };
	struct vmm_config cfg;

	good(cfg_text);
	write_file();
	/* nothing given again: refused, naming every option to repeat */
	assert_int_equal(merge(&cfg, none), -EPERM);
	assert_int_equal(err_lines(), 1);
	if (!strstr(errbuf,
		    "give them again: --kernel '/boot/k' --initrd '/boot/i' "
		    "--rng --disk 'path=/etc/it'\\''s,format=raw' --balloon "
		    "(or add --trust-saved-config"))
		fail_msg("unexpected: %s", errbuf);
	/* the kernel and initrd alone are not enough with a disk */
	assert_int_equal(merge(&cfg, no_disk), -EPERM);
	assert_non_null(strstr(errbuf, "again: --rng --disk"));
	assert_null(strstr(errbuf, "--kernel"));
	/* all given again: the saved configuration is used */
	assert_int_equal(merge(&cfg, all), 0);
	assert_string_equal(errbuf, "");
	assert_int_equal(cfg.nvdevs, 3);
	assert_int_equal(cfg.vdevs[1].kind, VDEV_DISK);
	assert_int_equal(cfg.memory, MEM);
	/* a different disk: a mismatch */
	assert_int_equal(merge(&cfg, other), -EINVAL);
	assert_non_null(strstr(errbuf, "the device options differs"));
	/* trusted: the file's own */
	assert_int_equal(merge(&cfg, trust), 0);
	assert_string_equal(cfg.kernel, "/boot/k");
	assert_string_equal(cfg.vdevs[1].spec, "path=/etc/it's,format=raw");

	/* devices without host files come from the file */
	good("kernel=/boot/k\ncpus=1\nmemory=1048576\nvdev=rng:\n");
	write_file();
	assert_int_equal(
		merge(&cfg, (const char *[]){ "--kernel", "/boot/k", NULL }),
		0);
	assert_int_equal(cfg.nvdevs, 1);
	assert_int_equal(merge(&cfg, none), -EPERM);
	assert_non_null(strstr(errbuf, "again: --kernel '/boot/k' (or"));

	/* control characters (an escape sequence for the terminal) */
	good("kernel=/boot/\x1b[2Jk\ncpus=1\nmemory=1048576\n");
	write_file();
	assert_int_equal(merge(&cfg, trust), -EINVAL);
	assert_non_null(strstr(errbuf, "saved configuration is malformed"));
	assert_int_equal(err_lines(), 1);
}

/* state_open: the vCPU sections must be those of the configuration. */
static void test_open_vcpus(void **state)
{
	static struct vm vm;
	struct vmm_config cfg = { .memory = MEM, .cpus = 2 };
	int saved, r;

	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.ncpus = 2;
	vm.ram = mmap(NULL, MEM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(vm.ram != MAP_FAILED);
	good(good_cfg);
	write_file();
	saved = capture();
	r = state_open(&vm, path, "test");
	release(saved);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(errbuf, "saved vCPUs do not match"));
	vm.ncpus = 1;
	saved = capture();
	r = state_open(&vm, path, "test");
	release(saved);
	assert_int_equal(r, 0);
	assert_non_null(vm.incoming);
	state_close(&vm);
	munmap(vm.ram, MEM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_outside),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_trust),
		cmocka_unit_test(test_open_vcpus),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
