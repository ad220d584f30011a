# Sourced by the suites that drive wirtd, after tests/lib/check.sh with B
# (the build directory) set: R, wirtd's --root under the test's directory;
# WIRT and wirt, the client on it; start_wirtd; and an EXIT trap that kills
# wirtd and the wirt-vmm processes it started, and removes the test's files.
R=$CHECK_TMP/r
mkdir -p "$R"
WIRTD=
trap 'kill -9 $WIRTD 2>/dev/null; [ -z "$WIRTD" ] || wait $WIRTD 2>/dev/null; pkill -9 -f -- "--api-socket $R/" 2>/dev/null; rm -rf "$CHECK_TMP" "$CHECK_WORLD"' EXIT

WIRT=("$B/wirt" --root "$R")
wirt() { "${WIRT[@]}" "$@"; }

# start_wirtd: wirtd in the foreground of a background job, WIRTD its pid;
# returns once its socket answers
start_wirtd() {
	"$B/wirtd" --root "$R" --foreground 2>>"$CHECK_TMP/wirtd.err" &
	WIRTD=$!
	for _ in $(seq 100); do
		"${WIRT[@]}" list >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "wirtd did not open its socket:" && cat "$CHECK_TMP/wirtd.err"
}
