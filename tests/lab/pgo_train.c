/* SPDX-License-Identifier: MIT */
/* The training driver of `make pgo`: one scan through the library, as the
 * CLI runs it (NDJSON events to a file), without the CLI's sandbox, whose
 * seccomp filter would keep the instrumented build from writing its
 * profile at exit (tests/lab/pgo-train says more).
 *     pgo_train OUT TARGETS PORTS RATE RETRIES WAIT_MS all|open [connect]
 * (all: every state reported; open: open ports only, the CLI's default). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fastport.h>

int main(int argc, char **argv)
{
	char err[512];
	fp_config_t cfg;
	fp_scanner_t *s = NULL;
	fp_stats_t st = { .struct_size = sizeof(st) };
	int fd, ret;

	if ((argc != 8 && !(argc == 9 && strcmp(argv[8], "connect") == 0)) ||
	    (strcmp(argv[7], "all") != 0 && strcmp(argv[7], "open") != 0)) {
		fprintf(stderr, "usage: pgo_train OUT TARGETS PORTS RATE RETRIES WAIT_MS all|open [connect]\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	fp_config_init(&cfg);
	cfg.rate = strtoull(argv[4], NULL, 10);
	cfg.retries = (uint32_t)strtoul(argv[5], NULL, 10);
	cfg.wait_ms = (uint32_t)strtoul(argv[6], NULL, 10);
	cfg.connect = argc == 9;
	cfg.allow_reserved = 1;
	cfg.states = strcmp(argv[7], "all") == 0 ? FP_STATES_ALL : FP_STATES_DEFAULT;
	cfg.out_fd = fd;
	cfg.out_format = FP_FORMAT_NDJSON;
	if (fp_scanner_new(&cfg, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "pgo_train: %s\n", err);
		close(fd);
		return 1;
	}
	ret = fp_scanner_add_targets(s, argv[2]);
	if (ret == 0)
		ret = fp_scanner_set_ports(s, argv[3]);
	if (ret == 0)
		ret = fp_scanner_run(s);
	if (ret < 0)
		fprintf(stderr, "pgo_train: %s (%s)\n", fp_scanner_error(s), fp_strerror(ret));
	else if (fp_scanner_stats(s, &st) == 0)
		fprintf(stderr, "pgo_train: %s %s: %llu sent, %llu valid replies\n", argv[2], argv[3],
			(unsigned long long)st.sent, (unsigned long long)st.valid);
	fp_scanner_free(s);
	if (close(fd) < 0 && ret == 0) {
		perror(argv[1]);
		ret = -1;
	}
	return ret < 0 ? 1 : 0;
}
