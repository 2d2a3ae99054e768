#!/bin/bash
# smoke.sh - smoke test of the test harness: a 3-node cluster, kill/restart a node, partition/heal.
# Run as root. Exit 0 pass, 1 fail, 77 skip (not root / no corosync). The cluster is always removed.
# Environment: everything testcluster takes (TESTCLUSTER_DIR, WP_BUILD_DIR, ...).
set -euo pipefail

TC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/testcluster
WAIT_MS=${SMOKE_WAIT_MS:-15000}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
step() { printf '[smoke %s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }

# testcluster skips (77) when not root or corosync is missing: pass that on without a trap
if [ "$(id -u)" != 0 ]; then
	echo "smoke: SKIP: must run as root" >&2
	exit 77
fi
command -v corosync >/dev/null 2>&1 || { echo "smoke: SKIP: corosync not installed ('$TC deps')" >&2; exit 77; }

cleanup() {
	local r=$?
	trap - EXIT
	if [ "$r" != 0 ]; then
		step "FAILED (exit $r); cluster state before teardown:"
		"$TC" status 2>&1 | sed 's/^/    /' || true
		[ -n "${TESTCLUSTER_KEEP:-}" ] && { step "TESTCLUSTER_KEEP set: not tearing down"; exit "$r"; }
	fi
	"$TC" down || { echo "smoke: down failed" >&2; r=1; }
	exit "$r"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$TC" down # leftovers of an earlier, interrupted run

t=$(now_ms)
step "up 3"
"$TC" up 3
"$TC" wait-members n1 3 "$WAIT_MS"
step "3 members after $(($(now_ms) - t)) ms from up"

t=$(now_ms)
"$TC" kill n3
"$TC" wait-members n1 2 "$WAIT_MS"
kill_ms=$(($(now_ms) - t))
step "kill n3 -> n1 sees 2 members: ${kill_ms} ms"

t=$(now_ms)
"$TC" start n3
"$TC" wait-members n1 3 "$WAIT_MS"
step "start n3 -> n1 sees 3 members: $(($(now_ms) - t)) ms"

t=$(now_ms)
"$TC" partition n3
"$TC" wait-members n1 2 "$WAIT_MS"
step "partition n3 -> n1 sees 2 members: $(($(now_ms) - t)) ms"
"$TC" wait-members n3 1 "$WAIT_MS"
step "partition n3 -> n3 alone: $(($(now_ms) - t)) ms"

t=$(now_ms)
"$TC" heal
"$TC" wait-members n1 3 "$WAIT_MS"
"$TC" wait-members n3 3 "$WAIT_MS"
step "heal -> 3 members on n1 and n3: $(($(now_ms) - t)) ms"

"$TC" down
trap - EXIT
step "PASS (kill -> membership ${kill_ms} ms)"
echo "KILL_TO_MEMBERSHIP_MS=$kill_ms"
