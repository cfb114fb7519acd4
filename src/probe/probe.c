/* SPDX-License-Identifier: MIT */
/* The probe registry: one static table is the whole list. */
#include <string.h>
#include <netinet/in.h>

#include "probe.h"

static const struct probe *const probes[] = {
	&probe_tcp_syn,
	&probe_quic,
	&probe_udp,
};

const struct probe *probe_for(uint8_t proto)
{
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		if (probes[i]->proto == proto)
			return probes[i];
	return NULL;
}

int probe_classify(const struct probe_ctx *c, const struct pkt *p, uint32_t now_us,
		   struct finding *f)
{
	int verdict = 0;

	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		int r;

		/* Members a probe does not know (quic_versions for the others)
		 * and whatever a declining probe wrote must not leak. */
		memset(f, 0, sizeof(*f));
		r = probes[i]->classify(c, p, now_us, f);

		if (r > 0)
			return r;
		if (r < 0)
			verdict = r;
	}
	return verdict;
}

const char *probe_icmp_reason(bool v6, uint8_t type, uint8_t code)
{
	if (!v6) {
		if (type != 3)
			return "icmp-other";
		switch (code) {
		case 0: return "icmp-net-unreachable";
		case 1: return "icmp-host-unreachable";
		case 2: return "icmp-proto-unreachable";
		case 3: return "icmp-port-unreachable";
		case 9: return "icmp-net-prohibited";
		case 10: return "icmp-host-prohibited";
		case 13: return "icmp-admin-prohibited";
		default: return "icmp-unreachable";
		}
	}
	if (type != 1)
		return "icmp6-other";
	switch (code) {
	case 0: return "icmp6-no-route";
	case 1: return "icmp6-admin-prohibited";
	case 3: return "icmp6-addr-unreachable";
	case 4: return "icmp6-port-unreachable";
	case 5: case 6: return "icmp6-reject-route";
	default: return "icmp6-unreachable";
	}
}
