#!/bin/bash
# bench/lib/net-pair.sh, sourced by bench/net: the tests vm2vm and vm2host,
# two VMs on a bridge with taps and vhost-net, wirt (wirtd's NAT network,
# its taps) against QEMU (taps in a bridge made here). Uses bench/net's
# top, work, secs, tmo, port, KERNEL, err and sender_mbits; the guests
# boot $work/initrd.img (the guest kit plus iperf3).

pair_bin=${WIRT_BUILD:-$top/build}
pair_wirt=("$pair_bin/wirt" --root "$work/r")

# pair_cleanup: stop wirtd (its domains and the network go with
# --cleanup) and remove QEMU's bridge and taps
pair_cleanup()
{
	if [ -n "${wirtd:-}" ]; then
		"${pair_wirt[@]}" destroy wsrv >/dev/null 2>&1
		kill "$wirtd" 2>/dev/null
		wait "$wirtd" 2>/dev/null
		wirtd=
	fi
	pkill -9 -f -- "--api-socket $work/r/" 2>/dev/null
	ip link del wbq1 2>/dev/null
	ip link del wbq2 2>/dev/null
	ip link del wbq0 2>/dev/null
}

# pair_script ROLE NET: the guest script of ROLE (srv, cli-vm or cli-host)
# on subnet NET (10.78.0 or 10.79.0): static addresses .2 (server) and .3
pair_script()
{
	local me=3 to=$2.2 run
	[ "$1" = srv ] && me=2
	[ "$1" = cli-host ] && to=$2.1
	if [ "$1" = srv ]; then
		run="/usr/bin/iperf3 -s -1 -p $port >/dev/null 2>&1"
	else
		# the server VM may still be booting: retry until it answers
		run="for i in \$(seq 90); do o=\$(/usr/bin/iperf3 -c $to -p $port -t $secs -f m 2>&1) && break; sleep 2; done
echo \"\$o\" | grep -E \"sender|rror\""
	fi
	"$top/tools/guest-kit" --cmd "ip link set eth0 up
ip addr add $2.$me/24 dev eth0
$run"
}

# pair_setup: wirtd with the network wbnet and the domains wsrv, wcli-vm
# and wcli-host; QEMU's bridge wbq0 with taps wbq1 and wbq2. 0 or 1.
pair_setup()
{
	local d mac
	for d in wirtd wirt wirt-vmm; do
		[ -x "$pair_bin/$d" ] || { err "$pair_bin/$d is missing; run make (or set WIRT_BUILD)"; return 1; }
	done
	mkdir -p "$work/r" && chmod 755 "$work" || return 1
	"$pair_bin/wirtd" --root "$work/r" --foreground --cleanup 2>"$work/wirtd.err" &
	wirtd=$!
	for _ in $(seq 100); do "${pair_wirt[@]}" list >/dev/null 2>&1 && break; sleep 0.1; done
	cat >"$work/wbnet.xml" <<'EOF'
<network>
  <name>wbnet</name>
  <forward mode='nat'/>
  <bridge name='wbnet0'/>
  <ip address='10.78.0.1' netmask='255.255.255.0'/>
</network>
EOF
	"${pair_wirt[@]}" net-create "$work/wbnet.xml" >/dev/null ||
		{ err "wirt net-create of the network wbnet failed: $(cat "$work/wirtd.err")"; return 1; }
	for d in srv cli-vm cli-host; do
		mac=52:54:00:78:00:0$([ $d = srv ] && echo 2 || echo 3)
		cat >"$work/w$d.xml" <<EOF
<domain type='kvm'>
  <name>w$d</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <kernel>$KERNEL</kernel>
    <initrd>$work/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 $(pair_script "$d" 10.78.0)</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <interface type='network'>
      <mac address='$mac'/>
      <source network='wbnet'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'><source path='$work/w$d.log'/></serial>
  </devices>
</domain>
EOF
		"${pair_wirt[@]}" define "$work/w$d.xml" >/dev/null ||
			{ err "wirt define of w$d failed"; return 1; }
	done
	ip link add wbq0 type bridge && ip addr add 10.79.0.1/24 dev wbq0 &&
		ip link set wbq0 up && ip tuntap add dev wbq1 mode tap &&
		ip tuntap add dev wbq2 mode tap && ip link set wbq1 master wbq0 &&
		ip link set wbq2 master wbq0 && ip link set wbq1 up &&
		ip link set wbq2 up ||
		{ err "cannot create the bridge wbq0 with taps wbq1 and wbq2"; return 1; }
}

# pair_seen FILE: FILE holds iperf3's summary or an error (bash alone: no
# process is started, which would take CPU from the VMs under TCG)
pair_seen()
{
	local l
	while IFS= read -r l; do
		case "$l" in
		*sender* | *"iperf3: error"*) return 0 ;;
		esac
	done <"$1"
	return 1
}

# pair_wait FILE SECS: FILE gets iperf3's summary or an error within SECS,
# looked at every 2 s (the QEMU side waits for its client VM without any
# polling; this keeps the cost of waiting on wirt's side as small)
pair_wait()
{
	local i
	for ((i = 0; i < $2; i += 2)); do
		pair_seen "$1" 2>/dev/null && return 0
		sleep 2
	done
	return 1
}

# pair_qemu TAP ROLE LOG: QEMU's command line for ROLE on TAP into CMD
pair_qemu()
{
	CMD=(qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 256M -smp 1
		-nodefaults -no-user-config -display none -no-reboot
		-serial "file:$3" -kernel "$KERNEL" -initrd "$work/initrd.img"
		-append "console=ttyS0 quiet panic=-1 $(pair_script "$2" 10.79.0)"
		-netdev "tap,id=n0,ifname=$1,script=no,downscript=no,vhost=on"
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:79:00:0${1#wbq}")
}

# pair_run NAME: one measurement of NAME ({wirt,qemu}-{vm2vm,vm2host});
# prints the client's Mbit/s or "fail"
pair_run()
{
	local name=$1 side=${1%%-*} test=${1#*-} cli=cli-vm bind=10.79.0.1
	local log=$work/$1.log qs='' hs='' v
	[ "$test" = vm2host ] && cli=cli-host
	[ "$side" = wirt ] && bind=10.78.0.1
	if [ "$test" = vm2host ]; then
		iperf3 -s -1 -B "$bind" -p "$port" >"$work/srv.$name" 2>&1 &
		hs=$!
	fi
	if [ "$side" = wirt ]; then
		: >"$work/wsrv.log"
		: >"$work/w$cli.log"
		[ "$test" = vm2vm ] && "${pair_wirt[@]}" start wsrv >/dev/null
		"${pair_wirt[@]}" start "w$cli" >/dev/null
		pair_wait "$work/w$cli.log" "$tmo"
		"${pair_wirt[@]}" destroy "w$cli" >/dev/null 2>&1
		"${pair_wirt[@]}" destroy wsrv >/dev/null 2>&1
		cp "$work/w$cli.log" "$log"
	else
		if [ "$test" = vm2vm ]; then
			pair_qemu wbq1 srv "$work/qsrv.log"
			"${CMD[@]}" </dev/null >/dev/null 2>"$work/qsrv.err" &
			qs=$!
		fi
		pair_qemu wbq2 "$cli" "$log"
		timeout --signal=KILL "$tmo" "${CMD[@]}" </dev/null >/dev/null 2>"$work/err.$name"
		[ -n "$qs" ] && { kill "$qs" 2>/dev/null; wait "$qs" 2>/dev/null; }
	fi
	[ -n "$hs" ] && { kill "$hs" 2>/dev/null; wait "$hs" 2>/dev/null; }
	v=$(sender_mbits "$log")
	sender_retr "$log" >"$work/retr.$name"
	if [ -z "$v" ]; then
		err "$name: no iperf3 result; the last lines of its console:"
		tail -n 5 "$log" >&2
		echo fail
	else
		echo "$v"
	fi
}
