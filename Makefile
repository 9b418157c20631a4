# SPDX-License-Identifier: GPL-2.0
#
# gfx_pool: build, run and test the overlay on Debian's linux-source-6.12.
#
#   make run     build the kernel, boot it under QEMU, print the benchmark
#   make test    every test: KUnit on 2M and 1G direct maps, the debug
#                build, the user-space selftests; ends "N passed, N failed"
#   make bench   the benchmark at several sizes and domains
#   make profile where the bench rows' time goes in the guest kernel
#   make stress  10 minutes of random traffic on 4 vCPUs, suspend cycles
#                in the middle; the pool must end whole
#   make test-rt the KUnit suites and selftests on a PREEMPT_RT kernel
#   make check   checkpatch --strict, kernel-doc -Wall, W=1 build
#   make deb     an installable linux-image package (bindeb-pkg), booted
#                under QEMU to prove it
#   make patches the git-am series with a cover letter, in build/patches/;
#                make bisect builds the kernel after each of its patches
#
# Everything happens under build/ (git-ignored); a second run is
# incremental. Packages are installed with apt-get when missing.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec

REPO := $(CURDIR)
BUILD := $(REPO)/build
KSRC := $(BUILD)/linux-source-6.12
KUNIT_DIR := $(BUILD)/kunit
DEBUG_DIR := $(BUILD)/kunit-debug
RT_DIR := $(BUILD)/kunit-rt
T := $(REPO)/tools/testing/gfx_pool
JOBS ?= $(shell nproc)

# The stages of `make test`; see tools/testing/gfx_pool/test.sh. The debug
# kernel's stages run in two lanes at once ("a,b+c,d"): each guest keeps
# about one core busy.
TEST_STAGES ?= params 2m nopat efi 1g 1g-shared numa off kselftest lend grow-only init-on sleep \
	drm drm-hibernate vfio hibernate \
	inject,debug-hibernate+debug,debug-stress,kdump

# `make stress`: how long, in seconds.
STRESS_SECONDS ?= 600

# What `make run` and `make bench` pass to the guest.
RUN_POOL ?= 256M
RUN_ARGS ?= -n,32768,-d,wc,-d,uc,-r,5,-P
BENCH_ARGS ?= -n,512,-n,4096,-n,32768,-d,wc,-d,uc,-d,np,-r,5,-c,25,-z,-f
# make profile: rows long enough for a hundred samples or more each.
PROFILE_ARGS ?= -n,32768,-d,wc,-r,40

DEB_PACKAGES := linux-source-6.12 qemu-system-x86 gcc make libc6-dev flex \
	bison bc libelf-dev libssl-dev cpio busybox-static ccache python3 \
	xz-utils perl libcap-dev libnuma-dev bash-static ovmf

BENCH_PACKAGES := gnuplot-nox
# make check: coccicheck (coccinelle, whose scripts need the OCaml
# compiler) and sparse.
CHECK_PACKAGES := coccinelle ocaml-nox sparse
# make patches: checkpatch's SPDX check (scripts/spdxcheck.py) needs both.
PATCHES_PACKAGES := python3-ply python3-git
# make deb: what the kernel's bindeb-pkg needs on top of DEB_PACKAGES.
DEB_BUILD_PACKAGES := dpkg-dev debhelper kmod rsync

KUNIT_PY := python3 $(KSRC)/tools/testing/kunit/kunit.py
KCONFIGS := --kunitconfig=$(REPO)/mm/gfx_pool/.kunitconfig \
	--kunitconfig=$(T)/guest.config
KBUILD_OPTS := --arch=x86_64 --jobs=$(JOBS) --make_options CC="ccache gcc"

SELFTESTS := gfx_pool-tests gfx_pool-bench gfx_pool-stress gfx_pool-fuzz \
	gfx_pool-kdump
PROGRAMS := $(addprefix $(BUILD)/bin/,$(SELFTESTS))

.PHONY: all run bench profile bench-deps check-deps deb deb-deps patches patches-deps bisect test \
	test-rt stress check deps tree kernel debug-kernel rt-kernel uapi initramfs clean

all: run

# --- Set-up -----------------------------------------------------------------

DEPS_STAMP ?= $(BUILD)/.deps

deps: $(DEPS_STAMP)

$(DEPS_STAMP): Makefile
	@mkdir -p $(BUILD)
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "  APT    $$missing"; \
		if [ "$$(id -u)" != 0 ]; then \
			echo "need root to install:$$missing" >&2; exit 1; \
		fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing \
			> $(BUILD)/apt.log 2>&1 || { tail -n 20 $(BUILD)/apt.log; exit 1; }; \
	fi
	@touch $@

tree: deps
	@$(T)/prepare-tree.sh $(REPO) $(KSRC)

# --- Kernels ----------------------------------------------------------------

# kunit_build <build dir> <log> <more kunit.py options>: one KUnit kernel
# of the overlay's configuration; on failure, its errors and the log's end.
define kunit_build
	@echo "  KERNEL $(1) (log: $(2))"
	@cd $(KSRC) && $(KUNIT_PY) build $(KBUILD_OPTS) --build_dir=$(1) \
		$(KCONFIGS) $(3) > $(2) 2>&1 || \
		{ grep -E 'error|warning|ERROR' $(2) | head -n 30; \
		  tail -n 20 $(2); exit 1; }
endef

kernel: tree
	$(call kunit_build,$(KUNIT_DIR),$(BUILD)/kernel.log,)

debug-kernel: tree
	$(call kunit_build,$(DEBUG_DIR),$(BUILD)/kernel-debug.log,--kunitconfig=$(T)/debug.config)

# PREEMPT_RT with lockdep: make test-rt.
rt-kernel: tree
	$(call kunit_build,$(RT_DIR),$(BUILD)/kernel-rt.log,--kunitconfig=$(T)/rt.config)

# --- Guest user space -------------------------------------------------------

# The kernel's UAPI headers, as kselftest builds against them
# (<drm/drm.h> is in no Debian package the build installs).
UAPI := $(BUILD)/hdr/usr/include

uapi: tree
	@cd $(KSRC) && $(MAKE) -s ARCH=x86_64 O=$(BUILD)/hdr headers

$(BUILD)/bin/%: tree uapi
	@mkdir -p $(BUILD)/bin
	@gcc -static -pthread -O2 -Wall -Werror -isystem $(UAPI) -o $@.tmp \
		$(KSRC)/tools/testing/selftests/mm/$*.c && mv $@.tmp $@

# gfx_pool-tests as kselftest builds it, through the mm Makefile (patch
# 0015) with its own flags; static, for the busybox guest. The guest also
# gets run_vmtests.sh and a static bash to run it (the kselftest stage).
$(BUILD)/bin/gfx_pool-tests: tree uapi
	@mkdir -p $(BUILD)/bin
	@$(MAKE) -s -C $(KSRC)/tools/testing/selftests/mm OUTPUT=$(BUILD)/bin \
		KHDR_INCLUDES="-isystem $(UAPI)" EXTRA_CFLAGS="-static -Werror" \
		$(BUILD)/bin/gfx_pool-tests

initramfs: $(PROGRAMS)
	@$(T)/mkinitramfs.sh $(BUILD)/initramfs.cpio $(T)/init $(PROGRAMS) \
		$(KSRC)/tools/testing/selftests/mm/run_vmtests.sh /bin/bash-static

# --- What users run ---------------------------------------------------------

# The headline rows in two boots (the pool, and gfx_pool=0 for TTM's
# own path), the ratios, and last the splits line. The pool's debugfs and
# meminfo lines are in build/run-default.log.
run: kernel initramfs
	@GFX_POOL_BENCH_NAME=run $(T)/bench.sh $(BUILD) $(KUNIT_DIR)/arch/x86/boot/bzImage \
		$(BUILD)/initramfs.cpio $(RUN_POOL) $(RUN_ARGS) default no-pool

bench: kernel initramfs bench-deps
	@$(T)/bench.sh $(BUILD) $(KUNIT_DIR)/arch/x86/boot/bzImage \
		$(BUILD)/initramfs.cpio $(RUN_POOL) $(BENCH_ARGS) --plot \
		default warm cpu-max no-pool scale ttm frag frag-stock sizes

# Where the rows' time goes in the guest kernel: a sampling profile per
# row, through QEMU's monitor (tools/testing/gfx_pool/profile.py says what
# it can and cannot show). PROFILE_ARGS are gfx_pool-bench's; the report
# is also in build/profile.txt, the guest's log in build/profile-guest.log.
# PROFILE_DETAIL=<function>,... counts those functions' samples by offset.
profile: kernel initramfs
	@python3 $(T)/profile.py $(KUNIT_DIR)/arch/x86/boot/bzImage \
		$(BUILD)/initramfs.cpio $(KUNIT_DIR)/System.map $(RUN_POOL) \
		$(PROFILE_ARGS) $(BUILD)/profile.txt

# <target>-deps: the packages only `make <target>` needs, installed as
# deps installs DEB_PACKAGES (gnuplot draws build/bench.svg).
bench-deps: EXTRA_PACKAGES = $(BENCH_PACKAGES)
check-deps: EXTRA_PACKAGES = $(CHECK_PACKAGES)
patches-deps: EXTRA_PACKAGES = $(PATCHES_PACKAGES)
deb-deps: EXTRA_PACKAGES = $(DEB_BUILD_PACKAGES)
bench-deps check-deps patches-deps deb-deps: deps
	@$(MAKE) -s deps DEB_PACKAGES="$(EXTRA_PACKAGES)" DEPS_STAMP=$(BUILD)/.$@

# The debug kernel is built by test.sh, in the background while the plain
# kernel's stages boot, and only when a stage needs it.
test: kernel initramfs
	@GFX_POOL_DEBUG_BUILD="$(MAKE) -s -C $(REPO) debug-kernel" \
		$(T)/test.sh $(BUILD) $(KSRC) $(TEST_STAGES)

# Not part of `make test`: a third kernel, PREEMPT_RT with lockdep (about
# 5 minutes to build with ccache warm, 9 minutes of CPU without), booted
# with the KUnit suites and the selftests (the rt stage of test.sh).
test-rt: tree initramfs
	@GFX_POOL_RT_BUILD="$(MAKE) -s -C $(REPO) rt-kernel" \
		$(T)/test.sh $(BUILD) $(KSRC) rt

# Not part of `make test`: it takes STRESS_SECONDS (600) on its own. Its
# 60-second version under the debug kernel is the debug-stress stage.
stress: kernel initramfs
	@GFX_POOL_STRESS_SECONDS=$(STRESS_SECONDS) $(T)/test.sh $(BUILD) $(KSRC) stress

# Not part of `make test` either: x86_64_defconfig plus the pool and TTM's
# drivers as modules, packaged by bindeb-pkg into build/deb/, then booted
# under QEMU. See "make deb" in the README for what it costs.
deb: tree deb-deps $(BUILD)/bin/gfx_pool-bench
	@$(T)/deb.sh $(REPO) $(KSRC) $(BUILD)/deb $(JOBS)

# The series reviewers get, cut from the prepared tree as
# patches/series.d/ says; see tools/testing/gfx_pool/series.py.
TARBALL ?= /usr/src/linux-source-6.12.tar.xz

SERIES := python3 $(T)/series.py $(REPO) $(KSRC) $(TARBALL) $(BUILD)/series \
	$(BUILD)/patches

patches: tree patches-deps
	@$(SERIES)

# Long: the kernel built after every patch of the series, in the test
# kernel's configuration and with the pool off.
bisect: patches kernel
	@$(T)/bisect.sh $(BUILD)/series $(KUNIT_DIR)/.config $(BUILD)/bisect $(JOBS)

# --- Style ------------------------------------------------------------------

# checkpatch, kernel-doc and W=1 in three configurations; silent when clean.
# The series is made and checked first, as make patches does (git am,
# checkpatch), but quietly.
check: kernel check-deps patches-deps
	@GFX_POOL_QUIET=1 $(SERIES)
	@$(T)/check.sh $(REPO) $(KSRC) $(BUILD)

clean:
	rm -rf $(BUILD)/kunit $(BUILD)/kunit-debug $(BUILD)/check-* $(BUILD)/bin \
		$(BUILD)/initramfs.cpio $(BUILD)/*.log
