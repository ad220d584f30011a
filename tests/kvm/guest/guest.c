// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KVM-tier test guest: a freestanding program wirt-vmm boots like a Linux
 * kernel. The kernel command line picks a test (wirt.test=NAME); results
 * go to COM1 as lines the test runner checks, and the guest ends by ACPI
 * poweroff (or the reset method under test).
 */
#include <stddef.h>
#include <stdint.h>

#include "vmm/acpi/acpi.h"
#include "gio.h"

#define LAPIC 0xfee00000UL
#define BOOT_MAGIC 0x57495254 /* "WIRT" */
#define BOOT_COUNTER ((volatile uint32_t *)0x5000)
#define AP_COUNT ((volatile uint32_t *)0x5100)
#define AP_BITMAP ((volatile uint8_t *)0x5110)
#define AP_TRAMP_ADDR 0x8000

extern char ap_tramp[], ap_tramp_end[];
void guest_main(uint8_t *bp);
void virtio_test(const char *mode); /* virtio_drv.c */

static void putx(uint64_t v)
{
	int i;

	gio_puts("0x");
	for (i = 60; i >= 0; i -= 4)
		gio_putc("0123456789abcdef"[(v >> i) & 0xf]);
}

static int starts(const char *s, const char *p)
{
	while (*p)
		if (*s++ != *p++)
			return 0;
	return 1;
}

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void poweroff(void)
{
	outb(ACPI_SLEEP_CTL_PORT, (ACPI_SLP_TYP_S5 << 2) | ACPI_SLP_EN);
	gio_puts("FAIL: still running after ACPI poweroff\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Find "wirt.test=" in the command line; returns its value (space ends). */
static const char *test_name(const uint8_t *bp)
{
	const char *c = (const char *)(uintptr_t)rd32(bp + 0x228);

	for (; c && *c; c++)
		if (starts(c, "wirt.test="))
			return c + 10;
	return "hello";
}

static void test_hello(const uint8_t *bp)
{
	gio_puts("hello from the wirt test guest\ncmdline: ");
	gio_puts((const char *)(uintptr_t)rd32(bp + 0x228));
	gio_puts("\n");
}

/* Sum of e820 RAM entries as the VMM reported them. */
static void test_memory(const uint8_t *bp)
{
	unsigned int i, n = bp[0x1e8];
	uint64_t total = 0;

	for (i = 0; i < n; i++) {
		const uint8_t *e = bp + 0x2d0 + i * 20;

		if (rd32(e + 16) == 1)
			total += rd64(e + 8);
		gio_puts("e820: ");
		putx(rd64(e));
		gio_puts(" ");
		putx(rd64(e + 8));
		gio_puts(" type ");
		gio_putu(rd32(e + 16));
		gio_puts("\n");
	}
	/* Touch the last page of RAM to prove it is really there. */
	gio_puts("ram-total: ");
	gio_putu(total);
	gio_puts("\n");
}

static int checksum_ok(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s == 0;
}

/* Walk RSDP -> XSDT -> tables; count MADT local APICs. */
static void test_acpi(const uint8_t *bp)
{
	const uint8_t *rsdp = (const uint8_t *)(uintptr_t)rd64(bp + 0x70);
	const uint8_t *xsdt, *t;
	uint32_t i, n, lapics = 0, bad = 0;

	if (!rsdp || !starts((const char *)rsdp, "RSD PTR ") ||
	    !checksum_ok(rsdp, 20) || !checksum_ok(rsdp, rd32(rsdp + 20))) {
		gio_puts("FAIL: no valid RSDP\n");
		return;
	}
	xsdt = (const uint8_t *)(uintptr_t)rd64(rsdp + 24);
	if (!checksum_ok(xsdt, rd32(xsdt + 4)))
		bad++;
	n = (rd32(xsdt + 4) - 36) / 8;
	for (i = 0; i < n; i++) {
		t = (const uint8_t *)(uintptr_t)rd64(xsdt + 36 + i * 8);
		gio_puts("acpi-table: ");
		gio_putc(t[0]);
		gio_putc(t[1]);
		gio_putc(t[2]);
		gio_putc(t[3]);
		gio_puts("\n");
		if (!checksum_ok(t, rd32(t + 4)))
			bad++;
		if (starts((const char *)t, "APIC")) {
			uint32_t off = 44, len = rd32(t + 4);

			while (off + 2 <= len && t[off + 1] >= 2) {
				if (t[off] == 0 && (rd32(t + off + 4) & 1))
					lapics++;
				off += t[off + 1];
			}
		}
	}
	gio_puts("acpi-bad-checksums: ");
	gio_putu(bad);
	gio_puts("\nacpi-lapics: ");
	gio_putu(lapics);
	gio_puts("\n");
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC + reg) = v;
}

static void delay(unsigned long n)
{
	while (n--)
		__asm__ volatile("pause");
}

/* Start every AP with INIT-SIPI-SIPI and count who arrives. */
static void test_smp(void)
{
	uint8_t *dst = (uint8_t *)AP_TRAMP_ADDR;
	unsigned int i, ids = 0;
	unsigned long spin;

	for (i = 0; i < (unsigned int)(ap_tramp_end - ap_tramp); i++)
		dst[i] = ap_tramp[i];
	*AP_COUNT = 0;
	for (i = 0; i < 32; i++)
		AP_BITMAP[i] = 0;
	lapic_write(0xf0, 0x1ff); /* software enable */
	lapic_write(0x310, 0);
	lapic_write(0x300, 0x000c4500); /* INIT to all but self */
	delay(10000);
	lapic_write(0x300, 0x000c4600 | (AP_TRAMP_ADDR >> 12));
	delay(1000);
	lapic_write(0x300, 0x000c4600 | (AP_TRAMP_ADDR >> 12));
	for (spin = 0; spin < 200000000UL; spin++) {
		uint32_t seen = *AP_COUNT;

		delay(100);
		if (seen && seen == *AP_COUNT && spin > 100000)
			break;
	}
	for (i = 0; i < 256; i++)
		if (AP_BITMAP[i / 8] & (1u << (i % 8))) {
			gio_puts("ap-apic-id: ");
			gio_putu(i);
			gio_puts("\n");
			ids++;
		}
	gio_puts("cpus-up: ");
	gio_putu(1 + *AP_COUNT);
	gio_puts("\nap-distinct-ids: ");
	gio_putu(ids);
	gio_puts("\n");
}

/* Boot counter in low RAM survives a reset (wirt-vmm keeps RAM). */
static uint32_t count_boot(void)
{
	if (BOOT_COUNTER[0] != BOOT_MAGIC) {
		BOOT_COUNTER[0] = BOOT_MAGIC;
		BOOT_COUNTER[1] = 0;
	}
	return ++BOOT_COUNTER[1];
}

static void triple_fault(void)
{
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) null_idt = { 0, 0 };

	__asm__ volatile("lidt %0; int3" : : "m"(null_idt));
}

static void test_reboot(const char *how)
{
	uint32_t n = count_boot();

	gio_puts("boot ");
	gio_putu(n);
	gio_puts("\n");
	if (n >= 2) {
		gio_puts("rebooted ok\n");
		BOOT_COUNTER[0] = 0;
		return;
	}
	if (starts(how, "acpi"))
		outb(ACPI_RESET_PORT, ACPI_RESET_VALUE);
	else if (starts(how, "kbd"))
		outb(0x64, 0xfe);
	else
		triple_fault();
	gio_puts("FAIL: reset did not happen\n");
}

/* Echo console input back, upper-cased, until a newline. */
static void test_echo(void)
{
	char c;

	gio_puts("echo ready\n");
	do {
		while (!(inb(COM1 + 5) & 1))
			;
		c = inb(COM1);
		if (c >= 'a' && c <= 'z')
			c -= 32;
		gio_putc(c == '\r' ? '\n' : c);
	} while (c != '\n' && c != '\r');
	gio_puts("echo done\n");
}

/* LAPIC timer interrupt: acknowledge and return (wakes the hlt). */
__asm__(".text\n"
	".globl timer_isr\n"
	"timer_isr:\n"
	"	pushq %rax\n"
	"	movabsq $0xfee000b0, %rax\n"
	"	movl $0, (%rax)\n"
	"	popq %rax\n"
	"	iretq\n");
extern char timer_isr[];

#define TIMER_VECTOR 0x40

/* An IDT whose only gate is the timer vector; then the LAPIC timer on. */
static void timer_setup(void)
{
	static uint64_t idt[2 * 256] __attribute__((aligned(16)));
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1,
					   (uint64_t)(uintptr_t)idt };
	uint64_t h = (uint64_t)(uintptr_t)timer_isr;
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[2 * TIMER_VECTOR] = (h & 0xffff) | (uint64_t)cs << 16 |
				(uint64_t)0x8e << 40 |
				((h >> 16) & 0xffff) << 48;
	idt[2 * TIMER_VECTOR + 1] = h >> 32;
	__asm__ volatile("lidt %0" : : "m"(idtr));
	/* mask both 8259s: only the LAPIC timer may interrupt the hlt */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	lapic_write(0xf0, 0x1ff); /* software enable */
	lapic_write(0x3e0, 0xb); /* divide by 1 */
	lapic_write(0x320, TIMER_VECTOR); /* one-shot */
}

/* Sleep about ns nanoseconds in hlt (KVM's APIC timer ticks per ns). */
static void sleep_ns(uint32_t ns)
{
	lapic_write(0x380, ns);
	__asm__ volatile("sti; hlt; cli");
}

/* For the other test files: sleep ms in hlt, the timer set up once. */
void guest_sleep_ms(uint32_t ms)
{
	static int ready;

	if (!ready++)
		timer_setup();
	sleep_ns(ms * 1000000u);
}

/*
 * Print "count: N" about every 100 ms forever, N kept in RAM (a saved and
 * restored VM goes on from where it was), sleeping in hlt between lines.
 * Checks the GED event register every 25 ms: a power button press prints
 * a line and powers off. wirt.test=counter-stop=N powers off after N.
 */
static void test_counter(const char *arg)
{
	static volatile uint64_t count;
	uint64_t stop = 0;
	int i;

	if (starts(arg, "-stop="))
		for (arg += 6; *arg >= '0' && *arg <= '9'; arg++)
			stop = stop * 10 + (*arg - '0');
	timer_setup();
	for (;;) {
		count++;
		gio_puts("count: ");
		gio_putu(count);
		gio_puts("\n");
		if (stop && count >= stop)
			return;
		for (i = 0; i < 4; i++) {
			if (*(volatile uint32_t *)ACPI_GED_MMIO_BASE &
			    ACPI_GED_EVT_POWER_BUTTON) {
				gio_puts("power button pressed\n");
				return;
			}
			sleep_ns(25000000);
		}
	}
}

void guest_main(uint8_t *bp)
{
	const char *t = test_name(bp);

	if (starts(t, "crash")) {
		triple_fault(); /* before any I/O: a crash for wirt-vmm */
		return;
	}
	gio_puts("wirt-test: start ");
	gio_puts(t);
	gio_puts("\n");
	if (starts(t, "hello"))
		test_hello(bp);
	else if (starts(t, "memory"))
		test_memory(bp);
	else if (starts(t, "acpi"))
		test_acpi(bp);
	else if (starts(t, "smp"))
		test_smp();
	else if (starts(t, "reboot-"))
		test_reboot(t + 7);
	else if (starts(t, "echo"))
		test_echo();
	else if (starts(t, "virtio-"))
		virtio_test(t + 7);
	else if (starts(t, "counter"))
		test_counter(t + 7);
	else if (starts(t, "hang"))
		for (;;)
			__asm__ volatile("pause");
	else
		gio_puts("FAIL: unknown test\n");
	gio_puts("wirt-test: end\n");
	poweroff();
}
