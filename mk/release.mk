# SPDX-License-Identifier: MIT
# Release: the binary distribution, the reproducibility check, the Debian
# package and cross builds. docs/BUILDING.md describes each target.
#
#   make dist                 MODE=fast, CPU=$(DIST_CPU) into dist/fastport-<version>-<arch>/,
#                             then tests/release/verify-dist.sh checks it
#   make repro-check          two builds in two directories must be bit-identical
#   make deb                  dist/fastport_<version>_<debarch>.deb from the dist build
#   make CROSS=aarch64-linux-gnu- [MODE=...]   cross build into build/<mode>-aarch64/
#   make cross-unit CROSS=aarch64-linux-gnu-   ... and its unit tests under qemu-user
#
# The main Makefile computes its paths with := before this file is read, so
# every release build is a recursive make that sets BUILD, CC, AR and CPU on
# its command line (command-line values override the Makefile's own).

.PHONY: dist dist-build repro-check deb cross cross-unit cross-unit-run release-help

# Portable baseline for anything that leaves this machine: never native.
DIST_CPU ?= x86-64-v2
DIST_MODE := fast
DIST_BUILD := build/dist-$(DIST_MODE)
DIST_ARCH = $(shell $(CC) -dumpmachine 2>/dev/null | cut -d- -f1)
DIST_NAME = fastport-$(VERSION)-$(DIST_ARCH)
DIST_DIR = dist/$(DIST_NAME)
# Timestamps inside archives: the last commit's, so a rebuild gives the
# same tarball and the same .deb.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
DIST_MAKE = $(MAKE) --no-print-directory MODE=$(DIST_MODE) CPU=$(DIST_CPU) \
	BUILD=$(DIST_BUILD) REV=$(REV)

ifeq ($(DIST_CPU),native)
ifneq ($(filter dist deb,$(MAKECMDGOALS)),)
$(error DIST_CPU=native: a distribution must run on other machines; use x86-64-v2 or similar)
endif
endif

dist-build:
	+$(Q)$(DIST_MAKE) all

dist: dist-build
	$(call quiet,DIST,$(DIST_DIR))rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR)
	+$(Q)if grep -qs '^install:' mk/install.mk && [ -f docs/fastport.1 ] && \
		[ -f contrib/bash-completion/fastport ]; then \
		$(DIST_MAKE) install PREFIX= DESTDIR=$(CURDIR)/$(DIST_DIR) >/dev/null; \
	else \
		echo "  dist: make install not usable yet (mk/install.mk, docs/fastport.1 or the completion missing): staging directly"; \
	fi
	$(Q)SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) mk/release/stage-dist.sh $(DIST_BUILD) $(DIST_DIR) $(VERSION)
	$(Q)tests/release/verify-dist.sh $(DIST_DIR)

# Two builds of the same tree (and the same REV) in two directories.
REPRO_MODES ?= fast secure debug
repro-check:
	$(Q)tests/release/repro-check.sh '$(REV)' '$(REPRO_MODES)' '$(DIST_CPU)'

# The package is made from the dist build, staged like `make install` with
# PREFIX=/usr into the Debian multiarch library directory.
DEB_STAGE := build/deb/root
DEB_LIBDIR = /usr/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || $(CC) -print-multiarch)
deb: dist
	$(call quiet,DEB,$(DEB_STAGE))rm -rf $(DEB_STAGE) && mkdir -p $(DEB_STAGE)
	+$(Q)if grep -qs '^install:' mk/install.mk && [ -f docs/fastport.1 ] && \
		[ -f contrib/bash-completion/fastport ]; then \
		$(DIST_MAKE) install PREFIX=/usr LIBDIR=$(DEB_LIBDIR) DESTDIR=$(CURDIR)/$(DEB_STAGE) >/dev/null; \
	fi
	$(Q)SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) mk/release/build-deb.sh $(DIST_DIR) $(DEB_STAGE) $(VERSION) dist

# Cross builds: Debian's cross gcc (gcc-aarch64-linux-gnu) and gcc-ar, a
# build directory of its own so native build/<mode> is never touched.
ifdef CROSS
CROSS_ARCH := $(shell $(CROSS)gcc -dumpmachine 2>/dev/null | cut -d- -f1)
ifeq ($(CROSS_ARCH),)
$(error cross compiler '$(CROSS)gcc' not found (Debian: apt-get install gcc-$(CROSS:%-=%)))
endif
# Baseline CPU per architecture; -march=native means nothing for a target.
CROSS_CPU_aarch64 := armv8-a
CROSS_CPU_arm := armv7-a
CROSS_CPU_riscv64 := rv64gc
CROSS_CPU ?= $(or $(CROSS_CPU_$(CROSS_ARCH)),$(error no baseline CPU known for $(CROSS_ARCH): set CROSS_CPU))
# -fcf-protection is x86 only; arm64 has branch protection (PAC + BTI).
CROSS_HARDEN_aarch64 := -fcf-protection=none -mbranch-protection=standard
CROSS_EXTRA := $(if $(filter secure,$(MODE)),$(CROSS_HARDEN_$(CROSS_ARCH)))
CROSS_BUILD := build/$(MODE)-$(CROSS_ARCH)
QEMU ?= $(firstword $(shell command -v qemu-$(CROSS_ARCH) qemu-$(CROSS_ARCH)-static))
# The results store stays out of cross builds: Debian's libpq-dev is not
# co-installable across architectures (it is not Multi-Arch: same).
CROSS_MAKE = $(MAKE) --no-print-directory CROSS= CC=$(CROSS)gcc AR=$(CROSS)gcc-ar STORE=0 \
	CPU=$(CROSS_CPU) BUILD=$(CROSS_BUILD) EXTRA_CFLAGS='$(strip $(CROSS_EXTRA) $(EXTRA_CFLAGS))' \
	OBJCOPY=$(CROSS)objcopy QEMU=$(QEMU) CROSS_LIBDIR=/usr/$(CROSS:%-=%)/lib

# `make CROSS=...` means the cross build; goals of the native build would
# build native objects under the same command, so refuse them.
.DEFAULT_GOAL := cross
ifneq ($(filter all unit check-symbols lab demo,$(MAKECMDGOALS)),)
$(error with CROSS= the goals are cross (the default) and cross-unit; got '$(MAKECMDGOALS)')
endif

cross:
	+$(Q)$(CROSS_MAKE) all
cross-unit:
	+$(Q)$(CROSS_MAKE) cross-unit-run
else
cross cross-unit:
	$(error set CROSS, e.g. make $@ CROSS=aarch64-linux-gnu-)
endif

# Runs in the inner make (native variables replaced): each unit test under
# qemu-user through a small wrapper, so tests/unit/run stays the runner. The
# cross sanitizer runtimes live in /usr/<triplet>/lib; LeakSanitizer cannot
# stop the world under qemu-user, so leaks are left to the native debug run.
# qemu-user refuses prctl(PR_SET_SECCOMP) (a guest filter would apply to the
# emulator's own system calls), so the sandbox test runs natively only.
# UNIT_UNDER=qemu-user tells the runner which skips tests/unit/skips-allowed
# permits here.
# test_api_ports and test_checkpoint (connect scans with worker threads) and
# test_svc_conn (the service stage's epoll thread) hang under qemu-user 7.2
# as the first thread starts; they run natively in every mode and compiler.
QEMU_UNIT_SKIP ?= test_sandbox test_api_ports test_checkpoint test_svc_conn
QEMU_UNIT_BINS = $(filter-out $(QEMU_UNIT_SKIP:%=$(BUILD)/tests/%),$(UNIT_BINS))
cross-unit-run: $(QEMU_UNIT_BINS)
	$(if $(QEMU),,$(error qemu-user not found: apt-get install qemu-user))
	@mkdir -p $(BUILD)/qemu
	$(if $(filter-out $(QEMU_UNIT_BINS),$(UNIT_BINS)),@echo "  skipped under qemu-user (seccomp, threads): $(notdir $(filter-out $(QEMU_UNIT_BINS),$(UNIT_BINS)))")
	$(Q)for t in $(QEMU_UNIT_BINS); do w=$(BUILD)/qemu/$${t##*/}; \
		{ echo '#!/bin/sh'; \
		  echo 'ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=0} exec $(QEMU) -E LD_LIBRARY_PATH=$(CROSS_LIBDIR) $(CURDIR)/'"$$t"' "$$@"'; \
		} > $$w; chmod +x $$w; done
	$(Q)UNIT_UNDER=qemu-user tests/unit/run $(QEMU_UNIT_BINS:$(BUILD)/tests/%=$(BUILD)/qemu/%)

release-help:
	@echo 'release: dist [DIST_CPU=x86-64-v2], repro-check [REPRO_MODES=...], deb,'
	@echo '         CROSS=aarch64-linux-gnu- [cross|cross-unit] [MODE=...]'
