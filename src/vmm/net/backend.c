// SPDX-License-Identifier: GPL-2.0-or-later
/* Opening the backend an --net option names (see backend.h). */
#include "vmm/net/backend.h"

int net_backend_open(const struct net_opts *o, struct evloop *loop,
		     net_receive_fn receive, void *opaque,
		     struct net_backend **out, char *err, size_t errlen)
{
	int r;

	if (o->kind == NET_TAP)
		r = net_tap_open(o, out, err, errlen);
	else
		r = net_user_open(o, out, err, errlen);
	if (r)
		return r;
	(*out)->loop = loop;
	(*out)->receive = receive;
	(*out)->opaque = opaque;
	return 0;
}
