# SPDX-License-Identifier: MIT
# CET-marked startup objects for the secure build (src/crt). The linker marks
# an x86-64 executable or library compatible with Intel CET (IBT, SHSTK)
# only when every input object is; Debian's glibc ships its start files
# (Scrt1.o, crti.o, crtn.o) without that mark and without endbr64, so no
# program linked with them can carry it. On x86-64 with glibc 2.34 or later
# the secure build links its own start files instead (found first through
# -B) and makes the linker fail if any input still lacks the mark.
# CRT_CET=0 keeps the C library's start files.

CRT_TRIPLE := $(shell $(CC) -dumpmachine 2>/dev/null)
CRT_GLIBC_OK := $(shell v=$$(getconf GNU_LIBC_VERSION 2>/dev/null | cut -d' ' -f2); \
	[ -n "$$v" ] && printf '2.34\n%s\n' "$$v" | sort -V -C && echo 1)
ifeq ($(MODE)$(if $(filter x86_64-%-gnu,$(CRT_TRIPLE)),x86)$(CRT_GLIBC_OK),securex861)
CRT_CET ?= 1
else
CRT_CET ?= 0
endif

CRT_DIR := $(BUILD)/crt
CRT_OBJS := $(CRT_DIR)/Scrt1.o $(CRT_DIR)/crti.o $(CRT_DIR)/crtn.o

ifeq ($(CRT_CET),1)
LDFLAGS_ALL += -B$(CRT_DIR)/ -Wl,-z,cet-report=error
$(BIN) $(SO) $(UNIT_BINS): $(CRT_OBJS)
endif

CRT_ASFLAGS = -fcf-protection=full -Isrc/crt -ffile-prefix-map=$(CURDIR)/= -ffile-prefix-map=$(CURDIR)=.
$(CRT_DIR)/Scrt1.o: src/crt/Scrt1.S src/crt/cet-note.h
	@mkdir -p $(@D)
	$(call quiet,AS,$<)$(CC) $(CRT_ASFLAGS) -c -o $@ $<
$(CRT_DIR)/crti.o $(CRT_DIR)/crtn.o: src/crt/initfini.S src/crt/cet-note.h
	@mkdir -p $(@D)
	$(call quiet,AS,$<)$(CC) $(CRT_ASFLAGS) -c -o $@ $<
