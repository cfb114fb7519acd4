# SPDX-License-Identifier: MIT
# Benchmarks: fastport and its peers (masscan, zmap, nmap, trafgen) side by
# side in one run, inside lab namespaces (root). Writes docs/BENCHMARKS.md
# and docs/bench-*.png; raw results in build/bench/results.jsonl.
#
#   make bench [BENCH_RUNS=3]              medians of BENCH_RUNS runs
#   make bench BENCH_RUNS=1 BENCH_QUICK=1  smoke test with smaller sizes
#
# Not part of `make test`: figures, never timed assertions.

BENCH_RUNS ?= 3
BENCH_QUICK ?= 0

.PHONY: bench
bench: all $(INTERNAL_A)
	$(Q)BENCH_RUNS=$(BENCH_RUNS) BENCH_QUICK=$(BENCH_QUICK) bench/run $(BUILD)
