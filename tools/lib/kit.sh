# tools/lib/kit.sh: shell helpers shared by tools/guest-kit and tools/testbed
# (sourced by bash). They fetch a Debian kernel package, build a busybox
# initramfs tree with a closed set of kernel modules, and pack it.
# Every helper prints errors as one line on stderr and returns non-zero;
# callers decide whether to exit.

# kit_err MSG...: print "PROG: MSG" on stderr.
kit_err()
{
	echo "${KIT_PROG:-wirt}: $*" >&2
}

# kit_need CMD PKG: fail with an install hint when CMD is not on PATH.
kit_need()
{
	command -v "$1" >/dev/null 2>&1 && return 0
	kit_err "'$1' not found; install Debian package $2 (tools/deps check)"
	return 1
}

# kit_resolve_kernel META: print the versioned package that the Debian
# metapackage META (e.g. linux-image-amd64) depends on. Runs apt-get update
# once when apt-cache knows nothing yet.
kit_resolve_kernel()
{
	local meta=$1 pkg
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		kit_err "apt-cache does not know $meta yet; running apt-get update"
		apt-get update -q >/dev/null 2>&1 ||
			{ kit_err "apt-get update failed"; return 1; }
		pkg=$(apt-cache depends "$meta" 2>/dev/null |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	if [ -z "$pkg" ]; then
		kit_err "cannot resolve $meta to a versioned kernel package (apt-cache depends $meta)"
		return 1
	fi
	echo "$pkg"
}

# kit_fetch_kernel META DIR: download and unpack the kernel that META points
# to into DIR/root (kept between runs; reused when the version matches) and
# run depmod on it. Sets KIT_KVER (e.g. 6.1.0-56-amd64) and KIT_KROOT.
kit_fetch_kernel()
{
	local meta=$1 dir=$2 pkg deb kver
	pkg=$(kit_resolve_kernel "$meta") || return 1
	kver=${pkg#linux-image-}
	mkdir -p "$dir" || return 1
	if [ ! -f "$dir/root/boot/vmlinuz-$kver" ] ||
		[ ! -f "$dir/root/lib/modules/$kver/modules.dep" ]; then
		rm -rf "$dir/root" "$dir"/*.deb
		(cd "$dir" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
			kit_err "apt-get download $pkg failed (network to the Debian mirror? try 'apt-get update')"
			return 1
		}
		deb=$(ls "$dir"/"$pkg"_*.deb 2>/dev/null | head -1)
		[ -n "$deb" ] || { kit_err "no .deb for $pkg in $dir"; return 1; }
		dpkg -x "$deb" "$dir/root" ||
			{ kit_err "dpkg -x $deb failed"; return 1; }
		depmod -b "$dir/root" "$kver" ||
			{ kit_err "depmod -b $dir/root $kver failed"; return 1; }
		rm -f "$deb"
	fi
	KIT_KVER=$kver
	KIT_KROOT=$dir/root
}

# kit_module_closure KROOT KVER NAME...: print the paths (relative to the
# modules dir) of the named modules and everything they depend on, from
# modules.dep, dependencies first. Names may use '-' or '_'. A name that is
# built in (modules.builtin) is skipped; an unknown name is an error.
kit_module_closure()
{
	local kroot=$1 kver=$2
	shift 2
	awk -v names="$*" '
	function norm(s) { gsub(/-/, "_", s); return s }
	function base(p,   n) { n = p; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); return norm(n) }
	function visit(p,   i, n, d) {
		if (p in seen) return
		seen[p] = 1
		n = split(deps[p], d, " ")
		for (i = 1; i <= n; i++) visit(d[i])
		print p
	}
	FILENAME ~ /modules\.builtin$/ { builtin[base($0)] = 1; next }
	{
		p = $1; sub(/:$/, "", p)
		d = $0; sub(/^[^:]*:[ ]*/, "", d)
		deps[p] = d
		byname[base(p)] = p
	}
	END {
		n = split(names, want, " ")
		for (i = 1; i <= n; i++) {
			w = norm(want[i])
			if (w in byname) visit(byname[w])
			else if (!(w in builtin)) { print "unknown module " want[i] > "/dev/stderr"; bad = 1 }
		}
		exit bad
	}' "$kroot/lib/modules/$kver/modules.builtin" \
		"$kroot/lib/modules/$kver/modules.dep"
}

# kit_busybox_tree STAGE: create a minimal root in STAGE with busybox-static
# and a link for each of its applets in /bin, plus /dev/console.
kit_busybox_tree()
{
	local stage=$1 bb a
	# Debian's busybox-static installs a static /bin/busybox.
	bb=/bin/busybox
	[ -x "$bb" ] || { kit_err "$bb not found; install Debian package busybox-static"; return 1; }
	mkdir -p "$stage"/bin "$stage"/sbin "$stage"/dev "$stage"/proc \
		"$stage"/sys "$stage"/tmp "$stage"/run "$stage"/etc "$stage"/root ||
		return 1
	cp "$bb" "$stage/bin/busybox" || return 1
	for a in $("$stage/bin/busybox" --list); do
		[ "$a" = busybox ] && continue
		ln -sf busybox "$stage/bin/$a"
	done
	ln -sf ../bin/busybox "$stage/sbin/modprobe"
	mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
	mknod -m 666 "$stage/dev/null" c 1 3 2>/dev/null || true
}

# kit_add_modules STAGE KROOT KVER NAME...: copy the named modules and their
# dependencies into STAGE/lib/modules/KVER and run depmod there.
kit_add_modules()
{
	local stage=$1 kroot=$2 kver=$3 list m src dst
	shift 3
	list=$(kit_module_closure "$kroot" "$kver" "$@") || return 1
	src=$kroot/lib/modules/$kver
	dst=$stage/lib/modules/$kver
	mkdir -p "$dst" || return 1
	for m in $list; do
		mkdir -p "$dst/$(dirname "$m")" && cp "$src/$m" "$dst/$m" || return 1
	done
	cp "$src/modules.builtin" "$src/modules.builtin.modinfo" "$src/modules.order" "$dst/" 2>/dev/null
	depmod -b "$stage" "$kver" || { kit_err "depmod on $stage failed"; return 1; }
}

# kit_pack STAGE OUT: write STAGE as a gzip-compressed newc cpio to OUT
# (atomically, through OUT.tmp).
kit_pack()
{
	local stage=$1 out=$2
	(cd "$stage" && find . -print | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -6 >"$out.tmp" || { kit_err "packing $stage failed"; return 1; }
	mv -f "$out.tmp" "$out"
}

# kit_extract_vmlinux BZIMAGE OUT: write the uncompressed ELF kernel that
# BZIMAGE carries (located by the boot header's setup_sects, payload_offset
# and payload_length fields; xz, gzip or zstd) to OUT. QEMU boots such an
# ELF through the PVH entry, skipping the real-mode setup and decompression.
kit_extract_vmlinux()
{
	local bz=$1 out=$2 ss po pl off magic dec
	ss=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
	po=$(od -An -tu4 -j $((0x248)) -N4 "$bz" | tr -d ' ')
	pl=$(od -An -tu4 -j $((0x24c)) -N4 "$bz" | tr -d ' ')
	[ -n "$ss" ] && [ -n "$po" ] && [ -n "$pl" ] && [ "$pl" -gt 0 ] ||
		{ kit_err "$bz: not a bzImage with a payload"; return 1; }
	[ "$ss" = 0 ] && ss=4
	off=$(((ss + 1) * 512 + po))
	magic=$(od -An -tx1 -j "$off" -N4 "$bz" | tr -d ' ')
	case "$magic" in
	fd377a58) dec="xz -dc --single-stream" ;;
	1f8b*) dec="gzip -dc" ;;
	28b52ffd) dec="zstd -dcq" ;;
	*) kit_err "$bz: unknown payload compression (magic $magic)"; return 1 ;;
	esac
	tail -c +$((off + 1)) "$bz" | head -c "$pl" | $dec >"$out.tmp" 2>/dev/null
	[ "$(od -An -tx1 -N4 "$out.tmp" 2>/dev/null | tr -d ' ')" = 7f454c46 ] ||
		{ rm -f "$out.tmp"; kit_err "$bz: payload did not decompress to an ELF"; return 1; }
	mv -f "$out.tmp" "$out"
}

# kit_stale OUT FILE...: true when OUT is missing or older than any FILE.
kit_stale()
{
	local out=$1 f
	shift
	[ -e "$out" ] || return 0
	for f in "$@"; do
		[ "$f" -nt "$out" ] && return 0
	done
	return 1
}
