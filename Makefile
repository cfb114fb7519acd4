# SPDX-License-Identifier: MIT
# fastport - one plain GNU Makefile. `make help` lists the targets.

VERSION_MAJOR := 0
VERSION := 0.1.0
MODE ?= fast
CPU ?= native

ifeq ($(filter $(MODE),fast secure debug tsan),)
$(error MODE must be fast, secure, debug or tsan (got '$(MODE)'))
endif

# Toolchain: CC=gcc, CC=clang, or DSLLVM=/opt/dsllvm (its clang and lld).
ifdef DSLLVM
CC := $(DSLLVM)/bin/clang
AR := $(DSLLVM)/bin/llvm-ar
TOOL_LDFLAGS := -fuse-ld=lld
endif
ifeq ($(origin CC),default)
CC := cc
endif
COMPILER := $(shell $(CC) --version 2>/dev/null | head -n 1)
ifeq ($(COMPILER),)
$(error compiler '$(CC)' not found)
endif
IS_CLANG := $(if $(findstring clang,$(COMPILER)),1,)
ifndef DSLLVM
ifeq ($(origin AR),default)
AR := $(if $(IS_CLANG),$(shell command -v llvm-ar || echo ar),$(shell command -v gcc-ar || echo ar))
endif
endif

OBJCOPY ?= objcopy
REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
BUILD := build/$(MODE)
OBJ := $(BUILD)/obj

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Wpointer-arith -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif

BASE_CFLAGS := -std=gnu11 -pthread -fPIC -fvisibility=hidden -D_GNU_SOURCE \
	-Iinclude -Isrc -ffile-prefix-map=$(CURDIR)/= -ffile-prefix-map=$(CURDIR)=. \
	$(if $(IS_CLANG),,-frandom-seed=fastport) -MMD -MP
BASE_LDFLAGS := -pthread -Wl,--build-id=sha1 $(TOOL_LDFLAGS)

ifeq ($(MODE),fast)
LTO := $(if $(IS_CLANG),-flto=thin,-flto=auto -ffat-lto-objects)
MODE_CFLAGS := -O3 -march=$(CPU) $(LTO) -fno-plt
MODE_LDFLAGS := -O3 -march=$(CPU) $(LTO)
endif
ifeq ($(MODE),secure)
# The OpenSSF compiler-hardening baseline (gcc 12, clang 14), checked by
# `make MODE=secure verify-hardening` (mk/hardening.mk). clang 14 gives
# zero-initialisation only behind its opt-in flag.
AUTOINIT_OPTIN := -enable-trivial-auto-var-init-zero-knowing-it-will-be-removed-from-clang
AUTOINIT := -ftrivial-auto-var-init=zero $(if $(IS_CLANG),$(shell $(CC) -Werror $(AUTOINIT_OPTIN) \
	-ftrivial-auto-var-init=zero -E -x c /dev/null >/dev/null 2>&1 && echo $(AUTOINIT_OPTIN)))
# Runtime checks that trap (ud2) with no sanitizer runtime: array bounds
# and signed overflow. -fno-strict-overflow would imply -fwrapv, which
# makes signed overflow defined and so switches that check off (both
# compilers); we trap on it instead, and keep pointer arithmetic wrapping
# where the compiler has a flag for that alone (gcc -fwrapv-pointer).
UBTRAP := -fsanitize=bounds,signed-integer-overflow \
	$(if $(IS_CLANG),-fsanitize-trap=all,-fsanitize-undefined-trap-on-error -fwrapv-pointer)
MODE_CFLAGS := -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
	-fstack-clash-protection -fcf-protection=full $(AUTOINIT) $(UBTRAP) \
	-fno-delete-null-pointer-checks -Wformat=2 -Werror=format-security
MODE_LDFLAGS := -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--as-needed
# Objects stay -fPIC (they also make the shared library); PIE executables.
EXE_LDFLAGS := -pie
endif
ifeq ($(MODE),debug)
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
MODE_CFLAGS := -O1 -g -fno-omit-frame-pointer $(SAN) -U_FORTIFY_SOURCE
MODE_LDFLAGS := $(SAN)
endif

ifeq ($(MODE),tsan)
# ThreadSanitizer: data races between the sender, receiver and connect
# threads (tests/run-all runs the threaded tests under it, reports fatal).
# The CLI keeps its seccomp filter; SANDBOX_TSAN adds the two calls the
# runtime makes after the drop (src/cli/sandbox.c). Reports then cannot
# run a symbolizer: tests/tsan-symbolize names their frames.
MODE_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=thread -U_FORTIFY_SOURCE -DSANDBOX_TSAN
MODE_LDFLAGS := -fsanitize=thread
endif

CFLAGS_ALL := $(BASE_CFLAGS) $(MODE_CFLAGS) $(WARN) $(EXTRA_CFLAGS)
LDFLAGS_ALL := $(BASE_LDFLAGS) $(MODE_LDFLAGS) $(EXTRA_LDFLAGS)

# The service identification stage (src/service) needs PCRE2 and OpenSSL;
# they come last on every link line that takes the library's objects.
SVC_LDLIBS := -lpcre2-8 -lssl -lcrypto
LDFLAGS_ALL += $(SVC_LDLIBS)

LIB_SRCS := $(sort $(wildcard src/core/*.c src/net/*.c src/io/*.c src/probe/*.c \
	src/engine/*.c src/event/*.c src/service/*.c))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJ)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(OBJ)/%.o)
# The results store (mk/store.mk) is part of every build unless STORE=0.
STORE ?= 1
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
ifeq ($(STORE),0)
UNIT_SRCS := $(filter-out tests/unit/test_store_%,$(UNIT_SRCS))
endif
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

SONAME := libfastport.so.$(VERSION_MAJOR)
BIN := $(BUILD)/bin/fastport
SO := $(BUILD)/lib/$(SONAME)
STATIC := $(BUILD)/lib/libfastport.a
HDR := $(BUILD)/include/fastport.h

ifneq ($(V),1)
Q := @
# `make -s` prints nothing at all; otherwise one short line per step.
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
quiet =
else
quiet = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif
else
Q :=
quiet =
endif

.PHONY: all clean help unit test demo lab fuzz-build fuzz check-symbols
all: $(BIN) $(SO) $(STATIC) $(HDR)

# The build identity is a generated header that changes only when its
# content does, so a new revision rebuilds one object and nothing else.
GEN := $(BUILD)/gen/build_config.h
$(GEN): FORCE
	@mkdir -p $(@D)
	@printf '#define FP_BUILD_VERSION "%s"\n#define FP_BUILD_MODE "%s"\n#define FP_BUILD_REV "%s"\n#define FP_BUILD_COMPILER "%s"\n#define FP_BUILD_CPU "%s"\n' \
		'$(VERSION)' '$(MODE)' '$(REV)' '$(subst ",,$(COMPILER))' '$(CPU)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

# Objects depend on the flags they were built with, so a change of CC,
# CPU or EXTRA_CFLAGS rebuilds them.
FLAGS_FILE := $(BUILD)/flags
$(FLAGS_FILE): FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(OBJ)/src/core/build_info.o: $(GEN)
$(OBJ)/src/core/build_info.o: CFLAGS_ALL += -I$(BUILD)/gen

# `fastport --version` names the profile-guided stage: a header of the CLI's
# own, rewritten only when it changes, so a new revision still rebuilds
# only build_info.o. mk/pgo.mk sets PGO_STATE (no, instrumented or yes).
PGO_STATE ?= no
PGO_HDR := $(BUILD)/gen/build_pgo.h
$(PGO_HDR): FORCE
	@mkdir -p $(@D)
	@printf '#define FP_BUILD_PGO "%s"\n' '$(PGO_STATE)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(OBJ)/src/cli/main.o: $(PGO_HDR)
$(OBJ)/src/cli/main.o: CFLAGS_ALL += -I$(BUILD)/gen
# The probe database is built into the library (.incbin in db_embed.c).
$(OBJ)/src/service/db_embed.o: data/service-probes.db

$(OBJ)/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(CFLAGS_ALL) -c -o $@ $<

# The static library holds one relocatable object: the library's objects
# linked together (-r; in the fast mode with LTO, so the archive holds
# machine code for any compiler), whose hidden symbols are then made local,
# so that only the fp_ API stays global, as in the shared library
# (tests/check-symbols checks both). gcc compiles its LTO IR to machine code
# in this step (-flinker-output=nolto-rel); clang's ThinLTO does so in any
# -r link. No sanitizer runtime or build-id note goes into the object: the
# program that links it brings its own.
PARTIAL := $(OBJ)/libfastport.o
PARTIAL_FLAGS := $(filter-out $(SAN) -MMD -MP -pthread,$(CFLAGS_ALL)) $(TOOL_LDFLAGS) -r -nostdlib \
	-Wl,--build-id=none $(if $(and $(LTO),$(if $(IS_CLANG),,1)),-flinker-output=nolto-rel)
$(PARTIAL): $(LIB_OBJS) $(FLAGS_FILE)
	$(call quiet,LD,$@)$(CC) $(PARTIAL_FLAGS) -o $@ $(LIB_OBJS)
	$(Q)$(OBJCOPY) --localize-hidden $@

$(STATIC): $(PARTIAL)
	@mkdir -p $(@D)
	@rm -f $@
	$(call quiet,AR,$@)$(AR) rcsD $@ $<

# The unit tests and benchmarks that call internal functions link this
# archive of the plain objects instead (not installed; gcc's LTO IR is
# stripped, the objects are fat).
INTERNAL_A := $(OBJ)/libfastport-internal.a
$(INTERNAL_A): $(LIB_OBJS)
	@rm -f $@
	$(call quiet,AR,$@)$(AR) rcsD $@ $^
	$(if $(IS_CLANG),,$(Q)$(OBJCOPY) -D -R '.gnu.lto_*' -R '.gnu.debuglto_*' -N __gnu_lto_v1 -N __gnu_lto_slim $@)

$(SO): $(LIB_OBJS) src/fastport.map
	@mkdir -p $(@D)
	$(call quiet,LD,$@)$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/fastport.map \
		$(CFLAGS_ALL) -o $@ $(LIB_OBJS) $(LDFLAGS_ALL)
	$(Q)ln -sf $(SONAME) $(BUILD)/lib/libfastport.so

# The program links the library's objects directly (whole-program LTO);
# the archive's gcc LTO sections are stripped (they carry build paths).
# libseccomp and libcap serve the CLI's privilege drop (src/cli/sandbox.c)
# only: they go on the program's link line, never on the library's.
CLI_LDLIBS := -lseccomp -lcap
$(BIN): $(CLI_OBJS) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(call quiet,LD,$@)$(CC) $(CFLAGS_ALL) -o $@ $(CLI_OBJS) $(LIB_OBJS) $(LDFLAGS_ALL) $(EXE_LDFLAGS) $(CLI_LDLIBS)
	$(Q)touch $@

$(HDR): include/fastport.h
	@mkdir -p $(@D)
	$(Q)cp $< $@

# Unit tests: one program per file, linked with the library's internals.
$(BUILD)/tests/%: tests/unit/%.c $(INTERNAL_A) tests/unit/unit.h
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(INTERNAL_A) $(LDFLAGS_ALL) $(EXE_LDFLAGS) -lcmocka

unit: $(UNIT_BINS)
	$(Q)tests/unit/run $(UNIT_BINS)

check-symbols: $(SO) $(STATIC)
	$(Q)tests/check-symbols $(SO) $(STATIC)

# Fuzz harnesses (clang, libFuzzer): make fuzz FUZZ_SECONDS=N.
FUZZ_SECONDS ?= 10
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
ifeq ($(STORE),0)
FUZZ_SRCS := $(filter-out tests/fuzz/fuzz_store_%,$(FUZZ_SRCS))
endif
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Isrc -fsanitize=fuzzer,address,undefined -pthread
# The harnesses share one generated identity header, made once by its own
# rule (rewritten only when it changes), never by a harness's recipe: under
# -j two recipes would write it while a third compiles with it.
FUZZ_GEN := build/fuzz/gen/build_config.h
$(FUZZ_GEN): FORCE
	@mkdir -p $(@D)
	@printf '#define FP_BUILD_VERSION "%s"\n#define FP_BUILD_MODE "fuzz"\n#define FP_BUILD_REV "%s"\n#define FP_BUILD_COMPILER "clang"\n#define FP_BUILD_CPU "generic"\n' '$(VERSION)' '$(REV)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
build/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(FUZZ_GEN)
	@mkdir -p $(@D)
	$(call quiet,FUZZ,$@)$(FUZZ_CC) $(FUZZ_FLAGS) -I$(dir $(FUZZ_GEN)) -o $@ $< $(LIB_SRCS) $(SVC_LDLIBS)
build/fuzz/fuzz_config: src/cli/payload_arg.c src/cli/payload_arg.h
$(FUZZ_BINS): data/service-probes.db
fuzz-build: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BINS)

lab: all
	$(Q)tests/lab/run $(BUILD)

demo:
	$(Q)tools/install-deps demo
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/lab/demo $(BUILD)

test:
	$(Q)tools/install-deps test
	$(Q)tests/run-all

clean:
	rm -rf build dist

help:
	@echo 'make [MODE=fast|secure|debug|tsan] [CC=gcc|clang] [DSLLVM=/opt/dsllvm] [CPU=native|x86-64-v2]'
	@echo '     [EXTRA_CFLAGS=...] [EXTRA_LDFLAGS=...] [V=1] [WERROR=1]'
	@echo 'targets: all (default), unit, check-symbols, lab, fuzz, demo, test, clean,'
	@echo '         examples, install, uninstall, check-install (mk/install.mk),'
	@echo '         pgo, pgo-use (profile-guided fast build, mk/pgo.mk)'

# Further targets (release, packaging, benchmarks) live in mk/*.mk.
-include $(sort $(wildcard mk/*.mk))

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
