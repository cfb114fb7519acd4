# SPDX-License-Identifier: MIT
# Profile-guided optimisation of the fast mode, with gcc or clang (as root:
# the training scans run in a lab of network namespaces). docs/BUILDING.md,
# "Profile-guided optimisation", describes it.
#
#   make pgo [CC=gcc|clang] [BUILD=build/fast]   instrument, train, merge, rebuild, check
#   make pgo-use [CC=...] [BUILD=...]            rebuild from the profile already there
#
# Both stages build into the same $(BUILD), so the instrumented objects and
# the final ones have the same paths (gcc finds each object's .gcda by its
# path); the profile lives in $(PGO_DIR), under build/pgo/. The stages are
# recursive makes with PGO=instrument or PGO=use on their command line:
#
#   PGO=instrument  gcc: -fprofile-generate -fprofile-update=atomic (the scan is
#                   multi-threaded); clang: -fprofile-instr-generate and the same.
#                   Also builds the training driver $(PGO_DRIVER).
#   PGO=use         gcc: -fprofile-use -fprofile-partial-training -Werror=missing-profile
#                   -Werror=coverage-mismatch; clang: -fprofile-instr-use and
#                   -Werror=profile-instr-{unprofiled,missing,out-of-date}. Refused
#                   before anything is built when the profile is not there.
#
# `fastport --version` says which: "pgo: no", "pgo: instrumented" or "pgo: yes".

PGO ?=
PGO_CC := $(notdir $(firstword $(CC)))
PGO_DIR ?= build/pgo/$(notdir $(BUILD))-$(PGO_CC)
PGO_ABS := $(abspath $(PGO_DIR))
PGO_DRIVER := $(BUILD)/pgo/pgo_train
# clang's raw profiles are merged by the llvm-profdata of the same LLVM:
# the DSLLVM prefix's, else llvm-profdata-<clang major>, else llvm-profdata.
PGO_CLANG_MAJOR = $(firstword $(subst ., ,$(shell $(CC) -dumpversion 2>/dev/null)))
LLVM_PROFDATA ?= $(if $(DSLLVM),$(DSLLVM)/bin/llvm-profdata,$(firstword \
	$(shell command -v llvm-profdata-$(PGO_CLANG_MAJOR) llvm-profdata) llvm-profdata))
# clang: one merged file; gcc: one .gcda per object, in the directory.
PGO_PROFILE := $(if $(IS_CLANG),$(PGO_DIR)/fastport.profdata,$(PGO_DIR))

ifneq ($(PGO),)
ifneq ($(MODE),fast)
$(error PGO=$(PGO): profile-guided optimisation is for the fast mode (got MODE=$(MODE)))
endif
endif

ifeq ($(PGO),instrument)
PGO_STATE := instrumented
ifdef IS_CLANG
PGO_FLAGS := -fprofile-instr-generate=$(PGO_ABS)/%p.profraw -fprofile-update=atomic
else
PGO_FLAGS := -fprofile-generate=$(PGO_ABS) -fprofile-prefix-path=$(CURDIR) -fprofile-update=atomic
endif
else ifeq ($(PGO),use)
PGO_STATE := yes
ifdef IS_CLANG
ifeq ($(wildcard $(PGO_PROFILE)),)
$(error PGO=use: no profile $(PGO_PROFILE): run `make pgo$(if $(filter command line,$(origin CC)), CC=$(CC))` (training needs root))
endif
PGO_FLAGS := -fprofile-instr-use=$(PGO_ABS)/fastport.profdata -Werror=profile-instr-unprofiled \
	-Werror=profile-instr-missing -Werror=profile-instr-out-of-date
else
ifeq ($(wildcard $(PGO_DIR)/*.gcda),)
$(error PGO=use: no profile in $(PGO_DIR)/ (no .gcda files): run `make pgo$(if $(filter command line,$(origin CC)), CC=$(CC))` (training needs root))
endif
PGO_FLAGS := -fprofile-use=$(PGO_ABS) -fprofile-prefix-path=$(CURDIR) -fprofile-partial-training \
	-Werror=missing-profile -Werror=coverage-mismatch
endif
else ifeq ($(PGO),)
PGO_STATE := no
else
$(error PGO must be instrument or use (got '$(PGO)'); `make pgo` runs both)
endif

# The flags reach every compile and link line, and the flags file, so a
# change of stage rebuilds every object.
CFLAGS_ALL += $(PGO_FLAGS)

# The CLI prints the stage in `fastport --version` (the Makefile writes it
# into $(PGO_HDR) from PGO_STATE).

# The training driver: one library scan per run, linked like the program
# (the library's objects, whole-program LTO), no sandbox.
$(PGO_DRIVER): tests/lab/pgo_train.c $(LIB_OBJS) $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(call quiet,LD,$@)$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB_OBJS) $(LDFLAGS_ALL) $(EXE_LDFLAGS)

.PHONY: pgo pgo-use pgo-instrument
PGO_MAKE = $(MAKE) --no-print-directory MODE=fast BUILD=$(BUILD) PGO_DIR=$(PGO_DIR)

pgo-instrument: $(BIN) $(PGO_DRIVER)

pgo:
	$(if $(filter fast,$(MODE)),,$(error make pgo builds the fast mode (got MODE=$(MODE))))
	$(if $(filter 0,$(shell id -u)),,$(error make pgo trains on lab scans in network namespaces: run it as root))
	$(Q)rm -rf $(PGO_DIR)
	+$(Q)$(PGO_MAKE) PGO=instrument pgo-instrument
	$(call quiet,TRAIN,$(PGO_DIR))tests/lab/pgo-train train $(BUILD) $(PGO_DIR)
	$(if $(IS_CLANG),$(call quiet,MERGE,$(PGO_PROFILE))$(LLVM_PROFDATA) merge -o $(PGO_PROFILE) $(PGO_DIR)/*.profraw)
	+$(Q)$(PGO_MAKE) PGO=use all
	$(call quiet,CHECK,$(BIN))tests/lab/pgo-train check $(BUILD)

pgo-use:
	$(if $(filter fast,$(MODE)),,$(error make pgo-use builds the fast mode (got MODE=$(MODE))))
	+$(Q)$(PGO_MAKE) PGO=use all
