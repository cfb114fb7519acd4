/* SPDX-License-Identifier: MIT */
/* The probe registry: one static table is the whole list. */
#include <string.h>

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

int probe_ctx_setup(struct probe_ctx *c, const char *cookie_impl)
{
	int ret = cookie_ctx_init(&c->ck, c->key, c->src4, c->src6, cookie_impl);

	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		if (probes[i]->setup)
			probes[i]->setup(c);
	return ret;
}
