# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Booting stock Debian kernels under QEMU.  Source after common.sh.
#
#   vm_accel                 -> "kvm" or "tcg" (probed once per machine, cached)
#   vm_boot VMLINUZ IMG DIR TIMEOUT [APPEND...]
#                            boots IMG as initramfs; DIR/console.log gets
#                            ttyS0, DIR/results.log ttyS1; returns qemu's
#                            status (124 when the host-side timeout hit);
#                            with VM_STALL set, a guest whose console
#                            stays silent that long is asked for its
#                            stacks (DIR/stall.txt) and, the second time,
#                            stopped
# FUSE2PT_ACCEL=kvm|tcg overrides the probe.  FUSE2PT_ACCEL=icount is TCG
# with instruction counting (-icount shift=2,sleep=off: the guest's clock
# advances 4 ns per instruction executed, and jumps over idle time), one
# vCPU, one host thread: what the guest measures in its own time is then
# the work it did, whatever else the host runs (make bench's deterministic
# mode; one vCPU keeps the instruction stream, and so the clock, one
# sequence).

VM_MEM=${FUSE2PT_VM_MEM:-2G}
VM_SMP=${FUSE2PT_VM_SMP:-2}
[ "${FUSE2PT_ACCEL:-}" = icount ] && VM_SMP=1
# TCG: one host thread per vCPU (multi), or one for all of them (single:
# for guests side by side, which must not have more vCPU threads than the
# host has cores, or a vCPU spinning on a lock another one holds while
# descheduled makes every guest several times slower)
VM_TCG_THREAD=${VM_TCG_THREAD:-multi}

vm_accel_args() {
	case $1 in
	kvm) echo "-accel kvm -cpu host" ;;
	icount) echo "-accel tcg,thread=single -icount shift=2,sleep=off -cpu max" ;;
	*)   echo "-accel tcg,thread=$VM_TCG_THREAD -cpu max" ;;
	esac
}

# Boot a probe initramfs (static /init printing a marker) under KVM with a
# short timeout.  Stock kernels hang under the paravirtual KVM of some
# hosts; only a kernel that really reaches userspace counts.
vm_probe_kvm() {
	local vmlinuz=$1 d
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	d=$(mktemp -d)
	mkdir -p "$d/root/dev"
	gcc -static -Os -o "$d/root/init" "$TOP/tests/lib/probe-init.c" || { rm -rf "$d"; return 1; }
	mknod "$d/root/dev/console" c 5 1 2>/dev/null || true
	(cd "$d/root" && find . | cpio -o -H newc --quiet) > "$d/probe.cpio"
	timeout -k 5 "${FUSE2PT_KVM_PROBE_TIMEOUT:-25}" \
		qemu-system-x86_64 -accel kvm -cpu host -m 512M -smp 1 \
		-kernel "$vmlinuz" -initrd "$d/probe.cpio" \
		-append "console=ttyS0 panic=-1 rdinit=/init" \
		-display none -no-reboot -nic none -monitor none \
		-serial "file:$d/console.log" >/dev/null 2>&1 || true
	if grep -q FUSE2PT-PROBE-OK "$d/console.log" 2>/dev/null; then
		rm -rf "$d"; return 0
	fi
	rm -rf "$d"; return 1
}

vm_accel() {
	local key file vmlinuz
	if [ -n "${FUSE2PT_ACCEL:-}" ]; then echo "$FUSE2PT_ACCEL"; return; fi
	key=$( { grep -m1 'model name' /proc/cpuinfo; hostname; uname -r
		 qemu-system-x86_64 --version | head -n1; } | sha256sum | cut -c1-12)
	file=$CACHE/accel-$key
	if [ -s "$file" ]; then cat "$file"; return; fi
	vmlinuz=$(ls "$CACHE"/kernels/6.1/root/boot/vmlinuz-* 2>/dev/null | head -n1)
	[ -n "$vmlinuz" ] || { echo tcg; return; }
	log "probing whether stock kernels boot under KVM (once per machine, <= 25 s)"
	if vm_probe_kvm "$vmlinuz"; then echo kvm > "$file"; else echo tcg > "$file"; fi
	log "accelerator: $(cat "$file") (cached in $file)"
	cat "$file"
}

vm_boot() {
	local vmlinuz=$1 img=$2 dir=$3 tmo=$4 accel rc=0 qpid grace=0
	local size=0 last=0 quiet=0 dumps=0
	shift 4
	accel=$(vm_accel)
	mkdir -p "$dir"
	: > "$dir/console.log"; : > "$dir/results.log"
	rm -f "$dir/stall.txt" "$dir/mon.in" "$dir/mon.out"
	mkfifo "$dir/mon.in" "$dir/mon.out"
	# An Oops or a soft lockup panics the guest, and panic=-1 with
	# -no-reboot ends qemu: a broken kernel ends its run at once (its
	# report is on the console) instead of waiting out the timeout.
	# shellcheck disable=SC2046
	timeout -k 10 "$tmo" qemu-system-x86_64 $(vm_accel_args "$accel") \
		-m "$VM_MEM" -smp "$VM_SMP" \
		-kernel "$vmlinuz" -initrd "$img" \
		-append "console=ttyS0 panic=-1 oops=panic softlockup_panic=1 rdinit=/init loglevel=${VM_LOGLEVEL:-6} sysrq_always_enabled ${VM_SLUB_DEBUG-slub_debug=FZP} $*" \
		-display none -no-reboot -nic none -monitor "pipe:$dir/mon" \
		-serial "file:$dir/console.log" -serial "file:$dir/results.log" \
		> "$dir/qemu.log" 2>&1 &
	qpid=$!
	while kill -0 "$qpid" 2>/dev/null; do
		# A guest whose kernel broke may never manage to power off: once
		# it has reported ALL-DONE, give it 20 s, then stop it.
		if grep -q '^ALL-DONE' "$dir/results.log" 2>/dev/null; then
			grace=$((grace + 1))
			if [ $grace -gt 20 ]; then
				log "guest reported ALL-DONE but did not power off; stopping qemu"
				echo "fuse2pt: guest did not power off after ALL-DONE" >> "$dir/qemu.log"
				kill "$qpid" 2>/dev/null
				break
			fi
		fi
		# The guest's runner writes to the console at least once a
		# minute while a case runs.  A console silent for VM_STALL
		# seconds means the guest itself is stuck: ask its kernel for
		# stacks; after the second time, stop it.
		size=$(stat -c %s "$dir/console.log" 2>/dev/null || echo 0)
		if [ "$size" != "$last" ]; then
			last=$size
			quiet=0
		else
			quiet=$((quiet + 1))
		fi
		if [ "$VM_STALL" -gt 0 ] && [ $quiet -ge "$VM_STALL" ]; then
			dumps=$((dumps + 1))
			quiet=0
			vm_stall_dump "$dir" "$dumps"
			if [ $dumps -ge 2 ]; then
				log "guest stalled: stopping qemu (stacks in $dir/console.log, registers in $dir/stall.txt)"
				kill "$qpid" 2>/dev/null
				break
			fi
		fi
		sleep 1
	done
	wait "$qpid" || rc=$?
	rm -f "$dir/mon.in" "$dir/mon.out"
	return $rc
}

# Console silence (seconds) that counts as a stalled guest; 0: no watch
# (tests/run.sh sets it: its guest runner writes to the console at least
# once a minute).
VM_STALL=${VM_STALL:-0}

# vm_stall_dump DIR N: through the QEMU monitor, have the guest kernel
# print its blocked tasks and every CPU's backtrace to the console
# (magic SysRq w and l on the emulated keyboard; the command line has
# sysrq_always_enabled), and keep the vCPU registers in DIR/stall.txt.
vm_stall_dump() {
	local dir=$1 n=$2
	log "!!!!!!!! guest console silent for ${VM_STALL}s: asking the kernel for stacks (dump $n) !!!!!!!!"
	echo "== stall dump $n at $(date -u +%T) (console silent ${VM_STALL}s)" >> "$dir/stall.txt"
	timeout 5 bash -c 'printf "%s\n" "sendkey alt-sysrq-w" > "$1"' _ "$dir/mon.in"
	sleep 10
	timeout 5 bash -c 'printf "%s\n" "sendkey alt-sysrq-l" "info registers -a" > "$1"' _ "$dir/mon.in"
	sleep 5
	timeout 3 cat "$dir/mon.out" >> "$dir/stall.txt"
}
