#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 900
#
# The directory listing cache (FOPEN_CACHE_DIR), on stock fuse and on
# fuse2pt: libfuse's passthrough_ll with cache=always answers OPENDIR
# with cache_readdir and keep_cache (and 86400 s timeouts).  One script
# of listings runs on both; after each step the READDIR and READDIRPLUS
# requests the server saw (its -d log) and what was listed are written
# down, and the two transcripts must be the same:
#   first     a listing from a fresh mount asks the server (READDIRPLUS
#             first, so the names are also looked up)
#   cached    two more listings, each its own OPENDIR: none asks
#   stat      every listed name stats as a file (the entries are usable)
#   create    a file made through the mount drops the cache: the next
#             listing, by dirseek with a 80-byte buffer (one or two names
#             per getdents64), asks again; its rewind, lseek and
#             telldir/seekdir checks then run on the cached listing
#   unlink, mkdir, rename-out, rename-in, link, symlink: each change
#             through the mount is seen by the next listing
#   outside   a file made in the backing directory behind the server's
#             back is not seen (the cache and the attributes are still
#             valid), until a change through the mount drops the cache.
#             Not right after a listing that asked the server: its
#             atime changed, so ls's stat() of the directory fetches
#             attributes, and their new mtime drops the cache (on both);
#             "symlink-again", from the cache, comes between
# Besides being equal to stock's, fuse2pt's own transcript must show the
# cache working: no request for "cached", none for "outside", and the
# stale listing there.
#
# inval-inode: tests/servers/dirinval, whose root keeps its attributes
# while its listing changes at a LOOKUP of "bump": with the server's
# NOTIFY_INVAL_INODE of the root the next listing asks and shows the new
# names; with --no-notify it stays as cached.  Same on stock.
. /tests/lib.sh

DC_SRC=$T_WORK/dcsrc
DC_N=60

dc_reset() {
	rm -rf "$DC_SRC"
	mkdir -p "$DC_SRC/d" "$DC_SRC/other"
	(cd "$DC_SRC/d" && seq -f 'a-long-name-so-that-the-cached-listing-fills-pages-%03g' 1 $DC_N | xargs touch)
	touch "$DC_SRC/other/in"
}

# READDIR and READDIRPLUS requests the server logged so far
dc_readdirs() { grep -c 'opcode: READDIR' "$DC_LOG"; }

# dc_list STEP: list MNT/d with ls -f, write STEP's line
dc_list() {
	local names
	names=$(ls -f "$DC_MNT/d" | LC_ALL=C sort | tr '\n' ' ')
	dc_note "$1" "$names"
}

# dc_note STEP WHAT: one transcript line, with the requests since the last
dc_note() {
	local n
	n=$(dc_readdirs)
	echo "$1: readdirs=$((n - DC_LAST)) $2" >> "$DC_OUT"
	DC_LAST=$n
}

dc_run() {	# TYPE
	local type=$1 out
	DC_MNT=$T_WORK/mnt/dc-$type
	DC_OUT=$T_WORK/dc-$type
	: > "$DC_OUT"
	dc_reset
	t_mount "$type" "$DC_MNT" passthrough_ll -d -o source="$DC_SRC",cache=always || return 1
	DC_LOG=${_t_srv_log[$DC_MNT]}
	DC_LAST=$(dc_readdirs)

	dc_list first
	ls -f "$DC_MNT/d" > /dev/null
	dc_list cached
	dc_note stat "$(stat -c %F "$DC_MNT"/d/a-* | sort | uniq -c | tr -s ' ')"

	touch "$DC_MNT/d/new"
	out=$("$T_BIN/dirseek" "$DC_MNT/d" 80 | tr '\n' ' ') ||
		_t_mark_fail "$type: dirseek after create: $out"
	dc_note create "$out"
	dc_list create-again

	rm "$DC_MNT/d/new"
	dc_list unlink
	mkdir "$DC_MNT/d/sub"
	dc_list mkdir
	mv "$DC_MNT/d/sub" "$DC_MNT/other/sub"
	dc_list rename-out
	mv "$DC_MNT/other/in" "$DC_MNT/d/in"
	dc_list rename-in
	ln "$DC_MNT/d/in" "$DC_MNT/d/in-link"
	dc_list link
	ln -s in "$DC_MNT/d/in-sym"
	dc_list symlink
	dc_list symlink-again

	touch "$DC_SRC/d/outside"
	dc_list outside
	out=$("$T_BIN/dirseek" "$DC_MNT/d" 80 | tr '\n' ' ') ||
		_t_mark_fail "$type: dirseek on the cached listing: $out"
	dc_note outside-seek "$out"
	rm "$DC_MNT/d/in-sym"
	dc_list outside-after-unlink
	t_umount "$DC_MNT"
}

# di_list STEP: list dirinval's root, write the step's line
di_list() {
	dc_note "$DI_MODE $1" "$(ls -f "$DC_MNT" | LC_ALL=C sort | tr '\n' ' ')"
}

# di_run TYPE [--no-notify]: dirinval's listings before and after a bump
di_run() {
	local type=$1
	shift
	DI_MODE=notify
	[ $# = 0 ] || DI_MODE=no-notify
	DC_MNT=$T_WORK/mnt/di-$type
	t_mount "$type" "$DC_MNT" dirinval -d "$@" || return 1
	DC_LOG=${_t_srv_log[$DC_MNT]}
	DC_LAST=$(dc_readdirs)
	di_list first
	di_list cached
	stat "$DC_MNT/bump" > /dev/null 2>&1
	di_list bumped
	di_list bumped-again
	t_umount "$DC_MNT"
}

t_start listing-cache
t_need_bin dirseek || t_die "dirseek missing"
for type in fuse fuse2pt; do
	dc_run "$type"
done
t_expect_files_eq "fuse2pt lists and asks as stock fuse does" "$T_WORK/dc-fuse" "$T_WORK/dc-fuse2pt"
f=$T_WORK/dc-fuse2pt
cut -c1-150 "$f" | sed 's/^/  | /'
t_expect_eq "fuse2pt: every name listed" \
	"$(grep '^first: ' "$f" | wc -w)" $((DC_N + 4))
t_expect_eq "fuse2pt: the first listing asked the server" \
	"$(grep -c '^first: readdirs=[1-9]' "$f")" 1
t_expect_eq "fuse2pt: the cached listings did not" \
	"$(grep -c '^cached: readdirs=0 ' "$f")" 1
t_expect_eq "fuse2pt: the listing after create asked" \
	"$(grep -c '^create: readdirs=[1-9].* rewind: same seek: ok telldir: ok' "$f")" 1
t_expect_eq "fuse2pt: a change behind the server's back is not seen" \
	"$(grep '^outside: readdirs=0 ' "$f" | grep -c -v ' outside ')" 1
t_expect_eq "fuse2pt: ... until a change through the mount" \
	"$(grep '^outside-after-unlink: readdirs=[1-9]' "$f" | grep -c ' outside ')" 1
t_pass

# dr_run TYPE: dirreclaim's transcript, then whether a listing after a
# whole one asks (DR_ASKED) and what it lists (DR_SEEN)
declare -A DR_ASKED=() DR_SEEN=()
dr_run() {
	local type=$1
	DC_MNT=$T_WORK/mnt/dr-$type
	DC_OUT=$T_WORK/dr-$type
	t_mount "$type" "$DC_MNT" passthrough_ll -d -o source="$DR_SRC",cache=always || return 1
	DC_LOG=${_t_srv_log[$DC_MNT]}
	"$T_BIN/dirreclaim" "$DC_MNT/d" "$DR_NAMES" 256 > "$DC_OUT" 2>&1 ||
		_t_mark_fail "$type: dirreclaim: $(grep -v ': all exact$' "$DC_OUT" | head -n 3 | tr '\n' ';')"
	touch "$DC_MNT/d/x" && rm "$DC_MNT/d/x"
	ls -f "$DC_MNT/d" > /dev/null
	DC_LAST=$(dc_readdirs)
	DR_SEEN[$type]=$(ls -f "$DC_MNT/d" | wc -l)
	DR_ASKED[$type]=$(($(dc_readdirs) - DC_LAST))
	t_umount "$DC_MNT"
}

t_start reclaim
t_need_bin dirreclaim || t_die "dirreclaim missing"
DR_N=200
DR_SRC=$T_WORK/drsrc
DR_NAMES=$T_WORK/dr-names
rm -rf "$DR_SRC"
mkdir -p "$DR_SRC/d"
seq -f 'e%03g-' 1 $DR_N | sed 's/$/'"$(printf '%0196d' 0)"'/' > "$DR_NAMES"
(cd "$DR_SRC/d" && xargs touch < "$DR_NAMES")
for type in fuse fuse2pt; do
	dr_run "$type"
	t_note "$type: $(tr '\n' ';' < "$T_WORK/dr-$type")"
done
t_expect_files_eq "fuse2pt lists as stock fuse does" "$T_WORK/dr-fuse" "$T_WORK/dr-fuse2pt"
t_expect_eq "fuse2pt: every listing exact" "$(grep -c ' listings, all exact$' "$T_WORK/dr-fuse2pt")" 3
t_expect_eq "fuse2pt: the cached listing has every name" "${DR_SEEN[fuse2pt]}" $((DR_N + 2))
t_expect_eq "fuse2pt: ... and did not ask" "${DR_ASKED[fuse2pt]}" 0
t_pass

t_start inval-inode
t_need_bin dirinval || t_die "dirinval missing"
for type in fuse fuse2pt; do
	DC_OUT=$T_WORK/di-$type
	: > "$DC_OUT"
	di_run "$type"
	di_run "$type" --no-notify
done
f=$T_WORK/di-fuse2pt
sed 's/^/  | /' "$f"
t_expect_files_eq "fuse2pt lists and asks as stock fuse does" "$T_WORK/di-fuse" "$f"
t_expect_eq "fuse2pt: transcript" "$(cut -d' ' -f1-4 "$f" | tr '\n' ';')" \
"notify first: readdirs=2 .;notify cached: readdirs=0 .;notify bumped: readdirs=2 .;notify bumped-again: readdirs=0 .;\
no-notify first: readdirs=2 .;no-notify cached: readdirs=0 .;no-notify bumped: readdirs=0 .;no-notify bumped-again: readdirs=0 .;"
t_expect_eq "fuse2pt: the new names after the notification" \
	"$(grep -c '^notify bumped: .* g1-f0 g1-f1 g1-f2 $' "$f")" 1
t_expect_eq "fuse2pt: the old names without it" \
	"$(grep -c '^no-notify bumped: .* g0-f0 g0-f1 g0-f2 $' "$f")" 1
t_pass
