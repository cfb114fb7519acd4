# SPDX-License-Identifier: MIT
# Benchmarks: fastport and its peers (masscan, zmap, nmap, trafgen) side by
# side in one run, inside lab namespaces (root). Writes docs/BENCHMARKS.md
# and docs/bench-*.png; raw results in build/bench/results.jsonl.
#
#   make bench [BENCH_RUNS=3]              medians of BENCH_RUNS runs
#   make bench BENCH_RUNS=1 BENCH_QUICK=1  smoke test with smaller sizes
#   make bench BENCH_ROWS="loss"           only the rows named (tables printed,
#                                          docs left as they are)
#
# Not part of `make test`: figures, never timed assertions.

BENCH_RUNS ?= 3
BENCH_QUICK ?= 0
BENCH_ROWS ?=

.PHONY: bench
bench: all $(INTERNAL_A)
	$(Q)BENCH_RUNS=$(BENCH_RUNS) BENCH_QUICK=$(BENCH_QUICK) BENCH_ROWS="$(BENCH_ROWS)" bench/run $(BUILD)
