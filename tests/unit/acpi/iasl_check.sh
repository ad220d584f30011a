#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# iasl_check.sh ACPI_DUMP - check wirt's ACPI tables with ACPICA's own tools
# (Debian package acpica-tools, installed by `tools/deps check`):
#   1. iasl -d disassembles every table without errors;
#   2. the DSDT disassembly has the expected objects;
#   3. iasl recompiles each disassembly to the same bytes we built (the
#      header differs only in the compiler id and checksum);
#   4. acpiexec loads the tables, evaluates \_S5, runs the GED's _EVT
#      with the power button bit set (must Notify PWRB 0x80) and clear, and
#      with PCI calls PCI0._OSC with the PCI host bridge UUID (all control
#      granted, buffer unchanged) and with another UUID (error bit 2 set).
# The RSDP is not given to iasl, which cannot read a standalone RSDP; the
# acpi_tables unit test checks its signature, checksums and XSDT pointer.
set -u

dump=${1:?usage: iasl_check.sh ACPI_DUMP}
for tool in iasl acpiexec; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "iasl_check: $tool not found: install acpica-tools" \
			"(apt-get install acpica-tools, or run tools/deps check)" >&2
		exit 1
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/wirt-iasl.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
failed=0

fail() {
	echo "iasl_check: FAIL: $*" >&2
	failed=1
}

# expect FILE PATTERN...: every fixed string must appear in FILE
expect() {
	f=$1
	shift
	for p in "$@"; do
		grep -qF -- "$p" "$f" || fail "$f lacks '$p'"
	done
}

# body FILE1 FILE2: equal after the 36-byte table header
same_body() {
	tail -c +37 "$1" >"$work/b1"
	tail -c +37 "$2" >"$work/b2"
	cmp -s "$work/b1" "$work/b2"
}

# The GED's _EVT driven from a test SSDT that sets the event register.
cat >"$work/tevt.asl" <<'EOF'
DefinitionBlock ("", "SSDT", 2, "WIRT  ", "TESTEVT ", 1)
{
    External (\_SB.GED.GEVT, FieldUnitObj)
    External (\_SB.GED._EVT, MethodObj)
    External (\_SB.PCI0._OSC, MethodObj)
    Method (\TPWR, 0, Serialized)
    {
        \_SB.GED.GEVT = 1
        \_SB.GED._EVT (9)
    }
    Method (\TNON, 0, Serialized)
    {
        \_SB.GED.GEVT = 2
        \_SB.GED._EVT (9)
    }
    Method (\TOSC, 0, Serialized)
    {
        Local0 = Buffer (12) { 0x01, 0, 0, 0, 0x1f, 0, 0, 0, 0x1d, 0, 0, 0 }
        Return (\_SB.PCI0._OSC (ToUUID ("33DB4D5B-1FF7-401C-9657-7441C03DD766"), 1, 3, Local0))
    }
    Method (\TOSB, 0, Serialized)
    {
        Local0 = Buffer (12) { 0x01, 0, 0, 0, 0x1f, 0, 0, 0, 0x1d, 0, 0, 0 }
        Return (\_SB.PCI0._OSC (ToUUID ("0811B06E-4A27-44F9-8D60-3CBBC22E7B48"), 1, 3, Local0))
    }
}
EOF
if ! iasl -p "$work/tevt" "$work/tevt.asl" >"$work/tevt.log" 2>&1; then
	cat "$work/tevt.log" >&2
	fail "cannot compile the test SSDT"
fi

# check_config NAME ACPI_DUMP-ARGS...
check_config() {
	name=$1
	shift
	d="$work/$name"
	mkdir -p "$d/rc"
	if ! "$dump" "$d" "$@" >"$d/dump.log" 2>&1; then
		cat "$d/dump.log" >&2
		fail "$name: acpi_dump failed"
		return
	fi
	tables=""
	for f in "$d"/*.dat; do
		t=$(basename "$f" .dat)
		[ "$t" = rsdp ] && continue
		tables="$tables $t"
		if ! (cd "$d" && iasl -d "$t.dat") >"$d/$t.dis.log" 2>&1 ||
			grep -qiE '(error|warning)[^s]' "$d/$t.dis.log" ||
			[ ! -s "$d/$t.dsl" ]; then
			cat "$d/$t.dis.log" >&2
			fail "$name: iasl -d $t.dat reported a problem"
			continue
		fi
		if ! iasl -oa -p "$d/rc/$t" "$d/$t.dsl" >"$d/$t.cc.log" 2>&1 ||
			! grep -q ' 0 Errors, 0 Warnings' "$d/$t.cc.log"; then
			cat "$d/$t.cc.log" >&2
			fail "$name: iasl cannot recompile the $t disassembly"
		elif ! same_body "$f" "$d/rc/$t.aml"; then
			fail "$name: recompiled $t differs from what acpi_build wrote"
		fi
	done
	echo "iasl_check: $name: disassembled and recompiled:$tables"

	expect "$d/dsdt.dsl" '_S5_' 'PNP0C0C' 'ACPI0013' 'Notify (\_SB.PWRB, 0x80)' \
		'Method (_EVT, 1, Serialized)' 'OperationRegion (EREG, SystemMemory, 0xFED00000, 0x04)' \
		'Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive' \
		'PNP0501' 'PNP0C02' 'Device (C000)'
	expect "$d/facp.dsl" 'Hardware Reduced (V5) : 1' 'Reset Register Supported (V2) : 1' \
		'Address : 0000000000000600' 'Address : 0000000000000601' \
		'Address : 0000000000000602' 'VGA Not Present (V4) : 1'
	expect "$d/apic.dsl" 'Local Apic Address : FEE00000' 'Address : FEC00000' \
		'Interrupt Source Override' 'Local APIC NMI'
	cmds='evaluate \_S5; execute \TNON; execute \TPWR'
	pci=0
	case " $* " in
	*" pci "*)
		pci=1
		cmds="$cmds; execute \\TOSC; execute \\TOSB"
		expect "$d/dsdt.dsl" 'PNP0A08' 'WordBusNumber' 'DWordMemory' \
			'Method (_OSC, 4' '/* PCI Host Bridge Device */'
		expect "$d/mcfg.dsl" 'Base Address : 00000000E0000000'
		;;
	esac

	(cd "$d" && timeout 60 acpiexec -b "$cmds" \
		dsdt.dat "$work/tevt.aml" facp.dat) >"$d/exec.log" 2>&1
	if ! grep -q 'ACPI: 2 ACPI AML tables successfully acquired and loaded' "$d/exec.log" ||
		! grep -q '\[Integer\] = 0000000000000005' "$d/exec.log" ||
		grep -qiE 'AE_[A-Z_]+ *\(|exception' "$d/exec.log"; then
		cat "$d/exec.log" >&2
		fail "$name: acpiexec could not load the tables or evaluate \\_S5"
	fi
	n=$(grep -c 'Notify on \[PWRB\].*Value 0x80' "$d/exec.log")
	if [ "$n" != 1 ]; then
		cat "$d/exec.log" >&2
		fail "$name: _EVT sent $n power button notifies, expected 1 (for event bit 0 only)"
	fi
	if [ $pci = 1 ]; then
		grep -A1 'Evaluation of \\TOSC returned' "$d/exec.log" |
			grep -q '0000: 01 00 00 00 1F 00 00 00 1D 00 00 00' ||
			fail "$name: PCI0._OSC did not grant the requested control"
		grep -A1 'Evaluation of \\TOSB returned' "$d/exec.log" |
			grep -q '0000: 05 00 00 00 1F 00 00 00 1D 00 00 00' ||
			fail "$name: PCI0._OSC accepted a foreign UUID"
	fi
	echo "iasl_check: $name: acpiexec ran \\_S5 and _EVT (1 PWRB notify)" \
		"$([ $pci = 1 ] && echo 'and PCI0._OSC')"
}

check_config cpu1 1
check_config cpu2 2
check_config cpu4-pci 4 pci
check_config cpu255 255
check_config cpu255-pci 255 pci

if [ $failed != 0 ]; then
	echo "iasl_check: FAILED" >&2
	exit 1
fi
echo "iasl_check: all table checks passed"
