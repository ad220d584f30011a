# bench/lib/boot-run.sh, sourced by bench/boot and bench/firmware: boot each
# VMM of $names (the array) $runs times, taking turns, from process start to
# the console line $marker, and report the times, the VMM's memory
# overhead and KVM's exit counts side by side, as ratios to wirt-vmm.
#
# The caller sets: names (array, wirt-vmm first), runs, tmo (seconds per
# boot), mem_kb (guest memory in KiB), work (a scratch directory), vmm
# (wirt-vmm's path), marker, and defines vmm_cmd NAME (sets the array CMD
# to that VMM's command line; the VMM must exit by itself after the
# marker, or is killed at $tmo). The EXIT trap should kill "$vpid".

# smaps_overhead PID: print "TOTAL_KB GUEST_KB" from /proc/PID/smaps: the
# Rss of all mappings and of the guest-RAM mappings (anonymous or memfd,
# size >= the guest memory).
smaps_overhead()
{
	awk -v memkb="$mem_kb" '
	function hex(s,   i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	/^[0-9a-f]+-[0-9a-f]+ / {
		path = $6
		cand = 0
		split($1, r, "-")
		size_kb = (hex(r[2]) - hex(r[1])) / 1024
		if ((path == "" || path ~ /^\/memfd:/ || path ~ /^\[anon/) && size_kb >= memkb)
			cand = 1
		next
	}
	/^Rss:/ { total += $2; if (cand) guest += $2 }
	END { printf "%d %d\n", total, guest }' "/proc/$1/smaps" 2>/dev/null
}

# KVM's per-VM statistics (debugfs), counted from process start to the
# marker: every exit, then by reason.
exit_keys="exits io_exits mmio_exits halt_exits irq_exits irq_window_exits insn_emulation pf_taken"
exit_stats_ok=0
if mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null; then
	[ -d /sys/kernel/debug/kvm ] && exit_stats_ok=1
fi

# exit_stats PID: print the counts of $exit_keys summed over PID's VMs
# (one per KVM VM fd: /sys/kernel/debug/kvm/PID-FD), "-" each when unknown.
exit_stats()
{
	local k d v sum out=
	for k in $exit_keys; do
		sum=-
		# a VM destroyed meanwhile (a probe VM) loses its directory
		# between the glob and the read: it is skipped
		for d in /sys/kernel/debug/kvm/"$1"-*; do
			[ $exit_stats_ok = 1 ] || break
			v=$(cat "$d/$k" 2>/dev/null) || continue
			[[ "$v" =~ ^[0-9]+$ ]] || continue
			sum=$((${sum/-/0} + v))
		done
		out="$out $sum"
	done
	echo "${out# }"
}

# run_one NAME N: boot once; append "NAME ok SECONDS TOTAL_KB GUEST_KB
# EXITS..." (the counts of $exit_keys) or
# "NAME fail REASON" to $work/results.
run_one()
{
	local name=$1 n=$2 fifo=$work/con.$name.$n log=$work/log.$name.$n
	local t0 t1= mem= line rc wd
	vmm_cmd "$name"
	mkfifo "$fifo"
	t0=$EPOCHREALTIME
	"${CMD[@]}" >"$fifo" 2>"$log.err" </dev/null &
	vpid=$!
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$tmo" &
		s=$!
		wait "$s"
		kill -9 "$vpid"
	) >/dev/null 2>&1 &
	wd=$!
	while IFS= read -r line; do
		if [ -z "$t1" ] && [[ "$line" == *"$marker"* ]]; then
			t1=$EPOCHREALTIME
			mem="$(smaps_overhead "$vpid") $(exit_stats "$vpid")"
		fi
		printf '%s\n' "$line" >>"$log"
	done <"$fifo"
	wait "$vpid"
	rc=$?
	rm -f "$fifo"
	vpid=
	kill "$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
	if [ -z "$t1" ]; then
		echo "$name fail no-marker(exit=$rc):$(tail -n 1 "$log.err" 2>/dev/null | tr ' ' '_')" >>"$work/results"
	elif [ "$rc" != 0 ]; then
		echo "$name fail exit=$rc:$(tail -n 1 "$log.err" 2>/dev/null | tr ' ' '_')" >>"$work/results"
	else
		echo "$name ok $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $mem" >>"$work/results"
	fi
	printf '%s run %d: %s\n' "$name" "$n" "$(tail -n 1 "$work/results" | cut -d' ' -f2-)" >&2
}

# boot_run_all: every VMM of $names, $runs times each, taking turns;
# wirt-vmm is skipped (and said so in the report) when $vmm is not built.
boot_run_all()
{
	local n name
	: >"$work/results"
	skip_wirt=
	if [ ! -x "$vmm" ]; then
		skip_wirt="not built ($vmm missing; run make)"
	fi
	for ((n = 1; n <= runs; n++)); do
		for name in "${names[@]}"; do
			if [ "$name" = wirt-vmm ] && [ -n "$skip_wirt" ]; then
				continue
			fi
			run_one "$name" "$n"
		done
	done
}

# boot_report: the table of times and memory, then the exit counts.
boot_report()
{
	awk -v names="${names[*]}" -v skip="$skip_wirt" '
	function median(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	$2 == "ok" { k = $1; c[k]++; t[k, c[k]] = $3; o[k, c[k]] = ($4 - $5) / 1024; rss[k, c[k]] = $4 / 1024 }
	$2 == "fail" { f[$1]++; why[$1] = $3 }
	END {
		nn = split(names, nm, " ")
		for (i = 1; i <= nn; i++) {
			k = nm[i]
			if (!(k in c)) continue
			for (j = 1; j <= c[k]; j++) { a[j] = t[k, j]; b[j] = o[k, j]; d[j] = rss[k, j] }
			med[k] = median(a, c[k]); mn[k] = a[1]
			ovh[k] = median(b, c[k]); mrss[k] = median(d, c[k])
		}
		printf "%-14s %4s %9s %9s %13s %9s %10s %10s\n", "vmm", "ok", "median_s", "min_s", "overhead_MiB", "rss_MiB", "time/wirt", "mem/wirt"
		for (i = 1; i <= nn; i++) {
			k = nm[i]
			if (!(k in c)) {
				r = (k == "wirt-vmm" && skip != "") ? skip : "all runs failed: " why[k]
				printf "%-14s %4d  FAILED: %s\n", k, 0, r
				continue
			}
			rt = ("wirt-vmm" in med && med["wirt-vmm"] > 0) ? sprintf("%.2f", med[k] / med["wirt-vmm"]) : "-"
			rm = ("wirt-vmm" in ovh && ovh["wirt-vmm"] > 0) ? sprintf("%.2f", ovh[k] / ovh["wirt-vmm"]) : "-"
			printf "%-14s %4d %9.2f %9.2f %13.1f %9.1f %10s %10s", k, c[k], med[k], mn[k], ovh[k], mrss[k], rt, rm
			if (f[k]) printf "  (%d failed: %s)", f[k], why[k]
			printf "\n"
		}
	}' "$work/results"

	echo
	echo "VM exits from process start to '$marker' (KVM's per-VM statistics, medians):"
	awk -v names="${names[*]}" -v keys="$exit_keys" '
	function median(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	BEGIN { nk = split(keys, kn, " ") }
	$2 == "ok" && NF >= 5 + nk && $6 != "-" {
		k = $1; c[k]++
		for (i = 1; i <= nk; i++) v[k, i, c[k]] = $(5 + i)
	}
	END {
		nn = split(names, nm, " ")
		printf "%-14s", "vmm"
		for (i = 1; i <= nk; i++) printf " %16s", kn[i]
		printf " %10s\n", "exits/wirt"
		for (j = 1; j <= nn; j++) {
			k = nm[j]
			if (!(k in c)) { printf "%-14s  (not counted: no KVM debugfs statistics)\n", k; continue }
			printf "%-14s", k
			for (i = 1; i <= nk; i++) {
				for (r = 1; r <= c[k]; r++) a[r] = v[k, i, r]
				m[k, i] = median(a, c[k])
				printf " %16d", m[k, i]
			}
			rt = (("wirt-vmm", 1) in m && m["wirt-vmm", 1] > 0) ? sprintf("%.2f", m[k, 1] / m["wirt-vmm", 1]) : "-"
			printf " %10s\n", rt
		}
	}' "$work/results"
}
