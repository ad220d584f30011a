# Shell test helpers shared by the tier scripts (sourced, bash).
# A test case runs a command, then asserts on its status and output.
# At the end, check_summary prints "N passed, M failed" and sets the status.

CHECK_PASS=0
CHECK_FAIL=0
CHECK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/wirt-test.XXXXXX")
# for copies that other users can reach (see check_world_copy)
CHECK_WORLD=$(mktemp -d /tmp/wirt-world.XXXXXX) && chmod 755 "$CHECK_WORLD"
trap 'rm -rf "$CHECK_WORLD"' EXIT
# wirt-vmm started as root drops to its sandbox user, which must reach the
# files it creates later (migrate file:, snapshots): the scratch directory
# is that user's, as a libvirt-style image directory would be.
if [ "$(id -u)" = 0 ] && getent passwd wirt-vmm >/dev/null; then
	chown wirt-vmm: "$CHECK_TMP"
fi
# CHECK_KEEP=1 keeps the files of a run for a look afterwards
[ -n "${CHECK_KEEP:-}" ] || trap 'rm -rf "$CHECK_TMP" "$CHECK_WORLD"' EXIT

# check_world_copy FILE : print the path of a copy of FILE that any user can
# read and run. Cases that run a program as another user need it: the
# checkout may sit where that user cannot enter (a clone in /root, mode 0700).
check_world_copy() {
	local dst
	dst=$CHECK_WORLD/$(basename "$1")
	{ [ -e "$dst" ] || cp "$1" "$dst"; } && chmod a+rX "$dst" && printf '%s\n' "$dst"
}

# run_case NAME TIMEOUT STDIN_FILE CMD... : run CMD, keep stdout, stderr and
# status in $CHECK_TMP/NAME.{out,err,rc}. STDIN_FILE may be /dev/null.
run_case() {
	local name=$1 to=$2 in=$3
	shift 3
	CASE=$name
	local t0=$(date +%s.%N)
	timeout --signal=KILL "$to" "$@" <"$in" >"$CHECK_TMP/$name.out" 2>"$CHECK_TMP/$name.err"
	echo $? >"$CHECK_TMP/$name.rc"
	CASE_SECS=$(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $t0 }")
}

_fail() {
	CHECK_FAIL=$((CHECK_FAIL + 1))
	echo "FAIL $CASE: $*"
	echo "---- stdout (last 25 lines)"
	tail -n 25 "$CHECK_TMP/$CASE.out" | cat -v
	echo "---- stderr (last 25 lines)"
	tail -n 25 "$CHECK_TMP/$CASE.err" | cat -v
	echo "----"
}

_pass() {
	CHECK_PASS=$((CHECK_PASS + 1))
	echo "ok   $CASE: $*"
}

# expect_status N : the case exited with status N
expect_status() {
	local rc=$(cat "$CHECK_TMP/$CASE.rc")
	if [ "$rc" = "$1" ]; then _pass "exit status $1"; else _fail "exit status $rc, expected $1"; fi
}

# expect_out REGEX [DESC] : stdout has a line matching REGEX (grep -E)
expect_out() {
	if tr -d '\r' <"$CHECK_TMP/$CASE.out" | grep -Eq -- "$1"; then _pass "stdout has /$1/"; else _fail "stdout lacks /$1/"; fi
}

# expect_no_out REGEX : stdout has no line matching REGEX
expect_no_out() {
	if tr -d '\r' <"$CHECK_TMP/$CASE.out" | grep -Eq -- "$1"; then _fail "stdout has /$1/"; else _pass "stdout lacks /$1/"; fi
}

# expect_err REGEX : stderr has a line matching REGEX
expect_err() {
	if grep -Eq -- "$1" "$CHECK_TMP/$CASE.err"; then _pass "stderr has /$1/"; else _fail "stderr lacks /$1/"; fi
}

# expect_err_lines N : stderr has at most N lines (errors are one line)
expect_err_lines() {
	local n=$(grep -vc '^wirt-vmm: warning: this host.s KVM is PVM' "$CHECK_TMP/$CASE.err")
	if [ "$n" -le "$1" ]; then _pass "stderr has $n line(s)"; else _fail "stderr has $n lines, expected at most $1"; fi
}

# out_value KEY : the value after "KEY: " on the last stdout line carrying it
out_value() {
	tr -d '\r' <"$CHECK_TMP/$CASE.out" | sed -n "s/^$1: //p" | tail -n 1
}

# expect_eq ACTUAL EXPECTED DESC
expect_eq() {
	if [ "$1" = "$2" ]; then _pass "$3 = $2"; else _fail "$3 = '$1', expected '$2'"; fi
}

check_summary() {
	echo "$CHECK_PASS passed, $CHECK_FAIL failed"
	[ "$CHECK_FAIL" -eq 0 ]
}
