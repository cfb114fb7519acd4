// SPDX-License-Identifier: MIT
// The benchmark's drop sink: every frame is dropped (XDP_DROP). IPv4 TCP
// frames are also counted, with the times of the first and the last, so
// the arrival rate is count / (last - first) for every sender alike.
// Build: clang -O2 -g -target bpf -c xdp_sink.c -o xdp_sink.o
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>

#define SEC(n) __attribute__((section(n), used))
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)BPF_FUNC_ktime_get_ns;

struct sink { __u64 n, first, last; };
struct {
	int (*type)[BPF_MAP_TYPE_PERCPU_ARRAY];
	int (*max_entries)[1];
	__u32 *key;
	struct sink *value;
} sink SEC(".maps");

SEC("xdp") int xdp_sink(struct xdp_md *ctx)
{
	void *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
	struct ethhdr *eth = d;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > e || eth->h_proto != __builtin_bswap16(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP)
		return XDP_DROP;
	__u32 k = 0;
	struct sink *s = bpf_map_lookup_elem(&sink, &k);
	if (s) {
		__u64 t = bpf_ktime_get_ns();
		if (!s->n)
			s->first = t;
		s->last = t;
		s->n++;
	}
	return XDP_DROP;
}
char _license[] SEC("license") = "GPL";
