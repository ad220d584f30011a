# shellcheck shell=bash
# bench/lib/backup-run.sh: bench/backup's runs (sourced, bash): run_vmm
# boots one VMM on a fresh copy of the disk and backs it up twice while
# the guest writes; report prints the table. Uses $work, $vmm, $size,
# $data, $hot, $base, $initrd, $KERNEL, $top, $kind and sets $vpid.

QX=$top/tests/lib/qmp-exec
append="console=ttyS0 quiet panic=-1 $("$top/tools/guest-kit" --cmd 'sh /bench.sh')"

# vmm_cmd NAME SOCK: the command line of VMM NAME in CMD, its disk's QMP
# device name in DEV
vmm_cmd() {
	case "$1" in
	wirt-vmm)
		CMD=("$vmm" --kernel "$KERNEL" --initrd "$initrd" --cmdline "$append"
			--cpus 1 --memory 512M --console stdio --api-socket "$2"
			--disk "path=$work/disk.qcow2,format=qcow2")
		DEV=virtio0
		;;
	qemu)
		CMD=(qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 512M -smp 1
			-nodefaults -no-user-config -nographic -no-reboot -serial stdio
			-kernel "$KERNEL" -initrd "$initrd" -append "$append"
			-qmp "unix:$2,server=on,wait=off"
			-drive "file=$work/disk.qcow2,format=qcow2,if=none,id=d0"
			-device virtio-blk-pci,drive=d0)
		DEV=d0
		;;
	esac
}

# qmp NAME [JSON]: one QMP command on the running VM; its reply line
qmp() {
	timeout 60 python3 "$QX" "$sock" "$@"
}

# wait_lines PATTERN N SECS: until the console log has N lines matching
# PATTERN; 1 after SECS
wait_lines() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(grep -c -- "$1" "$log")" -ge "$2" ] && return 0
		kill -0 "$vpid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# backup_job ID ARGS: drive-backup with ARGS (JSON members) timed until
# the job is gone; "START END" on stdout, 1 when it could not start
backup_job() {
	local t0 r
	t0=$EPOCHREALTIME
	r=$(qmp drive-backup "{\"job-id\": \"$1\", \"device\": \"$DEV\", $2}")
	[ "$r" = "{}" ] || { err "$name: drive-backup $1: $r"; return 1; }
	r=$(timeout 3000 python3 "$QX" "$sock" --wait-job "$1" gone 2900)
	[ "$r" = gone ] || { err "$name: backup $1: $r"; return 1; }
	echo "$t0 $EPOCHREALTIME"
}

# run_vmm NAME: boot NAME on a fresh disk, a full then an incremental
# backup while the guest writes; times in $work/NAME.times, console
# lines with their arrival time in $work/NAME.log
run_vmm() {
	local name=$1 fifo=$work/$1.fifo full inc n r
	sock=$work/$name.sock
	log=$work/$name.log
	rm -f "$work"/disk.qcow2 "$work"/full.qcow2 "$work"/inc.qcow2 "$fifo" "$sock"
	qemu-img create -q -f qcow2 "$work/disk.qcow2" "${size}G" &&
		qemu-io -f qcow2 -c "write -P 0x5a 0 ${data}M" "$work/disk.qcow2" >/dev/null ||
		{ err "cannot make the disk"; return 1; }
	chmod 666 "$work/disk.qcow2"
	vmm_cmd "$name" "$sock"
	mkfifo "$fifo"
	timeout --signal=KILL 2400 "${CMD[@]}" </dev/null >"$fifo" 2>"$work/$name.err" &
	vpid=$!
	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "${line//$'\r'/}"
	done <"$fifo" >"$log" &
	if ! wait_lines '^[0-9.]* bench-ready' 1 900 || ! wait_lines ' iops: ' "$base" 300; then
		err "$name: the guest did not start writing; its console and stderr:"
		tail -n 20 "$log" "$work/$name.err" >&2
		return 1
	fi
	r=$(qmp block-dirty-bitmap-add "{\"node\": \"$DEV\", \"name\": \"b0\"}")
	[ "$r" = "{}" ] || { err "$name: block-dirty-bitmap-add: $r"; return 1; }
	full=$(backup_job full "\"target\": \"$work/full.qcow2\", \"format\": \"qcow2\", \"sync\": \"full\", \"bitmap\": \"b0\", \"bitmap-mode\": \"on-success\"") || return 1
	n=$(grep -c ' iops: ' "$log")
	wait_lines ' iops: ' $((n + 4)) 300
	if [ "$name" = qemu ]; then
		qemu-img create -q -f qcow2 -b "$work/full.qcow2" -F qcow2 "$work/inc.qcow2" "${size}G"
		inc=$(backup_job inc "\"target\": \"$work/inc.qcow2\", \"format\": \"qcow2\", \"mode\": \"existing\", \"sync\": \"incremental\", \"bitmap\": \"b0\"") || return 1
	else
		inc=$(backup_job inc "\"target\": \"$work/inc.qcow2\", \"format\": \"qcow2\", \"sync\": \"incremental\", \"bitmap\": \"b0\", \"x-backing-file\": \"$work/full.qcow2\"") || return 1
	fi
	n=$(grep -c ' iops: ' "$log")
	wait_lines ' iops: ' $((n + 2)) 300
	qmp quit >/dev/null
	wait "$vpid"
	vpid=
	echo "full $full" >"$work/$name.times"
	echo "inc $inc" >>"$work/$name.times"
	for f in full inc; do
		qemu-img check -q "$work/$f.qcow2" || { err "$name: qemu-img check of the $f copy failed"; return 1; }
		echo "$f-mib $(qemu-img info --output=json "$work/$f.qcow2" | python3 -c 'import json,sys; print("%.1f" % (json.load(sys.stdin)["actual-size"] / 1048576))')" >>"$work/$name.times"
	done
	grep -q 'iops-failed' "$log" && { err "$name: fio failed: $(grep -m1 iops-failed "$log")"; return 1; }
	return 0
}

# figure NAME KEY: a value of NAME's times file ("START END" for full/inc)
figure() {
	sed -n "s/^$2 //p" "$work/$1.times"
}

# iops NAME FROM TO: the mean IOPS of the fio runs that started after FROM
# and ended by TO (else the first run that ended after FROM); with FROM
# "-", the median of the runs that ended before TO
iops() {
	if [ "$2" = - ]; then
		awk -v b="$3" '$2 == "iops:" && $1 < b { print $3 }' "$work/$1.log" | sort -g |
			awk '{ v[NR] = $1 } END { if (!NR) print "-"; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
		return
	fi
	awk -v a="$2" -v b="$3" '$2 == "iops:" {
		if ($1 - 1.0 >= a && $1 <= b) { s += $3; n++ }
		else if ($1 > a && !f) { first = $3; f = 1 }
	} END { if (n) printf "%.0f\n", s / n; else if (f) print first; else print "-" }' "$work/$1.log"
}

# ratio A B: A / B with two decimals, "-" when either is missing
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "-" }'
}

report() {
	local n k t0 t1 row w q
	local -A v
	for n in wirt-vmm qemu; do
		read -r t0 t1 <<<"$(figure "$n" full)"
		v[$n.full]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		v[$n.base]=$(iops "$n" - "$t0")
		v[$n.dfull]=$(iops "$n" "$t0" "$t1")
		read -r t0 t1 <<<"$(figure "$n" inc)"
		v[$n.inc]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		v[$n.dinc]=$(iops "$n" "$t0" "$t1")
		v[$n.sfull]=$(ratio "${v[$n.dfull]}" "${v[$n.base]}")
		v[$n.sinc]=$(ratio "${v[$n.dinc]}" "${v[$n.base]}")
		v[$n.mfull]=$(figure "$n" full-mib)
		v[$n.minc]=$(figure "$n" inc-mib)
	done
	echo "bench/backup: a ${size} GiB qcow2 disk holding ${data} MiB, fio 4 KiB random writes over ${hot} MiB of it (qd 8, O_DIRECT) in the guest without stop; wirt-vmm vs QEMU drive-backup over QMP"
	printf "%-38s %10s %10s %10s\n" "" wirt-vmm qemu wirt/qemu
	for row in "full backup, s:full" "incremental backup, s:inc" \
		"full copy, MiB allocated:mfull" "incremental copy, MiB allocated:minc" \
		"guest IOPS before:base" "guest IOPS during the full backup:dfull" \
		"guest IOPS during the incremental:dinc" \
		"guest I/O kept during full (x):sfull" "guest I/O kept during incremental (x):sinc"; do
		k=${row##*:}
		w=${v[wirt-vmm.$k]:--}
		q=${v[qemu.$k]:--}
		printf "%-38s %10s %10s %10s\n" "${row%:*}" "$w" "$q" "$(ratio "$w" "$q")"
	done
	echo "(\"kept\": IOPS during the backup / IOPS before it, 1.00 = no slowdown; time ratios below 1: wirt-vmm faster)"
	if [ "$kind" != hw ] || [ -n "${WIRT_BENCH_BACKUP_INSIDE:-}" ]; then
		echo "note: nested KVM under TCG emulation: absolute numbers are far below hardware; only the ratios compare the VMMs"
	fi
}
