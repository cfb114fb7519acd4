/* SPDX-License-Identifier: MIT */
/* The callgrind row's driver: one range scan through the library (the scan
 * core without the CLI, whose seccomp sandbox valgrind cannot run), one
 * send thread, no retries, no cooldown, no event sink.
 *     cg_scan TARGETS PORTS ROUTER_MAC RATE */
#include <stdio.h>
#include <stdlib.h>
#include <fastport.h>

int main(int argc, char **argv)
{
	char err[512];
	fp_config_t cfg;
	fp_scanner_t *s = NULL;
	fp_stats_t st = { .struct_size = sizeof(st) };
	int ret;

	if (argc != 5) {
		fprintf(stderr, "usage: cg_scan TARGETS PORTS ROUTER_MAC RATE\n");
		return 2;
	}
	fp_config_init(&cfg);
	cfg.router_mac = argv[3];
	cfg.rate = strtoull(argv[4], NULL, 10);
	cfg.retries = 0;
	cfg.wait_ms = 0;
	cfg.send_threads = 1;
	cfg.allow_reserved = 1;
	cfg.telemetry_ms = 0;
	if (fp_scanner_new(&cfg, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "cg_scan: %s\n", err);
		return 1;
	}
	ret = fp_scanner_add_targets(s, argv[1]);
	if (ret == 0)
		ret = fp_scanner_set_ports(s, argv[2]);
	if (ret == 0)
		ret = fp_scanner_run(s);
	if (ret < 0)
		fprintf(stderr, "cg_scan: %s (%s)\n", fp_scanner_error(s), fp_strerror(ret));
	if (fp_scanner_stats(s, &st) == 0)
		fprintf(stderr, "cg_scan: %llu probes sent\n", (unsigned long long)st.sent);
	fp_scanner_free(s);
	return ret < 0 ? 1 : 0;
}
