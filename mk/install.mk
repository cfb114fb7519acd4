# SPDX-License-Identifier: MIT
# Installation, pkg-config, and the C API examples.
#
#   make install [PREFIX=/usr/local] [DESTDIR=/stage] [LIBDIR=...]
#   make uninstall [PREFIX=...] [DESTDIR=...]
#   make examples          examples/*.c against build/$(MODE), run from there
#   make check-install     install into a temporary DESTDIR, build the
#                          examples there with pkg-config, uninstall

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install

# fastport.pc is generated for the PREFIX/LIBDIR/INCLUDEDIR in force and
# rewritten only when its content changes. Paths under PREFIX are written
# relative to ${prefix}, so pkg-config --define-prefix can relocate them.
PC := $(BUILD)/pkgconfig/fastport.pc
pc_rel = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
$(PC): fastport.pc.in FORCE
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_rel,$(LIBDIR))|' \
		-e 's|@INCLUDEDIR@|$(call pc_rel,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
		$< > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

INSTALLED := $(BINDIR)/fastport $(LIBDIR)/$(SONAME) $(LIBDIR)/libfastport.so \
	$(LIBDIR)/libfastport.a $(INCLUDEDIR)/fastport.h $(PKGCONFIGDIR)/fastport.pc \
	$(MANDIR)/man1/fastport.1 $(BASHCOMPDIR)/fastport

.PHONY: install uninstall examples check-install
install: $(BIN) $(SO) $(STATIC) $(PC)
	$(call quiet,INSTALL,$(DESTDIR)$(PREFIX))$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR)
	$(Q)$(INSTALL) -m 755 $(BIN) $(DESTDIR)$(BINDIR)/fastport
	$(Q)$(INSTALL) -m 755 $(SO) $(DESTDIR)$(LIBDIR)/$(SONAME)
	$(Q)ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libfastport.so
	$(Q)$(INSTALL) -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libfastport.a
	$(Q)$(INSTALL) -m 644 include/fastport.h $(DESTDIR)$(INCLUDEDIR)/fastport.h
	$(Q)$(INSTALL) -m 644 $(PC) $(DESTDIR)$(PKGCONFIGDIR)/fastport.pc
	$(Q)$(INSTALL) -m 644 docs/fastport.1 $(DESTDIR)$(MANDIR)/man1/fastport.1
	$(Q)$(INSTALL) -m 644 contrib/bash-completion/fastport $(DESTDIR)$(BASHCOMPDIR)/fastport

uninstall:
	$(call quiet,RM,$(DESTDIR)$(PREFIX))rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# The examples are plain API users: only the public header and the shared
# library, strict warnings, found next to the binary through a relative
# rpath. Debug builds carry the sanitizers, so their users must too.
EXAMPLE_SRCS := $(sort $(wildcard examples/*.c))
EXAMPLE_BINS := $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/examples/%)
EXAMPLE_SAN := $(if $(filter debug,$(MODE)),$(SAN) -g)
EXAMPLE_CFLAGS := -std=c11 -O2 -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla $(if $(filter 1,$(WERROR)),-Werror) \
	$(EXAMPLE_SAN)

$(BUILD)/examples/%: examples/%.c $(SO) $(HDR)
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC) $(EXAMPLE_CFLAGS) -I$(BUILD)/include -o $@ $< \
		-L$(BUILD)/lib -lfastport -Wl,-rpath,'$$ORIGIN/../lib' $(TOOL_LDFLAGS)

examples: $(EXAMPLE_BINS)

check-install: $(BIN) $(SO) $(STATIC) $(HDR)
	$(Q)tests/check-install '$(CC)' '$(strip $(EXAMPLE_CFLAGS))' $(MAKE) MODE=$(MODE)
