// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A network's host side, set up and torn down by wirtd: the bridge (with
 * its addresses, through rtnetlink), the nftables table (`nft -f` of a
 * generated file), and one dnsmasq per network (its own configuration,
 * pid, lease and hosts files). Files: RUN/networks/NAME.{conf,pid,
 * hostsfile,addnhosts,nft,log}, LIB/networks/NAME.leases.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "wirtd/nets.h"
#include "wirtd/netup.h"
#include "wirtd/rtnl.h"
#include "wirtd/wirtd.h"

int netup_file(char *buf, size_t len, const struct netrec *n, const char *ext)
{
	const char *dir = strcmp(ext, ".leases") ? W->paths.run : W->paths.lib;
	int r = snprintf(buf, len, "%s/networks/%s%s", dir, n->name, ext);

	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/* The program name in the system's bin directories into path; 0 or
 * -ENOENT. */
static int find_prog(const char *name, char *path, size_t len)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin",
					    "/bin" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, len, "%s/%s", dirs[i], name);
		if (!access(path, X_OK))
			return 0;
	}
	return -ENOENT;
}

int netup_run(char *const argv[], const char *logpath, char *err, size_t errlen)
{
	static char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
				     NULL };
	static const char nox[] = "exec failed";
	char msg[512] = "", prog[64];
	int st, fd, out, p[2];
	ssize_t k;
	pid_t pid;

	if (find_prog(argv[0], prog, sizeof(prog))) {
		snprintf(err, errlen, "%s is not installed", argv[0]);
		return -EIO;
	}
	out = logpath ? open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			     0600) :
			-1;
	if (pipe2(p, O_CLOEXEC)) {
		if (out >= 0)
			close(out);
		return -errno;
	}
	pid = fork();
	if (pid == 0) { /* async-signal-safe calls only: wirtd has threads */
		fd = open("/dev/null", O_RDWR);
		if (fd < 0 || dup2(fd, 0) < 0 ||
		    dup2(out >= 0 ? out : p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		execve(prog, argv, env);
		(void)!write(2, nox, sizeof(nox) - 1);
		_exit(127);
	}
	if (out >= 0)
		close(out);
	close(p[1]);
	k = pid > 0 ? read_full(p[0], msg, sizeof(msg) - 1) : 0;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -errno;
	msg[k > 0 ? k : 0] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	snprintf(err, errlen, "%s failed: %s", argv[0],
		 msg[0] ? msg : "no message");
	return -EIO;
}

/* The bridge of n with its addresses, up. 0 or -errno with err set. */
static int bridge_up(struct netrec *n, char *err, size_t errlen)
{
	const struct netdef *d = n->def;
	uint8_t mac[6];
	unsigned int i;
	int r;

	if (sscanf(d->mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		   &mac[2], &mac[3], &mac[4], &mac[5]) != 6)
		memset(mac, 0, sizeof(mac));
	r = if_nametoindex(d->bridge) ?
		    0 :
		    rtnl_bridge_add(d->bridge,
				    mac[0] || mac[1] || mac[2] ? mac : NULL,
				    d->stp, d->delay);
	for (i = 0; !r && i < d->nips; i++)
		r = rtnl_addr_add(d->bridge, d->ips[i].family,
				  d->ips[i].address, d->ips[i].prefix);
	if (!r)
		r = rtnl_link_up(d->bridge);
	if (r)
		snprintf(
			err, errlen,
			"cannot set up bridge '%s' of network '%s': %s (is the bridge module loaded? run wirtd as root)",
			d->bridge, n->name, strerror(-r));
	return r;
}

/* Write text (freed) into n's file ext; 0 or -errno. */
static int put_file(const struct netrec *n, const char *ext, char *text,
		    char *path, size_t len)
{
	int r = text ? netup_file(path, len, n, ext) : -ENOMEM;

	if (!r)
		r = store_write(path, text, strlen(text), 0644);
	free(text);
	return r;
}

/* n's nftables table, replaced whole. 0 or -errno with err set. */
static int nft_apply(struct netrec *n, char *err, size_t errlen)
{
	char path[PATH_MAX], msg[400];
	char *argv[] = { "nft", "-f", path, NULL };
	int r = put_file(n, ".nft", netdef_nft_rules(n->def), path,
			 sizeof(path));

	if (!r)
		r = netup_run(argv, NULL, msg, sizeof(msg));
	if (r)
		snprintf(
			err, errlen,
			"cannot apply the firewall rules of network '%s' (%s): %s",
			n->name, path, r == -EIO ? msg : strerror(-r));
	return r;
}

/* Turn on IPv4 forwarding (nat and route networks need it). */
static void ip_forward_on(void)
{
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "1\n", 2) != 2)
			wirt_warn("cannot turn on net.ipv4.ip_forward: %s",
				  strerror(errno));
		close(fd);
	}
}

int netup_start(struct netrec *n, bool again, char *err, size_t errlen)
{
	int r;

	if (n->def->forward == NETDEF_FWD_BRIDGE) {
		if (if_nametoindex(n->def->bridge))
			return 0;
		snprintf(
			err, errlen,
			"network '%s': host bridge '%s' does not exist: create it first (it carries the LAN; wirt only plugs taps into it)",
			n->name, n->def->bridge);
		return -ENODEV;
	}
	if (!again && if_nametoindex(n->def->bridge)) {
		snprintf(
			err, errlen,
			"network '%s': interface '%s' already exists on the host: give the network another <bridge name=> (wirt makes its own bridge for forward mode '%s')",
			n->name, n->def->bridge,
			netdef_forward_name(n->def->forward));
		return -EEXIST;
	}
	r = bridge_up(n, err, errlen);
	if (!r && (n->def->forward == NETDEF_FWD_NAT ||
		   n->def->forward == NETDEF_FWD_ROUTE))
		ip_forward_on();
	if (!r)
		r = nft_apply(n, err, errlen);
	if (!r && n->def->nips)
		r = netup_dnsmasq(n, err, errlen);
	if (r)
		netup_stop(n);
	return r;
}

void netup_stop(struct netrec *n)
{
	char table[40], path[PATH_MAX], msg[256];
	char *argv[] = { "nft", "delete", "table", "inet", table, NULL };

	if (n->def->forward == NETDEF_FWD_BRIDGE)
		return;
	netup_dnsmasq_stop(n);
	netdef_table_name(n->def, table);
	netup_run(argv, NULL, msg, sizeof(msg)); /* absent: fine */
	if (if_nametoindex(n->def->bridge))
		rtnl_link_del(n->def->bridge);
	if (!netup_file(path, sizeof(path), n, ".nft"))
		unlink(path);
	if (!netup_file(path, sizeof(path), n, ".conf"))
		unlink(path);
}
