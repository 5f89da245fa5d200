# SPDX-License-Identifier: GPL-2.0
#
#   make                 build fuse2pt.ko for the running kernel
#   make KVER=6.1.0-xx-amd64   ... for another installed kernel
#   make KDIR=/path/to/build   ... for a kernel build/headers tree
#   make install / uninstall   put fuse2pt.ko in (take it out of) /lib/modules/$(KVER), depmod
#   make F2P_PROBES_OFF="F2P_HAVE_X ..."   ... as if the kernel lacked those (compat/probe.sh)
#   make check           the QEMU test suite, as CI runs it: whole on 6.1 and 7.3,
#                        its core cases on 5.10, 6.12 (bookworm-backports and trixie) and 7.2
#   make check-all       ... the whole suite on all six kernels
#   make check-ci        fuse2pt-ci (tools/fuse2pt-ci): its VM mode (tests/host/ci-tool.sh)
#                        and its host mode in guests (case 76, with the dkms-built
#                        module of case 70's host stage), on 6.1 and 7.3
#   make check-debug     ... on debug builds of Debian's 6.1 and 6.12 (KASAN, lockdep, ...)
#   make compile-all     W=1 builds against Debian's amd64 headers packages (tests/host/compile-all.sh)
#   make demo            passthrough shown: a libfuse server on stock fuse and fuse2pt in a VM
#   make bench           fio and metadata benchmarks in VMs (tests/bench/run.sh)
#   make walk            the README walk on a fresh Debian 12 VM (tests/host/readme-walk.sh)
#   make tools           mount.fuse2pt, fuse2pt-umount, fuse2pt-mount (tools/)
#   make deb             Debian source package and fuse2pt-dkms, fuse2pt-utils -> build/deb
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PROBES := include/generated/fuse2pt_probes.h

all: modules

# Without a headers tree, the goals that build stop with one line that
# says what to install.
ifneq ($(filter all modules sparse install,$(or $(MAKECMDGOALS),all)),)
ifeq ($(wildcard $(KDIR)/Makefile),)
ifeq ($(filter command line environment,$(origin KDIR)),)
$(error no kernel headers for $(KVER) in $(KDIR): install them (Debian: apt-get install linux-headers-$(KVER)), or name a tree with KVER= or KDIR=)
else
$(error KDIR=$(KDIR) is not a kernel build or headers tree (it has no Makefile); for an installed kernel use KVER=<release> and install linux-headers-<release>)
endif
endif
endif

# compat/probe.sh probes again whenever KDIR, the headers in it or compat/
# changed, and writes nothing when the headers cannot build a module.
$(PROBES): FORCE
	@F2P_PROBES_OFF="$(F2P_PROBES_OFF)" sh compat/probe.sh $(KDIR) $@

# Kernels older than the APIs used without a fallback are refused in one
# line (compat/probes/F2P_HAVE_BASE_APIS.c, compat/HISTORY.md).
BASE_CHECK = @grep -q '^F2P_HAVE_BASE_APIS := y' $(PROBES:.h=.mk) || \
	{ echo "fuse2pt needs Linux 5.10 or later; the headers in $(KDIR) are older (no inode_wrong_type(), IOCB_WAITQ or ->readahead; see compat/HISTORY.md)" >&2; exit 1; }

modules: $(PROBES)
	$(BASE_CHECK)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

sparse: $(PROBES)
	$(BASE_CHECK)
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER)

# modules_install puts it in extra/ (6.1) or updates/ (6.12, 7.3);
# updates/dkms/ is DKMS' and left alone.
uninstall:
	rm -f /lib/modules/$(KVER)/extra/fuse2pt.ko /lib/modules/$(KVER)/extra/fuse2pt.ko.* \
		/lib/modules/$(KVER)/updates/fuse2pt.ko /lib/modules/$(KVER)/updates/fuse2pt.ko.*
	depmod -a $(KVER)

clean:
	rm -rf include/generated
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || \
		rm -f src/*.o src/.*.cmd *.o *.ko *.mod *.mod.c .*.cmd Module.symvers modules.order

check:
	tests/run.sh

check-all:
	FUSE2PT_FULL=1 tests/run.sh

check-debug:
	tests/run.sh 6.1-debug 6.12-debug

check-ci:
	FUSE2PT_CI_TOOL=1 FUSE2PT_ONLY='@(70|76)-*' tests/run.sh 6.1 7.3

compile-all:
	tests/host/compile-all.sh

tools:
	$(MAKE) -C tools

deb:
	packaging/build-deb.sh

demo:
	tests/demo.sh

bench:
	tests/bench/run.sh

walk:
	tests/host/readme-walk.sh

.PHONY: all modules sparse install uninstall clean check check-all check-ci check-debug compile-all demo bench walk tools deb FORCE
