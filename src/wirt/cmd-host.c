// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host commands, as virsh prints them: version, uri, hostname, nodeinfo
 * (wirt runs on the host wirtd serves).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "wirt/wirt.h"

#ifndef WIRT_VERSION
#define WIRT_VERSION "0.1.0"
#endif

int do_version(struct ctx *c)
{
	struct json_object *r = call(c, "list", NULL, NULL);

	if (!r)
		return 1;
	json_object_put(r);
	printf("Compiled against library: wirt %s\n", WIRT_VERSION);
	printf("Using library: wirt %s\n", WIRT_VERSION);
	printf("Using API: wirt %s\n", WIRT_VERSION);
	printf("Running hypervisor: wirt-vmm %s\n\n", WIRT_VERSION);
	return 0;
}

int do_uri(struct ctx *c)
{
	printf("%s\n\n", c->uri);
	return 0;
}

int do_hostname(struct ctx *c)
{
	char h[256];

	if (gethostname(h, sizeof(h)))
		return 1;
	h[sizeof(h) - 1] = '\0';
	printf("%s\n\n", h);
	return 0;
}

/* cpuinfo_count - distinct values of key in /proc/cpuinfo (e.g. the
 * "physical id"s); 0 when the key is absent. */
static unsigned int cpuinfo_count(const char *key, unsigned int *mhz)
{
	char line[512], seen[64][32];
	unsigned int n = 0, i;
	size_t kl = strlen(key);
	FILE *f = fopen("/proc/cpuinfo", "r");
	double m;

	while (f && fgets(line, sizeof(line), f)) {
		if (mhz && sscanf(line, "cpu MHz : %lf", &m) == 1 && !*mhz)
			*mhz = (unsigned int)m;
		if (strncmp(line, key, kl) || !strchr(line, ':'))
			continue;
		for (i = 0; i < n; i++)
			if (!strcmp(seen[i], strchr(line, ':')))
				break;
		if (i == n && n < 64)
			snprintf(seen[n++], sizeof(seen[0]), "%s",
				 strchr(line, ':'));
	}
	if (f)
		fclose(f);
	return n;
}

int do_nodeinfo(struct ctx *c)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGE_SIZE);
	unsigned int mhz = 0, sockets = cpuinfo_count("physical id", &mhz);
	unsigned int cores = cpuinfo_count("core id", NULL);
	unsigned int nodes = 0;
	char p[64];

	if (!sockets)
		sockets = 1;
	if (!cores)
		cores = (unsigned int)cpus / sockets;
	while (snprintf(p, sizeof(p), "/sys/devices/system/node/node%u", nodes),
	       !access(p, F_OK))
		nodes++;
	printf("%-20s %s\n", "CPU model:", "x86_64");
	printf("%-20s %ld\n", "CPU(s):", cpus);
	printf("%-20s %u MHz\n", "CPU frequency:", mhz);
	printf("%-20s %u\n", "CPU socket(s):", sockets);
	printf("%-20s %u\n", "Core(s) per socket:", cores);
	printf("%-20s %lu\n", "Thread(s) per core:",
	       cores ? (unsigned long)cpus / sockets / cores : 1UL);
	printf("%-20s %u\n", "NUMA cell(s):", nodes ? nodes : 1);
	printf("%-20s %lld KiB\n\n",
	       "Memory size:", (long long)pages * psz / 1024);
	return 0;
}
