# shellcheck shell=bash
# Debian's generic kernel for e2e suites that need drivers the guest kit's
# cloud kernel lacks (AHCI, ATA, sr): sourced after tests/lib/check.sh and
# tools/lib/kit.sh (KIT_PROG set).
#
# generic_kit DIR MODULE... : fetch the generic kernel (the testbed's L1
# kernel, same cache), set GKERNEL to it, and write DIR/initrd.img: the
# guest kit's initramfs plus the modules with their dependencies under
# /cdmods (.ko files and an "order" list, dependencies first). The guest
# loads them with "$GENERIC_INSMOD". Files in DIR/extra go to the
# archive's root too (a test script longer than a kernel command line).
# Prints a FAIL line and the summary and returns 1 on failure.
generic_kit()
{
	local dir=$1 mods f m src
	shift
	if ! kit_fetch_kernel linux-image-amd64 build/testbed/deb ||
		! mods=$(kit_module_closure "$KIT_KROOT" "$KIT_KVER" "$@"); then
		echo "FAIL kit: cannot get Debian's generic kernel and its modules $*"
		echo "0 passed, 1 failed"
		return 1
	fi
	GKERNEL=$KIT_KROOT/boot/vmlinuz-$KIT_KVER
	rm -rf "$dir/mods"
	mkdir -p "$dir/mods/cdmods"
	while read -r f; do
		m=$(basename "$f")
		m=${m%%.ko*}
		src=$KIT_KROOT/lib/modules/$KIT_KVER/$f
		case "$f" in
		*.xz) xz -dc "$src" >"$dir/mods/cdmods/$m.ko" ;;
		*.zst) zstd -qdc "$src" >"$dir/mods/cdmods/$m.ko" ;;
		*) cp "$src" "$dir/mods/cdmods/$m.ko" ;;
		esac
		echo "$m" >>"$dir/mods/cdmods/order"
	done <<<"$mods"
	if [ -d "$dir/extra" ]; then
		cp -a "$dir/extra/." "$dir/mods/" || return 1
	fi
	(cd "$dir/mods" && find . -mindepth 1 | sed 's|^\./||' | cpio -o -H newc --quiet) >"$dir/mods.cpio" &&
		tools/guest-extra --initrd "$dir/initrd.img" "$dir/mods.cpio"
}

# What the guest runs first: load the modules, report failures.
# shellcheck disable=SC2016 # expanded in the guest
GENERIC_INSMOD='for m in $(cat /cdmods/order); do insmod /cdmods/$m.ko || echo "insmod $m failed"; done'
