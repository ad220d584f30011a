// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The taps of a domain's <interface type='network'> and type='bridge':
 * made by wirtd (/dev/net/tun with a virtio-net header, named from
 * <target dev=> or vnetN), given the MAC fe:xx:... of the guest's (so
 * that the bridge never takes the guest's address), set up, put on the
 * network's bridge, and handed to wirt-vmm as open descriptors
 * (--net tap-fd=N): wirt-vmm needs no CAP_NET_ADMIN. A tap lives as long
 * as a descriptor of it is open, so it goes away with the VM.
 * <bandwidth> limits become tc rules on the tap: <inbound> (to the guest,
 * the tap's egress) an htb class, <outbound> (from the guest, the tap's
 * ingress) a policer.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "wirtd/nets.h"
#include "wirtd/netup.h"
#include "wirtd/rtnl.h"
#include "wirtd/vmtaps.h"
#include "wirtd/wirtd.h"

/* The bridge NIC k goes on into br; 0 or -errno with err set. */
static int nic_bridge(const struct dom_nic *k, char br[IFNAMSIZ], char *err,
		      size_t errlen)
{
	struct netrec *n;
	int r = 0;

	if (k->type == DOM_NIC_BRIDGE) {
		snprintf(br, IFNAMSIZ, "%s", k->source);
		if (if_nametoindex(br))
			return 0;
		snprintf(
			err, errlen,
			"<interface type='bridge'> (line %d): host bridge '%s' does not exist; create it or use another",
			k->line, k->source);
		return -ENODEV;
	}
	pthread_mutex_lock(&nettab_lock);
	n = net_find(k->source);
	if (!n || !n->active) {
		snprintf(
			err, errlen,
			n ? "network '%s' is not active: start it first (wirt net-start %s)" :
			    "network '%s' is not defined: define it first (wirt net-define FILE), or use another",
			k->source, k->source);
		r = n ? -ENETDOWN : -ENOENT;
	} else {
		snprintf(br, IFNAMSIZ, "%s", n->def->bridge);
		if (n->def->forward != NETDEF_FWD_BRIDGE)
			netup_dnsmasq(n, err, errlen); /* supervision */
	}
	pthread_mutex_unlock(&nettab_lock);
	return r;
}

/* Give the tap name the MAC of mac with the first byte 0xfe. */
static int tap_mac(const char *name, const char *mac)
{
	struct ifreq ifr = { 0 };
	unsigned char *a = (unsigned char *)ifr.ifr_hwaddr.sa_data;
	int s, r = 0;

	if (sscanf(mac, "%*x:%hhx:%hhx:%hhx:%hhx:%hhx", &a[1], &a[2], &a[3],
		   &a[4], &a[5]) != 5)
		return -EINVAL;
	a[0] = 0xfe;
	ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCSIFHWADDR, &ifr))
		r = -errno;
	if (s >= 0)
		close(s);
	return r;
}

/* tc with the arguments of fmt (split at spaces); 0 or -errno, msg set. */
static int tc(char *msg, size_t msglen, const char *fmt, ...)
{
	char line[256], *argv[32], *save = NULL;
	unsigned int i = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	argv[i++] = "tc";
	for (argv[i] = strtok_r(line, " ", &save); argv[i] && i < 30;)
		argv[++i] = strtok_r(NULL, " ", &save);
	argv[i] = NULL;
	return netup_run(argv, NULL, msg, msglen);
}

/*
 * The <bandwidth> of k on tap name: inbound as an htb class (rate the
 * average, ceil the peak, burst as given), outbound as an ingress policer
 * (burst as given, else one second of the average, at least 64 KiB so
 * that a 64 KiB GSO frame passes). Rates in bit/s from libvirt's KiB/s.
 * Returns 0 or -errno with err set.
 */
static int tap_shape(const struct dom_nic *k, const char *name, char *err,
		     size_t errlen)
{
	const struct dom_bw *in = &k->in, *out = &k->out;
	unsigned long long peak = MAX(in->peak, in->average) * 8192;
	unsigned long long pburst = MAX(out->burst ?: out->average, 64) * 1024;
	char msg[300], burst[40] = "";
	int r = 0, line = in->line;

	if (in->burst)
		snprintf(burst, sizeof(burst), " burst %llu",
			 (unsigned long long)in->burst * 1024);
	if (in->average)
		r = tc(msg, sizeof(msg), "qdisc add dev %s root handle 1: htb default 1", name) ?:
			    tc(msg, sizeof(msg),
			       "class add dev %s parent 1: classid 1:1 htb rate %llubit ceil %llubit%s",
			       name, (unsigned long long)in->average * 8192,
			       peak, burst);
	if (!r && out->average) {
		line = out->line;
		r = tc(msg, sizeof(msg), "qdisc add dev %s ingress", name) ?:
			    tc(msg, sizeof(msg),
			       "filter add dev %s parent ffff: protocol all u32 match u32 0 0 police rate %llubit burst %llu mtu 65536 drop flowid :1",
			       name, (unsigned long long)out->average * 8192,
			       pburst);
	}
	if (r)
		snprintf(
			err, errlen,
			"cannot apply the <bandwidth> (line %d) of <interface> line %d on tap '%s' with tc: %s",
			line, k->line, name, r == -EIO ? msg : strerror(-r));
	return r;
}

/* A new tap for k named into name, on bridge br, up: its fd or -errno. */
static int make_tap(const struct dom_nic *k, const char *br, char *name,
		    char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), r;

	if (fd < 0) {
		r = -errno;
		snprintf(
			err, errlen,
			"cannot open /dev/net/tun for a tap: %s (load the tun module; run wirtd as root)",
			strerror(-r));
		return r;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s",
		 k->target ? k->target : "vnet%d");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	r = ioctl(fd, TUNSETIFF, &ifr) ? -errno : 0;
	if (!r) {
		snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
		r = tap_mac(name, k->mac);
	}
	if (!r)
		r = rtnl_set_master(name, br);
	if (!r)
		r = rtnl_link_up(name);
	if (!r && (k->in.average || k->out.average)) {
		r = tap_shape(k, name, err, errlen);
		if (r) {
			close(fd);
			return r;
		}
	}
	if (r) {
		snprintf(
			err, errlen,
			"cannot set up tap '%s' on bridge '%s' (<interface> line %d): %s%s",
			ifr.ifr_name, br, k->line, strerror(-r),
			r == -EBUSY ? " (the <target dev=> name is taken)" :
				      "");
		close(fd);
		return r;
	}
	return fd;
}

int vm_taps_open(struct vmrec *vm, const struct dom_def *d, int *fds, char *err,
		 size_t errlen)
{
	char br[IFNAMSIZ];
	unsigned int i;
	int r = 0;

	for (i = 0; i < d->nnics; i++) {
		fds[i] = -1;
		vm->taps[i][0] = '\0';
	}
	for (i = 0; !r && i < d->nnics; i++) {
		const struct dom_nic *k = &d->nics[i];

		if (k->type != DOM_NIC_NETWORK && k->type != DOM_NIC_BRIDGE)
			continue;
		r = nic_bridge(k, br, err, errlen);
		if (!r) {
			fds[i] = make_tap(k, br, vm->taps[i], err, errlen);
			r = fds[i] < 0 ? fds[i] : 0;
		}
	}
	if (r)
		vm_taps_close(d, fds);
	return r;
}

void vm_taps_close(const struct dom_def *d, int *fds)
{
	unsigned int i;

	for (i = 0; i < d->nnics; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

const char *vm_nic_tap(const struct vmrec *vm, unsigned int i)
{
	const struct dom_def *d = domain_def(vm->def);

	if (i >= d->nnics)
		return NULL;
	if (vm->taps[i][0] &&
	    (vm->state == VM_RUNNING || vm->state == VM_PAUSED))
		return vm->taps[i];
	return d->nics[i].type == DOM_NIC_ETHERNET ? d->nics[i].target : NULL;
}
