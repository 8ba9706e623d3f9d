# memleakbpf — build, install dependencies, test, demo, benchmark.
#
#   make deps    install the Debian packages the build and tests need
#                (= make build-deps, what make and make static need, + make test-deps)
#   make         build ./memleakbpf
#   make static  build ./memleakbpf-static, no shared library at all
#   make image   the container image (Containerfile, podman or buildah)
#   make install PREFIX=/usr/local DESTDIR=  binary, man page, systemd unit
#   make demo    deps + build + trace the bundled leaking demo for a few reports
#   make test    deps + build + unit, fuzz, integration and sanitizer tests (root)
#   make bench   deps + build + overhead benchmark (ratios)
#   make bench-cost  deps + build + the tracer's own RSS and report CPU time

CLANG    ?= clang
BPFTOOL  ?= bpftool
LLVM_STRIP ?= llvm-strip
CC       ?= cc
CFLAGS   ?= -O2 -g -Wall -Wextra -Wno-unused-parameter
ARCH     := x86

OUT      := build
# The tracer's BPF side: one file per concern (allocator probes, sampled
# mode, mapping calls, OOM, process following, the unwinder...), each
# compiled on its own and linked into one object, one skeleton.
# shared.bpf.c, which defines the maps the others declare extern, goes
# first: libbpf's linker (1.1, and upstream still) takes a map's offset in
# the BTF from the first file naming it, wrong when that is an extern
# (bpftool gen skeleton then fails: "map relo failed to find map").
BPF_SRCS := bpf/shared.bpf.c $(sort $(filter-out bpf/shared.bpf.c bpf/aggregate.bpf.c bpf/pidns.bpf.c,\
	$(wildcard bpf/*.bpf.c)))
BPF_HDRS := $(wildcard bpf/*.h)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_OBJ  := $(OUT)/memleak.bpf.o
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf
SKEL     := $(OUT)/memleak.skel.h
# In-kernel aggregation for age-filtered reports: its own object, so that a
# kernel refusing it leaves the tracer working (user/collect/aggregate.c).
AGG_OBJ  := $(OUT)/aggregate.bpf.o
AGG_SKEL := $(OUT)/aggregate.skel.h
# Host pids of the processes a tracer in another pid namespace names: its
# own object, loaded only there (user/procs/pidns.c).
PIDNS_OBJ  := $(OUT)/pidns.bpf.o
PIDNS_SKEL := $(OUT)/pidns.skel.h

# user/: main.c and the event loop on top, one directory per stage of the
# data flow (README "Source map").
# user/serve/no_tls.c goes into the static build only (see there).
USER_SRCS := $(filter-out user/main.c user/serve/no_tls.c,$(shell find user -name '*.c'))
USER_HDRS := $(shell find user -name '*.h')
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS)) $(OUT)/profile.pb-c.o \
	$(OUT)/report_html.o
LIB       := $(OUT)/libmemleak.a

INCLUDES := -Ibpf -Iuser -I$(OUT)
LDLIBS   := -lbpf -ldw -lelf -lz -lprotobuf-c -lmicrohttpd -lpthread -lstdc++ -lm

# Capstone is not linked: probe placement loads it by soname only while it
# places probes (user/probes/probe_place.c), keeping its tables out of the RSS.
CAPSTONE_SONAME = $(shell readelf -d "$$($(CC) -print-file-name=libcapstone.so)" 2>/dev/null | \
	sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

# lib*.c are shared libraries for the targets, not programs.
# alloc_direct.c is built once per allocator it calls directly.
TARGET_SRCS := $(filter-out tests/targets/lib%.c tests/targets/alloc_direct.c,\
	$(wildcard tests/targets/*.c))
TARGET_BINS := $(patsubst tests/targets/%.c,$(OUT)/targets/%,$(TARGET_SRCS)) \
	$(OUT)/targets/libleakshared.so $(OUT)/targets/libcraftedcfi.so \
	$(OUT)/targets/libcrafteddies.so $(OUT)/targets/libcraftedlines.so \
	$(OUT)/targets/static_leak_stripped \
	$(OUT)/targets/leak_exact_musl $(OUT)/targets/cxx_leak $(OUT)/targets/cxx_leak_jemalloc \
	$(OUT)/targets/leak_exact_musl_dynamic $(OUT)/targets/alloc_direct_mimalloc \
	$(OUT)/targets/alloc_direct_tcmalloc $(OUT)/targets/prefixed_jemalloc_my \
	$(OUT)/targets/jemalloc_extended $(OUT)/targets/growth_leak_static_stripped \
	$(OUT)/targets/leak_exact_debuglink

# ---------------------------------------------------------------- dependencies
# Split so that building the tracer does not pull what only the tests run
# (Chromium, a JDK, redis...: ~2 GiB).  BUILD_PKGS also has the static
# archives make static links (libbpf.a, libdw.a, libcapstone.a, ...: the
# -dev packages ship them; liblzma-dev and libbz2-dev for libdw's).
BUILD_PKGS := clang llvm libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev liblzma-dev \
	libbz2-dev libcapstone-dev libprotobuf-c-dev protobuf-c-compiler pkg-config make gcc g++ \
	xxd binutils libmicrohttpd-dev
TEST_PKGS := libcmocka-dev jq musl-tools libjemalloc2 libjemalloc-dev util-linux golang-go \
	chromium tmux python3 libtcmalloc-minimal4 libgoogle-perftools-dev libmimalloc2.0 \
	libmimalloc-dev redis-server redis-tools libc6-dbg openjdk-17-jdk-headless \
	python3-yaml groff-base man-db systemd libcap2-bin prometheus curl python3.11 \
	python3.11-dbg php8.2-cli php8.2-fpm php8.2-dev nginx libnginx-mod-http-lua
# make image only (not part of deps: the tests check the image's root
# filesystem, make image-rootfs, without a container engine).
IMAGE_PKGS := buildah
DEBIAN_PKGS := $(BUILD_PKGS) $(TEST_PKGS)

# install_missing PACKAGES: apt-get install those not installed yet.
define install_missing
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef
# ------------------------------------------------------------ end dependencies

.PHONY: all deps build-deps test-deps image-deps demo test unit integration bench bench-cost \
	clean static image image-rootfs install k8s-schema-check

all: memleakbpf

deps: build-deps test-deps

build-deps:
	$(call install_missing,$(BUILD_PKGS))

test-deps:
	$(call install_missing,$(TEST_PKGS))

image-deps:
	$(call install_missing,$(IMAGE_PKGS))

$(OUT):
	mkdir -p $(OUT) $(OUT)/tests $(OUT)/targets

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) vmlinux/vmlinux.h | $(OUT)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# libbpf's static linker resolves each file's externs to the one definition
# (bpf/shared.bpf.h) and leaves DWARF out (BTF kept).
$(BPF_OBJ): $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name memleak_bpf > $@.tmp && mv $@.tmp $@

# DWARF stripped (BTF kept): vmlinux.h's would add 600 KiB to the binary.
$(AGG_OBJ): bpf/aggregate.bpf.c $(BPF_HDRS) vmlinux/vmlinux.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(LLVM_STRIP) -g $@

$(AGG_SKEL): $(AGG_OBJ)
	$(BPFTOOL) gen skeleton $< name aggregate_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/user/collect/aggregate.o: $(AGG_SKEL) bpf/aggregate_types.h

$(PIDNS_OBJ): bpf/pidns.bpf.c $(BPF_HDRS) vmlinux/vmlinux.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(LLVM_STRIP) -g $@

$(PIDNS_SKEL): $(PIDNS_OBJ)
	$(BPFTOOL) gen skeleton $< name pidns_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/user/procs/pidns.o: $(PIDNS_SKEL)

$(OUT)/user/%.o: user/%.c $(USER_HDRS) bpf/memleak.h $(SKEL) | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

# ---------------------------------------------------------------- version
# --version: VERSION and git describe, baked into cli/version.o only;
# build/build_version.h is rewritten only when they change.
VERSION      ?= 0.9.0
GIT_DESCRIBE := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

$(OUT)/build_version.h: FORCE | $(OUT)
	@printf '#define MEMLEAKBPF_VERSION "%s"\n#define MEMLEAKBPF_GIT "%s"\n' \
		'$(VERSION)' '$(GIT_DESCRIBE)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(OUT)/user/cli/version.o: $(OUT)/build_version.h

.PHONY: FORCE
FORCE:
# ------------------------------------------------------------ end version

$(OUT)/user/probes/probe_place.o: override CFLAGS += $(if $(CAPSTONE_SONAME),-DCAPSTONE_SONAME='"$(CAPSTONE_SONAME)"')

# The pprof encoder, generated from proto/profile.proto.
$(OUT)/profile.pb-c.c $(OUT)/profile.pb-c.h: proto/profile.proto | $(OUT)
	protoc-c --c_out=$(OUT) --proto_path=proto $<

$(OUT)/profile.pb-c.o: $(OUT)/profile.pb-c.c $(OUT)/profile.pb-c.h
	$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(OUT)/user/out/render_pprof.o: $(OUT)/profile.pb-c.h

# The --html page template, embedded as a byte array (user/out/html/).
$(OUT)/report_html.c: user/out/html/report.html | $(OUT)
	cd user/out/html && xxd -i report.html > ../../../$@.tmp && mv ../../../$@.tmp ../../../$@

$(OUT)/report_html.o: $(OUT)/report_html.c
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(USER_OBJS)
	rm -f $@ && ar rcs $@ $^

memleakbpf: $(OUT)/user/main.o $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# ---------------------------------------------------------------- static build
# One executable that needs nothing from the filesystem but /proc and /sys:
# copied into a debug pod, a scratch image or an empty chroot, it runs.
# The same objects as ./memleakbpf but probe_place.o, which links capstone
# in instead of loading it (the archive's copy is then never pulled).
# pkg-config --static names what each static library needs in turn
# (libdw: lzma, bz2, z; newer elfutils add zstd), whatever the release.
# Static glibc: the tracer calls no NSS function (getpwnam, getaddrinfo...)
# nor dlopen, the parts that would need the shared glibc at run time.
# libmicrohttpd (--listen) without GnuTLS: Debian's libmicrohttpd.a needs
# it, but GnuTLS's p11-kit and libunistring ship no static archive, and the
# tracer never asks for TLS: user/serve/no_tls.c stands in for it.
STATIC_PKGS   := libbpf libdw libelf libprotobuf-c capstone zlib
STATIC_LDLIBS  = $(shell pkg-config --static --libs $(STATIC_PKGS)) -l:libmicrohttpd.a \
	-lpthread -lstdc++ -lm
STATIC_PLACE  := $(OUT)/static/probe_place.o
STATIC_HTTP   := $(OUT)/static/no_tls.o

$(STATIC_HTTP): user/serve/no_tls.c | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(STATIC_PLACE): user/probes/probe_place.c $(USER_HDRS) | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INCLUDES) -DCAPSTONE_LINKED -c $< -o $@

memleakbpf-static: $(OUT)/user/main.o $(STATIC_PLACE) $(STATIC_HTTP) $(LIB)
	$(CC) $(CFLAGS) -static -o $@ $^ $(STATIC_LDLIBS)
	@if readelf -d $@ 2>/dev/null | grep -q NEEDED; then \
		echo "$@: still has dynamic dependencies" >&2; rm -f $@; exit 1; fi

static: memleakbpf-static
# ------------------------------------------------------------ end static build

# ---------------------------------------------------------------- image
# build/image-rootfs is the image's whole filesystem: the static binary
# (stripped) and an empty /tmp and output directory.  The Containerfile
# copies it as is, so tests run the image's contents from a chroot of
# this directory where no container may run (make image-rootfs).
ROOTFS      := $(OUT)/image-rootfs
IMAGE       ?= memleakbpf:$(VERSION)
IMAGE_TOOL  ?= $(firstword $(shell command -v buildah podman 2>/dev/null))

image-rootfs: memleakbpf-static
	rm -rf $(ROOTFS)
	install -d -m 755 $(ROOTFS)/usr/local/sbin $(ROOTFS)/proc $(ROOTFS)/sys
	install -d -m 1777 $(ROOTFS)/tmp
	install -d -m 750 $(ROOTFS)/var/log/memleakbpf
	strip -s -o $(ROOTFS)/usr/local/sbin/memleakbpf memleakbpf-static

image: image-rootfs
	@[ -n "$(IMAGE_TOOL)" ] || { echo "make image needs buildah or podman (make image-deps)" >&2; exit 1; }
	$(IMAGE_TOOL) $(if $(findstring buildah,$(IMAGE_TOOL)),bud,build) --layers=false \
		-f Containerfile -t $(IMAGE) $(ROOTFS)

# The manifests against the Kubernetes API schemas (kubernetes-models from
# npm, pinned in dist/k8s/schema): needs node and npm, and the npm registry
# once; not part of make test (test_packaging.sh checks the fields itself).
K8S_SCHEMA := $(OUT)/k8s-schema

k8s-schema-check:
	mkdir -p $(K8S_SCHEMA)
	cp dist/k8s/schema/package.json dist/k8s/schema/check.mjs $(K8S_SCHEMA)/
	cd $(K8S_SCHEMA) && npm install --no-audit --no-fund --silent
	for f in dist/k8s/*.yaml; do \
		python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' $$f | \
			node $(K8S_SCHEMA)/check.mjs $$f || exit 1; \
	done
# ------------------------------------------------------------ end image

# ---------------------------------------------------------------- install
# make install [PREFIX=/usr/local] [DESTDIR=]: the binary (the dynamic one;
# BINARY=memleakbpf-static for the other), its man page, and the systemd
# unit with ExecStart pointing at where the binary went.
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/memleakbpf
UNITDIR     ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/systemd/system,/etc/systemd/system)
BINARY      ?= memleakbpf

install: $(BINARY)
	install -D -m 755 $(BINARY) $(DESTDIR)$(SBINDIR)/memleakbpf
	install -D -m 644 doc/memleakbpf.8 $(DESTDIR)$(MANDIR)/man8/memleakbpf.8
	install -D -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's#/usr/local/sbin/memleakbpf#$(SBINDIR)/memleakbpf#g' \
	    -e 's#/usr/local/share/doc/memleakbpf#$(DOCDIR)#g' \
		dist/memleakbpf.service > $(DESTDIR)$(UNITDIR)/memleakbpf.service
	chmod 644 $(DESTDIR)$(UNITDIR)/memleakbpf.service
# ------------------------------------------------------------ end install

# Unit tests: cmocka, linked against the user-space library.
$(OUT)/tests/%: tests/unit/%.c $(LIB) | $(OUT)
	$(CC) $(CFLAGS) $(INCLUDES) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

# The PHP offsets table against the engine's own headers (php8.2-dev).
PHP_INCLUDES = $(shell php-config8.2 --includes 2>/dev/null)
$(OUT)/tests/test_php_offsets: tests/unit/test_php_offsets.c $(LIB) | $(OUT)
	@[ -n "$(PHP_INCLUDES)" ] || { echo "$@ needs php8.2-dev (make test-deps)" >&2; exit 1; }
	$(CC) $(CFLAGS) -D_GNU_SOURCE $(INCLUDES) $(PHP_INCLUDES) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

# The age filter's sums, in the kernel against the user-space walk (root).
$(OUT)/bench/aggbench: bench/aggbench.c $(LIB) | $(OUT)
	mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INCLUDES) -o $@ $< $(LIB) $(LDLIBS)

# Test targets: frame pointers and debug info so exact stacks and lines are known.
$(OUT)/targets/%: tests/targets/%.c tests/targets/target_util.h | $(OUT)
	$(CC) -O0 -g -fno-omit-frame-pointer -o $@ $< $(TARGET_LDLIBS_$*)

# A leak inside a shared library: linked by shared_leak, dlopen'ed by dlopen_leak.
$(OUT)/targets/libleakshared.so: tests/targets/libleakshared.c | $(OUT)
	$(CC) -O0 -g -fno-omit-frame-pointer -shared -fPIC -o $@ $<
$(OUT)/targets/shared_leak: $(OUT)/targets/libleakshared.so
# The same with CFI that costs libdw gigabytes (hostile tests).
$(OUT)/targets/libcraftedcfi.so: tests/targets/libcraftedcfi.c | $(OUT)
	$(CC) -O0 -g -fno-omit-frame-pointer -shared -fPIC -o $@ $<
# The same with hand-written DWARF that crashes or swamps libdw (hostile tests).
$(OUT)/targets/libcrafteddies.so: tests/targets/libcrafteddwarf.c tests/targets/crafted_deep_dies.S | $(OUT)
	$(CC) -O0 -g0 -fno-omit-frame-pointer -shared -fPIC -o $@ $^
$(OUT)/targets/libcraftedlines.so: tests/targets/libcrafteddwarf.c tests/targets/crafted_line_bomb.S | $(OUT)
	$(CC) -O0 -g0 -fno-omit-frame-pointer -shared -fPIC -Wa,--compress-debug-sections=zlib \
		-Wl,--compress-debug-sections=zlib -o $@ $^
TARGET_LDLIBS_shared_leak := -L$(OUT)/targets -lleakshared -Wl,-rpath,'$$ORIGIN'
TARGET_LDLIBS_jemalloc_leak := -ljemalloc
TARGET_LDLIBS_static_leak := -static
TARGET_LDLIBS_luajit_nostate := -ldl
# No symbol table at all: no allocator can be found in it.
# A C++ leak through new[], with libstdc++'s operators and with jemalloc's.
$(OUT)/targets/cxx_leak: tests/targets/cxx_leak.cc | $(OUT)
	$(CXX) -O0 -g -fno-omit-frame-pointer -o $@ $<

$(OUT)/targets/cxx_leak_jemalloc: tests/targets/cxx_leak.cc | $(OUT)
	$(CXX) -O0 -g -fno-omit-frame-pointer -o $@ $< -ljemalloc

# The same leak built static against musl (an Alpine-like allocator).
$(OUT)/targets/leak_exact_musl: tests/targets/leak_exact.c tests/targets/target_util.h | $(OUT)
	musl-gcc -static -O0 -g -fno-omit-frame-pointer -o $@ $<

# The same leak, dynamic against musl: its libc is /lib/ld-musl-x86_64.so.1.
$(OUT)/targets/leak_exact_musl_dynamic: tests/targets/leak_exact.c tests/targets/target_util.h | $(OUT)
	musl-gcc -O0 -g -fno-omit-frame-pointer -o $@ $<

# An allocator's own API next to the standard names (one address, several names).
$(OUT)/targets/alloc_direct_mimalloc: tests/targets/alloc_direct.c tests/targets/target_util.h | $(OUT)
	$(CC) -O0 -g -fno-omit-frame-pointer -DDIRECT_MIMALLOC -o $@ $< -lmimalloc
$(OUT)/targets/alloc_direct_tcmalloc: tests/targets/alloc_direct.c tests/targets/target_util.h | $(OUT)
	$(CC) -O0 -g -fno-omit-frame-pointer -DDIRECT_TCMALLOC -o $@ $< -ltcmalloc_minimal

# jemalloc linked into the executable with its API renamed PREFIX_ (what
# --with-jemalloc-prefix builds), made from Debian's PIC archive.
JEMALLOC_PIC := /usr/lib/x86_64-linux-gnu/libjemalloc_pic.a
JEMALLOC_API := malloc calloc realloc free posix_memalign aligned_alloc memalign valloc \
	mallocx rallocx xallocx sallocx dallocx sdallocx nallocx mallctl mallctlnametomib \
	mallctlbymib malloc_stats_print malloc_usable_size
$(OUT)/targets/libjemalloc_%.a: $(JEMALLOC_PIC) | $(OUT)
	for f in $(JEMALLOC_API); do echo "$$f $*_$$f"; done > $@.map
	objcopy --redefine-syms=$@.map $< $@
$(OUT)/targets/prefixed_jemalloc: tests/targets/prefixed_jemalloc.c tests/targets/target_util.h \
		$(OUT)/targets/libjemalloc_je.a
	$(CC) -O0 -g -fno-omit-frame-pointer -DPREFIX=je_ -o $@ $< $(OUT)/targets/libjemalloc_je.a \
		-lpthread -ldl -lm
$(OUT)/targets/prefixed_jemalloc_my: tests/targets/prefixed_jemalloc.c tests/targets/target_util.h \
		$(OUT)/targets/libjemalloc_my.a
	$(CC) -O0 -g -fno-omit-frame-pointer -DPREFIX=my_ -o $@ $< $(OUT)/targets/libjemalloc_my.a \
		-lpthread -ldl -lm

# The same calls unprefixed, to Debian's shared libjemalloc.so.2.
$(OUT)/targets/jemalloc_extended: tests/targets/prefixed_jemalloc.c tests/targets/target_util.h | $(OUT)
	$(CC) -O0 -g -fno-omit-frame-pointer -DPREFIX= -o $@ $< -ljemalloc

# Built like distribution code: optimized, no frame pointers (stack unwinding).
$(OUT)/targets/deep_nofp: tests/targets/deep_nofp.c tests/targets/target_util.h | $(OUT)
	$(CC) -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls -o $@ $<

$(OUT)/targets/static_leak_stripped: $(OUT)/targets/static_leak
	strip -s -o $@ $<

# A steady leak in a static program without symbols: no mmap/brk wrapper
# to probe, so growth mode falls back to the syscall tracepoints.
$(OUT)/targets/growth_leak_static_stripped: tests/targets/growth_leak.c tests/targets/target_util.h | $(OUT)
	$(CC) -O0 -g -fno-omit-frame-pointer -static -o $@.full $<
	strip -s -o $@ $@.full

# Stripped like a distribution's binary: its symbols and DWARF are in a
# debug file in .debug/ beside it, named by .gnu_debuglink.
$(OUT)/targets/leak_exact_debuglink: $(OUT)/targets/leak_exact
	mkdir -p $(OUT)/targets/.debug
	objcopy --only-keep-debug $< $(OUT)/targets/.debug/leak_exact_debuglink.debug
	strip -s -o $@ $<
	objcopy --add-gnu-debuglink=$(OUT)/targets/.debug/leak_exact_debuglink.debug $@

demo/leaky: demo/leaky.c
	$(CC) -O1 -g -fno-omit-frame-pointer -o $@ $<

demo: deps
	@$(MAKE) --no-print-directory memleakbpf demo/leaky
	./memleakbpf 3

unit: $(UNIT_BINS)
	@bash tests/run_unit.sh $(UNIT_BINS)

integration: memleakbpf memleakbpf-static image-rootfs $(TARGET_BINS) demo/leaky
	@bash tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory all memleakbpf-static image-rootfs $(UNIT_BINS) $(TARGET_BINS) \
		demo/leaky fuzz-build sanitize
	@FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) bash tests/run_all.sh $(UNIT_BINS)

bench: deps
	@$(MAKE) --no-print-directory memleakbpf
	@bash bench/run.sh

bench-cost: deps
	@$(MAKE) --no-print-directory memleakbpf
	@bash bench/cost.sh

# ---------------------------------------------------------------- fuzzing and sanitizers
# (tests/fuzz/, README "Fuzzing")
#   make fuzz        build the libFuzzer harnesses, run each FUZZ_SECONDS (60),
#                    FUZZ_JOBS (2) at a time; fails on any crash, leak, UB, timeout
#   make sanitize    build/asan/memleakbpf: the tracer under ASan+UBSan+LSan
#   make sanitize-test  the integration suite's core tests with it (root)
# The library is compiled again with clang for each: the harnesses need
# coverage instrumentation (fuzzer-no-link), the tracer only the checks.
TEST_PKGS += clang-14 libclang-rt-14-dev
FUZZ_OUT  := $(OUT)/fuzz
ASAN_OUT  := $(OUT)/asan
SAN_CHECKS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g -Wall -Wextra -Wno-unused-parameter $(SAN_CHECKS) -fsanitize=fuzzer-no-link
ASAN_CFLAGS := -O1 -g -Wall -Wextra -Wno-unused-parameter $(SAN_CHECKS)
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
# What `make test` gives them: about a minute of fuzzing on 2 cores (the suite stays under 15 min).
TEST_FUZZ_SECONDS ?= 15
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_NAMES))
# Generated headers every user/ object may include.
GEN_HDRS := $(SKEL) $(AGG_SKEL) $(OUT)/profile.pb-c.h $(OUT)/build_version.h

$(FUZZ_OUT)/user/%.o: user/%.c $(USER_HDRS) bpf/memleak.h $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $(SAN_DEFS) $(INCLUDES) -c $< -o $@

$(ASAN_OUT)/user/%.o: user/%.c $(USER_HDRS) bpf/memleak.h $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(ASAN_CFLAGS) $(SAN_DEFS) $(INCLUDES) -c $< -o $@

$(FUZZ_OUT)/user/probes/probe_place.o $(ASAN_OUT)/user/probes/probe_place.o: \
	SAN_DEFS := $(if $(CAPSTONE_SONAME),-DCAPSTONE_SONAME='"$(CAPSTONE_SONAME)"')

# The generated pprof encoder and page template need no checks of their own.
$(FUZZ_OUT)/libmemleak.a: $(patsubst user/%.c,$(FUZZ_OUT)/user/%.o,$(USER_SRCS)) \
		$(OUT)/profile.pb-c.o $(OUT)/report_html.o
	rm -f $@ && ar rcs $@ $^

$(ASAN_OUT)/libmemleak.a: $(patsubst user/%.c,$(ASAN_OUT)/user/%.o,$(USER_SRCS)) \
		$(OUT)/profile.pb-c.o $(OUT)/report_html.o
	rm -f $@ && ar rcs $@ $^

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_OUT)/libmemleak.a
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(INCLUDES) -o $@ $< $(FUZZ_OUT)/libmemleak.a \
		$(LDLIBS)

$(ASAN_OUT)/memleakbpf: $(ASAN_OUT)/user/main.o $(ASAN_OUT)/libmemleak.a
	$(CLANG) $(ASAN_CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: fuzz fuzz-build sanitize sanitize-test
fuzz-build: $(FUZZ_BINS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) bash tests/fuzz/run.sh $(FUZZ_NAMES)

sanitize: $(ASAN_OUT)/memleakbpf

sanitize-test: sanitize $(TARGET_BINS) demo/leaky
	@bash tests/fuzz/sanitize_core.sh
# ---------------------------------------------------------------- end of fuzzing and sanitizers

clean:
	rm -rf $(OUT) memleakbpf memleakbpf-static demo/leaky
