/* SPDX-License-Identifier: MIT */
/*
 * batch_scan - probes an explicit list of (address, port, protocol) with
 * fp_scan_batch() and prints one line per finding: "IP PORT/PROTO STATE
 * REASON", then the finding's threat_event_v1 JSON with -j instead.
 *
 *   batch_scan [-R] [-a] [-j] [-r RATE] TARGET...
 *
 * A TARGET is ADDR:PORT with an optional /tcp, /udp or /quic (default tcp);
 * IPv6 addresses go in brackets: [2001:2::1]:443/quic. -R permits the
 * benchmark and documentation ranges, -a reports every state (default: open
 * ones), -j prints the events' JSON, -r caps the rate (default 10000).
 *
 * Build:  cc -o batch_scan batch_scan.c $(pkg-config --cflags --libs fastport)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fastport.h>

static const char *const proto_names[] = { "tcp", "udp", "quic" };
static const char *const state_names[] = { "open", "closed", "filtered", "open|filtered" };

struct out {
	int json;
	unsigned long findings;
};

static int on_event(const fp_event_t *ev, void *userdata)
{
	struct out *o = userdata;

	if (ev->kind != FP_EVENT_PORT_STATE)
		return 0;
	if (o->json)
		printf("%.*s\n", (int)ev->json_len, ev->json);
	else
		printf("%s %u/%s %s %s\n", ev->ip, (unsigned)ev->port,
		       ev->protocol < 3 ? proto_names[ev->protocol] : "?",
		       (unsigned)ev->state < 4 ? state_names[ev->state] : "?", ev->reason);
	o->findings++;
	return 0;
}

/*
 * Splits "ADDR:PORT[/PROTO]" or "[ADDR6]:PORT[/PROTO]" in place (arg is a
 * copy the caller owns). t->ip points into arg, which must outlive the scan:
 * fp_scan_batch() reads the strings while it runs.
 */
static int parse_target(char *arg, fp_target_t *t)
{
	char *port, *proto, *end;
	unsigned long n;

	proto = strchr(arg, '/');
	t->protocol = FP_PROTO_TCP;
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "udp") == 0)
			t->protocol = FP_PROTO_UDP;
		else if (strcmp(proto, "quic") == 0)
			t->protocol = FP_PROTO_QUIC;
		else if (strcmp(proto, "tcp") != 0)
			return -1;
	}
	if (arg[0] == '[') {
		end = strchr(arg, ']');
		if (!end || end[1] != ':')
			return -1;
		*end = '\0';
		t->ip = arg + 1;
		port = end + 2;
	} else {
		port = strrchr(arg, ':');
		if (!port)
			return -1;
		*port++ = '\0';
		t->ip = arg;
	}
	n = strtoul(port, &end, 10);
	if (*port == '\0' || *end != '\0' || n > 65535)
		return -1;
	t->port = (uint16_t)n;
	return 0;
}

int main(int argc, char **argv)
{
	struct out o = { 0, 0 };
	fp_target_t *targets = NULL;
	char **copies = NULL;
	fp_scanner_t *s = NULL;
	fp_config_t cfg;
	char errbuf[512];
	uint32_t n = 0;
	int opt, ret = 2;

	fp_config_init(&cfg);
	while ((opt = getopt(argc, argv, "Rajr:")) != -1) {
		switch (opt) {
		case 'R':
			cfg.allow_reserved = 1;
			break;
		case 'a':
			cfg.states = FP_STATES_ALL;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'r':
			cfg.rate = strtoull(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	targets = calloc((size_t)(argc - optind), sizeof(*targets));
	copies = calloc((size_t)(argc - optind), sizeof(*copies));
	if (!targets || !copies) {
		fprintf(stderr, "batch_scan: out of memory\n");
		ret = 1;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		copies[n] = strdup(argv[i]);
		if (!copies[n]) {
			fprintf(stderr, "batch_scan: out of memory\n");
			ret = 1;
			goto out;
		}
		if (parse_target(copies[n], &targets[n]) < 0) {
			free(copies[n]);
			copies[n] = NULL;
			fprintf(stderr, "batch_scan: invalid target '%s'\n", argv[i]);
			goto out;
		}
		n++;
	}
	cfg.telemetry_ms = 0;
	cfg.wait_ms = 2000;
	cfg.on_event = on_event;
	cfg.userdata = &o;
	if (fp_scanner_new(&cfg, &s, errbuf, sizeof(errbuf)) < 0) {
		fprintf(stderr, "batch_scan: %s\n", errbuf);
		goto out;
	}
	ret = fp_scan_batch(s, targets, n);
	if (ret < 0) {
		fprintf(stderr, "batch_scan: %s (%s)\n", fp_scanner_error(s), fp_strerror(ret));
		ret = ret == FP_EINVAL ? 2 : 1;
	} else {
		fprintf(stderr, "batch_scan: %lu findings from %u targets\n", o.findings, n);
	}
out:
	fp_scanner_free(s);
	for (uint32_t i = 0; copies && i < n; i++)
		free(copies[i]);
	free(copies);
	free(targets);
	return ret;
usage:
	fprintf(stderr, "usage: batch_scan [-R] [-a] [-j] [-r RATE] ADDR:PORT[/tcp|udp|quic]...\n");
	return 2;
}
