#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Debug kernels for the test guests (issue 17): Debian's own kernel source
# (linux-source-6.1 from bookworm, linux-source-6.12 from bookworm-backports
# or -security), built with the kernel's memory and locking checkers.
#
#   tests/lib/debug-kernel.sh TAG...      TAG: 6.1-debug, 6.12-debug
#   tests/lib/debug-kernel.sh --config TAG...   unpack and configure only
#                                         (the check below), no build
#
# The configuration is the kernel's x86_64_defconfig, minus the subsystems
# no test guest has a use for (the guests boot an initramfs with no
# devices but the two serial ports and the PS/2 keyboard SysRq goes
# through), plus what the guests need and the checkers (the fragments
# below).  After olddefconfig every line of the fragments is looked up in
# .config: a wanted option that did not stick stops the build.
#
# Cache: $CACHE/debug/TAG/
#   src/                the build tree (fuse2pt.ko is built against it:
#                       make KDIR=.../src; same host gcc as the kernel)
#   root/boot/          vmlinuz-KVER, config-KVER
#   root/lib/modules/   the kernel's own modules (stripped), which the
#                       guest image takes ext4, loop and fuse (6.1) from
#   KVER, KEY           kernel release; the key of the finished build:
#                       source package version, fragments, RECIPE and
#                       the compiler; a build is redone only when the
#                       key changes
#   config.log          what merge_config and olddefconfig said
#   build.log, time     the last build's log and its wall time
# Builds run at nice 19 (the machine's cores are shared).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Part of the cache key: raise it when configure() or build_tree() change
# in a way that needs a new build (the fragments are in the key anyway).
RECIPE=1

# What the guests need.  Mirrors Debian's configuration where it matters
# to the tests (ext4, loop and 6.1's fuse are modules, 6.12's fuse is
# built in with passthrough, HZ 250).
FRAG_GUEST='
CONFIG_LOCALVERSION="-f2pdebug"
# CONFIG_LOCALVERSION_AUTO is not set
# CONFIG_WERROR is not set
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_ZSTD=y
CONFIG_DEVTMPFS=y
CONFIG_TMPFS=y
CONFIG_TMPFS_POSIX_ACL=y
CONFIG_TMPFS_XATTR=y
CONFIG_TMPFS_INODE64=y
CONFIG_FS_POSIX_ACL=y
CONFIG_EXT4_FS=m
CONFIG_EXT4_FS_POSIX_ACL=y
CONFIG_EXT4_FS_SECURITY=y
CONFIG_BLK_DEV_LOOP=m
# CONFIG_CUSE is not set
# CONFIG_VIRTIO_FS is not set
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_MAGIC_SYSRQ=y
CONFIG_SERIO_I8042=y
CONFIG_KEYBOARD_ATKBD=y
CONFIG_UNIX=y
CONFIG_INET=y
CONFIG_IPV6=y
CONFIG_UNIX98_PTYS=y
CONFIG_NAMESPACES=y
CONFIG_PID_NS=y
CONFIG_USER_NS=y
CONFIG_UTS_NS=y
CONFIG_IPC_NS=y
CONFIG_NET_NS=y
CONFIG_AIO=y
CONFIG_IO_URING=y
CONFIG_FHANDLE=y
CONFIG_EPOLL=y
CONFIG_SIGNALFD=y
CONFIG_TIMERFD=y
CONFIG_EVENTFD=y
CONFIG_INOTIFY_USER=y
CONFIG_FANOTIFY=y
CONFIG_FILE_LOCKING=y
CONFIG_SECCOMP=y
CONFIG_TRANSPARENT_HUGEPAGE=y
CONFIG_TRANSPARENT_HUGEPAGE_MADVISE=y
CONFIG_IKCONFIG=y
CONFIG_IKCONFIG_PROC=y
CONFIG_HZ_250=y
CONFIG_PREEMPT=y
CONFIG_SLUB=y
CONFIG_SLUB_DEBUG=y
CONFIG_PRINTK_TIME=y
CONFIG_KALLSYMS_ALL=y
CONFIG_STACKTRACE=y
# CONFIG_SECURITY_SELINUX is not set
# CONFIG_RANDOMIZE_BASE is not set
'
FRAG_GUEST_61='
CONFIG_FUSE_FS=m
'
FRAG_GUEST_612='
CONFIG_FUSE_FS=y
CONFIG_FUSE_PASSTHROUGH=y
'

# What x86_64_defconfig has and no guest uses (the big ones: i915 and
# the rest of DRM, sound, USB, wireless, netfilter, NFS, disks).
FRAG_TRIM='
# CONFIG_DRM is not set
# CONFIG_AGP is not set
# CONFIG_SOUND is not set
# CONFIG_USB_SUPPORT is not set
# CONFIG_HID is not set
# CONFIG_WIRELESS is not set
# CONFIG_WLAN is not set
# CONFIG_RFKILL is not set
# CONFIG_ETHERNET is not set
# CONFIG_NETFILTER is not set
# CONFIG_NET_SCHED is not set
# CONFIG_NET_9P is not set
# CONFIG_NETWORK_FILESYSTEMS is not set
# CONFIG_ATA is not set
# CONFIG_SCSI is not set
# CONFIG_MD is not set
# CONFIG_PCCARD is not set
# CONFIG_HIBERNATION is not set
# CONFIG_INPUT_JOYSTICK is not set
# CONFIG_INPUT_TABLET is not set
# CONFIG_INPUT_TOUCHSCREEN is not set
# CONFIG_INPUT_MISC is not set
# CONFIG_MACINTOSH_DRIVERS is not set
# CONFIG_ISO9660_FS is not set
# CONFIG_VFAT_FS is not set
# CONFIG_MSDOS_FS is not set
'

# The checkers.  Debug info is reduced (line numbers for
# scripts/decode_stacktrace.sh and addr2line, no types); KASAN is
# generic and inline (the fastest at run time, which TCG needs); lockdep's
# tables are larger than the default so that a whole suite's lock classes
# fit (a full table is a "BUG: MAX_LOCKDEP_..." that stops lockdep).
FRAG_DEBUG='
CONFIG_DEBUG_KERNEL=y
CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y
CONFIG_DEBUG_INFO_REDUCED=y
# CONFIG_DEBUG_INFO_BTF is not set
CONFIG_DEBUG_BUGVERBOSE=y
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_KASAN_VMALLOC=y
CONFIG_KFENCE=y
CONFIG_PROVE_LOCKING=y
CONFIG_PROVE_RCU=y
CONFIG_LOCKDEP_BITS=16
CONFIG_LOCKDEP_CHAINS_BITS=17
CONFIG_DEBUG_LIST=y
CONFIG_DEBUG_OBJECTS=y
CONFIG_DEBUG_OBJECTS_FREE=y
CONFIG_DEBUG_OBJECTS_TIMERS=y
CONFIG_DEBUG_OBJECTS_WORK=y
CONFIG_DEBUG_OBJECTS_RCU_HEAD=y
CONFIG_DEBUG_OBJECTS_ENABLE_DEFAULT=1
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_DETECT_HUNG_TASK=y
CONFIG_SOFTLOCKUP_DETECTOR=y
CONFIG_DEBUG_VM=y
CONFIG_SCHED_STACK_END_CHECK=y
CONFIG_UBSAN=y
CONFIG_UBSAN_BOUNDS=y
CONFIG_UBSAN_SHIFT=y
# CONFIG_DEBUG_PAGEALLOC is not set
# CONFIG_DEBUG_KMEMLEAK is not set
# CONFIG_PANIC_ON_OOPS is not set
# CONFIG_BUG_ON_DATA_CORRUPTION is not set
'

pkg_of() {	# TAG -> source package
	case $1 in
	6.1-debug)  echo linux-source-6.1 ;;
	6.12-debug) echo linux-source-6.12 ;;
	*) die "unknown debug kernel tag '$1' (6.1-debug, 6.12-debug)" ;;
	esac
}

fragment_of() {	# TAG -> the whole fragment
	printf '%s' "$FRAG_GUEST" "$FRAG_TRIM" "$FRAG_DEBUG"
	case $1 in
	6.1-debug)  printf '%s' "$FRAG_GUEST_61" ;;
	6.12-debug) printf '%s' "$FRAG_GUEST_612" ;;
	esac
}

# Install the source package if it is missing (6.12: whichever of
# bookworm-backports and bookworm-security apt picks; host-setup.sh adds
# bookworm-backports to apt's sources).
ensure_source() {	# PKG
	local pkg=$1
	if ! dpkg -s "$pkg" >/dev/null 2>&1 || [ ! -f "/usr/src/$pkg.tar.xz" ]; then
		log "installing $pkg"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"$pkg" >/dev/null || die "cannot install $pkg"
	fi
	local p missing=()
	for p in bc bison flex libelf-dev libssl-dev cpio xz-utils kmod; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]} (kernel build)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null || die "cannot install ${missing[*]}"
	fi
}

key_of() {	# TAG -> key of the build
	local pkg
	pkg=$(pkg_of "$1")
	{ echo "$pkg $(dpkg-query -W -f='${Version}' "$pkg")"
	  fragment_of "$1"
	  echo "recipe $RECIPE"
	  gcc --version | head -n1; } | sha256sum | cut -c1-16
}

# check_config FRAGMENT CONFIG: every line of the fragment holds in .config
check_config() {
	local frag=$1 cfg=$2 line sym bad=()
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$cfg" ||
				bad+=("wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$cfg" || echo "(absent)")")
			;;
		'# CONFIG_'*' is not set')
			sym=${line#\# }
			sym=${sym%% *}
			! grep -qE "^$sym=" "$cfg" ||
				bad+=("wanted $sym off, got: $(grep -E "^$sym=" "$cfg")")
			;;
		esac
	done <<< "$frag"
	if [ ${#bad[@]} -gt 0 ]; then
		log "!!!!!!!! $(basename "$cfg"): ${#bad[@]} wanted option(s) did not stick after olddefconfig:"
		printf '    %s\n' "${bad[@]}" >&2
		return 1
	fi
}

configure() {	# TREE FRAGMENT-FILE LOG
	local tree=$1 frag=$2 log=$3
	# (called in an || list: set -e does not hold here)
	make -C "$tree" -s defconfig > "$log" 2>&1 || return 1
	# the fragment's assignments override the defconfig's (the last
	# assignment of a symbol wins); olddefconfig settles the rest
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "$frag" >> "$log" 2>&1 ||
		return 1
	make -C "$tree" -s olddefconfig >> "$log" 2>&1 || return 1
	check_config "$(cat "$frag")" "$tree/.config"
}

build_tree() {	# TREE
	nice -n 19 make -C "$1" -j"$(nproc)" LOCALVERSION= bzImage modules
}

build_debug_kernel() {	# TAG [config]
	local tag=$1 only=${2:-} pkg dir key kver t0 tree root
	pkg=$(pkg_of "$tag")
	dir=$CACHE/debug/$tag
	mkdir -p "$dir"
	exec {lockfd}>>"$dir.lock"
	flock "$lockfd"
	ensure_source "$pkg"
	key=$(key_of "$tag")
	if [ "$(cat "$dir/KEY" 2>/dev/null)" = "$key" ] && [ -f "$dir/KVER" ] &&
	   [ -f "$dir/root/boot/vmlinuz-$(cat "$dir/KVER")" ]; then
		log "$tag: debug kernel $(cat "$dir/KVER") is up to date (key $key)"
		exec {lockfd}>&-
		return 0
	fi
	tree=$dir/src
	t0=$(date +%s)
	rm -f "$dir/KEY"
	# A tree configured under the same key is only built further (an
	# interrupted build goes on where it stopped); otherwise a fresh one.
	if [ "$(cat "$tree/.fuse2pt-key" 2>/dev/null)" != "$key" ]; then
		log "$tag: unpacking /usr/src/$pkg.tar.xz ($pkg $(dpkg-query -W -f='${Version}' "$pkg"))"
		rm -rf "$tree"
		mkdir -p "$tree"
		nice -n 19 tar -xJf "/usr/src/$pkg.tar.xz" -C "$tree" --strip-components=1
		fragment_of "$tag" > "$dir/config.fragment"
		log "$tag: configuring (x86_64_defconfig + $dir/config.fragment)"
		configure "$tree" "$dir/config.fragment" "$dir/config.log" ||
			die "$tag: the configuration does not have what the fragment asks for"
		echo "$key" > "$tree/.fuse2pt-key"
	fi
	if [ "$only" = config ]; then
		log "$tag: configured ($tree/.config), not built"
		exec {lockfd}>&-
		return 0
	fi
	log "$tag: building bzImage and modules at nice 19, -j$(nproc) (log $dir/build.log; an hour or more)"
	if ! build_tree "$tree" > "$dir/build.log" 2>&1; then
		grep -E -B2 -A5 '(error|Error)' "$dir/build.log" | head -n 40 >&2 || tail -n 40 "$dir/build.log" >&2
		die "$tag: kernel build failed (log $dir/build.log)"
	fi
	kver=$(make -C "$tree" -s LOCALVERSION= kernelrelease)
	root=$dir/root
	rm -rf "$root"
	mkdir -p "$root/boot"
	make -C "$tree" -s LOCALVERSION= INSTALL_MOD_PATH="$root" INSTALL_MOD_STRIP=1 \
		modules_install >> "$dir/build.log" 2>&1 || die "$tag: modules_install failed"
	rm -f "$root/lib/modules/$kver/build" "$root/lib/modules/$kver/source"
	cp "$tree/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$kver"
	cp "$tree/.config" "$root/boot/config-$kver"
	cp "$tree/System.map" "$root/boot/System.map-$kver"
	echo "$kver" > "$dir/KVER"
	echo "$(( $(date +%s) - t0 ))" > "$dir/time"
	echo "$key" > "$dir/KEY"
	log "$tag: debug kernel $kver built in $(( $(date +%s) - t0 ))s (tree $tree)"
	exec {lockfd}>&-
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	need_root
	only=
	[ "${1:-}" != --config ] || { only=config; shift; }
	[ $# -gt 0 ] || set -- 6.1-debug 6.12-debug
	for t in "$@"; do
		pkg_of "$t" >/dev/null
		build_debug_kernel "$t" $only
	done
fi
