/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port I/O and COM1 output for the freestanding KVM-tier test guest,
 * shared by its files. The UART is polled (no interrupts in the guest).
 */
#ifndef WIRT_TEST_GUEST_GIO_H
#define WIRT_TEST_GUEST_GIO_H

#include <stdint.h>

#define COM1 0x3f8

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* One character to COM1, waiting for the transmitter to be empty. */
static inline void gio_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, c);
}

/* A string to COM1, "\n" sent as "\r\n". */
static inline void gio_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			gio_putc('\r');
		gio_putc(*s);
	}
}

/* An unsigned number in decimal. */
static inline void gio_putu(uint64_t v)
{
	char b[24];
	int i = 0;

	do {
		b[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i)
		gio_putc(b[--i]);
}

#endif
