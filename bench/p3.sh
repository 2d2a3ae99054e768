#!/usr/bin/env bash
# P3: failover and configuration-change figures of a 3-node cluster on real Corosync, in network
# namespaces (tests/cluster/testcluster). Brings the cluster up, runs bench-p3-cluster against it,
# and always takes it down again. Needs root.
#
#   bench/p3.sh [ROUNDS=10 [SETS=1000 [CHANGES=2000]]]
#
# Environment: WP_BUILD_DIR (default build/release), TESTCLUSTER_DIR (default
# /tmp/wolfpack-bench-p3), TESTCLUSTER_PREFIX (default wpb), TESTCLUSTER_TOKEN etc. (Corosync
# tuning, see tests/cluster/README.md). P3_KEEP=1 leaves the cluster up after a failure.
# Exit: 0 ok, 1 failure (with the nodes' logs), 77 skipped (not root, no corosync).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$ROOT/tests/cluster/testcluster
export WP_BUILD_DIR=${WP_BUILD_DIR:-$ROOT/build/release}
export TESTCLUSTER_DIR=${TESTCLUSTER_DIR:-/tmp/wolfpack-bench-p3}
export TESTCLUSTER_PREFIX=${TESTCLUSTER_PREFIX:-wpb}
BENCH=$WP_BUILD_DIR/bin/bench-p3-cluster

[ "$(id -u)" = 0 ] || { echo "p3: SKIP: needs root (network namespaces)" >&2; exit 77; }
command -v corosync >/dev/null || { echo "p3: SKIP: corosync is not installed (./dev deps)" >&2; exit 77; }
[ -x "$BENCH" ] || { echo "p3: $BENCH is not built (cmake --build --preset release)" >&2; exit 1; }

RC=1
cleanup() {
	if [ "$RC" != 0 ]; then
		for n in n1 n2 n3; do
			echo "---- $n: wpctl log (last 30) ----" >&2
			timeout 10 "$T" run "$n" wpctl log 2>&1 | tail -30 >&2 || true
		done
		if [ -n "${P3_KEEP:-}" ]; then
			echo "p3: P3_KEEP set: cluster left in $TESTCLUSTER_DIR ('$T down' removes it)" >&2
			return
		fi
	fi
	"$T" down >/dev/null 2>&1 || "$T" down || true
}

"$T" down >/dev/null 2>&1 || true # leftovers of an interrupted run
trap cleanup EXIT
"$T" up 3 >/dev/null 2>&1 || { "$T" down >/dev/null 2>&1 || true; "$T" up 3; }
for n in n1 n2 n3; do
	"$T" wait-up "$n" 3 30000
done
echo "P3: 3-node cluster (Corosync in network namespaces, $TESTCLUSTER_DIR), wolfpackd from $WP_BUILD_DIR"
"$BENCH" "$TESTCLUSTER_DIR" "$T" "$@"
RC=0
