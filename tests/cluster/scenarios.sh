#!/bin/bash
# Many-node scenarios on a real Corosync cluster in network namespaces (tests/cluster/testcluster).
#
#   scenarios.sh NAME     run one scenario (CTest runs each as its own test); needs root
#   scenarios.sh list     the scenario names
#
# Every scenario:
#   - brings up 3 nodes, creates groups whose resources are real processes (`process` plugin,
#     `sleep`, with WPMARK=<group> in their environment);
#   - watches, all the time (every 20 ms, in the background), the real processes of every node
#     namespace: a group whose process runs in two node namespaces at once is a violation of
#     "no group online on two nodes";
#   - ends by checking that every running node has the same configuration (version and digest,
#     and the same groups, resources and owners).
# Exit: 0 pass, 1 fail, 77 skipped (not root, or no corosync).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
T=$HERE/testcluster
export TESTCLUSTER_DIR=${TESTCLUSTER_DIR:-/tmp/wolfpack-scenarios}
export TESTCLUSTER_PREFIX=${TESTCLUSTER_PREFIX:-wps}
export WP_BUILD_DIR=${WP_BUILD_DIR:-$(cd "$HERE/../.." && pwd)/build/debug}
WPCTL=$WP_BUILD_DIR/bin/wpctl
WATCH_PID=
VIOLATIONS=
FAILED=0

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
command -v corosync >/dev/null || { echo "SKIP: corosync is not installed (./dev deps)"; exit 77; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }
log() { echo "[$(date +%T.%3N)] $*"; }
fail() {
	log "FAIL: $*"
	FAILED=1
	for i in 1 2 3; do
		echo "---- n$i log (last 25) ----"
		sock n$i log 2>/dev/null | tail -25 || true
	done
	exit 1
}

sock() { # NODE wpctl-args... (talks to NODE's socket from the root namespace)
	local n=$1
	shift
	WOLFPACK_SOCKET=$TESTCLUSTER_DIR/$n/wolfpack.sock "$WPCTL" "$@"
}

status() { sock "$1" status --json; }

# the owner of GROUP as NODE sees it
owner_of() { # NODE GROUP
	status "$1" | grep -o "\"name\":\"$2\",\"state\":\"[^\"]*\",\"state_code\":-\?[0-9]*,\"owner_node\":\"[^\"]*\"" |
		sed 's/.*"owner_node":"\([^"]*\)"/\1/'
}
group_state() { # NODE GROUP
	status "$1" | grep -o "\"name\":\"$2\",\"state\":\"[^\"]*\"" | sed 's/.*"state":"\([^"]*\)"/\1/'
}

# poll CMD until it succeeds, at most MS milliseconds
wait_for() { # MS DESCRIPTION CMD...
	local ms=$1 what=$2 end
	shift 2
	end=$(($(now_ms) + ms))
	until "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -lt "$end" ] || fail "timed out after $ms ms waiting for: $what"
		sleep 0.05
	done
}

# the node namespace(s) where GROUP's process runs, e.g. "n2"
running_on() { # GROUP
	local f pid net out=
	for f in $(grep -l -z -x "WPMARK=$1" /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		net=$(readlink "/proc/$pid/ns/net" 2>/dev/null) || continue
		out="$out ${NETNODE[$net]:-?}"
	done
	echo $out
}
running_is() { [ "$(running_on "$1")" = "$2" ]; }
online_on() { # NODE-asked GROUP OWNER : the cluster says Online on OWNER, and the process runs there
	[ "$(group_state "$1" "$2")" = Online ] && [ "$(owner_of "$1" "$2")" = "$3" ] && running_is "$2" "$3"
}

declare -A NETNODE
start_watch() {
	local i
	for i in 1 2 3; do
		NETNODE["net:[$(stat -L -c %i "/run/netns/$TESTCLUSTER_PREFIX-n$i")]"]=n$i
	done
	VIOLATIONS=$TESTCLUSTER_DIR/violations
	: >"$VIOLATIONS"
	(
		declare -A seen
		while :; do
			seen=()
			for f in $(grep -l -z -E -x 'WPMARK=.+' /proc/[0-9]*/environ 2>/dev/null); do
				pid=${f#/proc/}
				pid=${pid%/environ}
				g=$(tr '\0' '\n' <"$f" 2>/dev/null | sed -n 's/^WPMARK=//p') || continue
				net=$(readlink "/proc/$pid/ns/net" 2>/dev/null) || continue
				n=${NETNODE[$net]:-?}
				[ -n "$g" ] || continue
				if [ -n "${seen[$g]:-}" ] && [ "${seen[$g]}" != "$n" ]; then
					echo "$(date +%T.%3N) group $g runs on ${seen[$g]} and $n at once" >>"$VIOLATIONS"
				fi
				seen[$g]=$n
			done
			sleep 0.02
		done
	) &
	WATCH_PID=$!
}

cleanup() {
	[ -z "$WATCH_PID" ] || kill "$WATCH_PID" 2>/dev/null || true
	if [ "$FAILED" = 1 ] && [ -n "${KEEP:-}" ]; then
		log "KEEP set: cluster left in $TESTCLUSTER_DIR"
		return
	fi
	"$T" down >/dev/null 2>&1 || "$T" down || true
}
trap cleanup EXIT

up() {
	"$T" down >/dev/null 2>&1 || true
	"$T" up 3 >/dev/null 2>&1 || { "$T" up 3 || true; fail "testcluster up 3"; }
	start_watch
}

mkgroup() { # NODE GROUP [extra group set args...]
	local n=$1 g=$2
	shift 2
	sock "$n" group create "$g" >/dev/null || fail "group create $g"
	[ $# = 0 ] || sock "$n" group set "$g" "$@" >/dev/null || fail "group set $g $*"
	sock "$n" resource create "$g-r" --type process --group "$g" \
		--param CommandLine="sleep 100000" --param Environment="WPMARK=$g" \
		--param StopTimeoutMs=2000 >/dev/null || fail "resource create $g-r"
	# a group is placed when it is created; PreferredOwners set afterwards apply from the next
	# placement, so put it on its first preferred owner by hand
	local first
	first=$(printf '%s\n' "$@" | sed -n 's/^PreferredOwners=\([^,]*\).*/\1/p')
	[ -z "$first" ] || sock "$n" group move "$g" --node "$first" >/dev/null || fail "group move $g $first"
	sock "$n" group online "$g" >/dev/null || fail "group online $g"
}

# every running node has the same configuration and the same owners
check_same_config() { # NODE...
	local n ref= cur
	for n in "$@"; do
		cur=$(status "$n" | sed 's/"nodes":\[[^]]*\]//; s/"state":"[^"]*","state_code":-\?[0-9]*,//g; s/"restart_count":[0-9]*//g; s/"node":"[^"]*",//; s/"quorate":[a-z]*,//')
		if [ -z "$ref" ]; then
			ref=$cur
		elif [ "$cur" != "$ref" ]; then
			echo "first: $ref"
			echo "$n:    $cur"
			fail "configuration of $n differs from $1"
		fi
	done
	local v1 v
	v1=$(sock "$1" log 2>/dev/null | grep -o 'configuration version [0-9]*' | tail -1)
	log "same configuration on: $* ($v1 at last sync of $1)"
}

finish() {
	kill "$WATCH_PID" 2>/dev/null || true
	WATCH_PID=
	if [ -s "$VIOLATIONS" ]; then
		cat "$VIOLATIONS"
		fail "a group ran on two nodes at once"
	fi
	log "PASS"
}

# ---------------------------------------------------------------- scenarios

# SIGKILL of a node (corosync + wolfpackd): its group comes online on a survivor
sc_kill_node() {
	up
	mkgroup n1 ga PreferredOwners=n1,n2,n3
	wait_for 10000 "ga online on n1" online_on n1 ga n1
	"$T" kill n1
	wait_for 10000 "ga online on n2 after n1 died" online_on n2 ga n2
	sock n2 log | grep -q 'ga: placed on node n2: node n1 is down' || fail "no placement reason in the log"
	sock n3 log | grep -q 'ga: placed on node n2: node n1 is down' || fail "placement not logged on n3"
	check_same_config n2 n3
	"$T" start n1 >/dev/null
	"$T" wait-up n1 3 20000
	check_same_config n1 n2 n3
	finish
}

# SIGKILL of wolfpackd only: corosync stays; the group moves, the old process is gone first
sc_kill_wolfpackd() {
	up
	mkgroup n1 gb PreferredOwners=n1,n2,n3
	wait_for 10000 "gb online on n1" online_on n1 gb n1
	"$T" kill-wolfpackd n1
	wait_for 10000 "gb online on n2" online_on n2 gb n2
	"$T" start n1 >/dev/null
	"$T" wait-up n2 3 20000
	check_same_config n1 n2 n3
	finish
}

# partition n3 away: it loses quorum and stops its group, which comes back on the majority;
# no configuration change is accepted on n3; after heal n3 converges to the majority's copy
sc_partition() {
	up
	mkgroup n1 gc PreferredOwners=n3,n1,n2
	wait_for 10000 "gc online on n3" online_on n1 gc n3
	"$T" partition n3
	wait_for 10000 "gc online on n1" online_on n1 gc n1
	if sock n3 group create gnope 2>/dev/null; then fail "n3 without quorum accepted a change"; fi
	sock n1 group create gmajority >/dev/null || fail "majority refused a change"
	wait_for 10000 "gc stopped on n3" running_is gc n1
	"$T" heal
	"$T" wait-up n3 3 20000
	check_same_config n1 n2 n3
	[ -z "$(sock n3 group show gnope 2>/dev/null)" ] || fail "n3's refused change exists"
	sock n3 group show gmajority >/dev/null || fail "n3 did not get the majority's change"
	finish
}

# clean stop of a node and rejoin
sc_stop_rejoin() {
	up
	mkgroup n2 gd PreferredOwners=n2,n3,n1
	wait_for 10000 "gd online on n2" online_on n1 gd n2
	"$T" stop n2
	wait_for 10000 "gd online on n3" online_on n1 gd n3
	"$T" start n2 >/dev/null
	"$T" wait-up n1 3 20000
	check_same_config n1 n2 n3
	online_on n2 gd n3 || fail "gd moved back without AutoFailbackType"
	finish
}

# all nodes start at once (a cold start of a configured cluster)
sc_cold_start() {
	up
	mkgroup n1 ge PreferredOwners=n2,n1,n3
	wait_for 10000 "ge online on n2" online_on n1 ge n2
	for n in n1 n2 n3; do "$T" kill $n; done
	[ -z "$(running_on ge)" ] || wait_for 5000 "ge process gone" running_is ge ""
	local pids=()
	for n in n1 n2 n3; do
		"$T" start $n >/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fail "testcluster start"; done
	for n in n1 n2 n3; do "$T" wait-up $n 3 30000; done
	wait_for 15000 "ge online again" online_on n3 ge n2
	check_same_config n1 n2 n3
	finish
}

# configuration changes while a node is away reach it when it comes back
sc_changes_while_away() {
	up
	"$T" kill n3
	"$T" wait-up n1 2 10000
	local i
	for i in 1 2 3 4 5; do sock n1 group create "away$i" >/dev/null || fail "create away$i"; done
	sock n2 group set away1 Description="changed while n3 was away" >/dev/null || fail "set"
	sock n1 group delete away5 >/dev/null || fail "delete"
	"$T" start n3 >/dev/null
	"$T" wait-up n3 3 20000
	sock n3 log | grep -q "configuration replaced by node" || fail "n3 did not take a snapshot"
	check_same_config n1 n2 n3
	[ "$(sock n3 group show away1 --json | grep -o 'changed while n3 was away')" ] || fail "n3 lacks a change"
	finish
}

# RestartAction 2 past RestartThreshold fails the group over; FailoverThreshold bounds it
sc_failover() {
	up
	mkgroup n1 gf PreferredOwners=n1,n2,n3 FailoverThreshold=1
	wait_for 10000 "gf online on n1" online_on n1 gf n1
	sock n1 resource set gf-r RestartThreshold=0 RestartDelay=0 >/dev/null || fail "set"
	sock n1 resource fail gf-r >/dev/null || fail "resource fail"
	wait_for 10000 "gf failed over to n2" online_on n1 gf n2
	sock n3 log | grep -q "gf: placed on node n2: failover (resource 'gf-r' exhausted its restarts)" || fail "failover not logged on n3"
	# a second failover within FailoverPeriod exceeds FailoverThreshold 1: stays Failed on n2
	sock n2 resource fail gf-r >/dev/null || fail "resource fail 2"
	wait_for 10000 "gf Failed on n2" bash -c "[ \"\$(WOLFPACK_SOCKET=$TESTCLUSTER_DIR/n1/wolfpack.sock $WPCTL status --json | grep -o '\"name\":\"gf\",\"state\":\"Failed\"')\" ]"
	sock n1 log | grep -q "gf: FailoverThreshold 1 within FailoverPeriod 6 h reached" || fail "threshold not logged"
	[ "$(owner_of n1 gf)" = n2 ] || fail "gf moved although FailoverThreshold was reached"
	check_same_config n1 n2 n3
	finish
}

# move to a node, move to the best node, AutoFailbackType 1 brings it back to its preferred owner
sc_move_failback() {
	up
	mkgroup n1 gg PreferredOwners=n1,n2,n3 AutoFailbackType=1
	wait_for 10000 "gg online on n1" online_on n1 gg n1
	sock n2 group move gg --node n3 >/dev/null || fail "move to n3"
	wait_for 10000 "gg on n3" online_on n1 gg n3
	# failback: n1 is the preferred owner and Up, so n3 hands it back (on its next check)
	"$T" kill n1
	"$T" wait-up n2 2 10000
	online_on n2 gg n3 || fail "gg moved although its node stayed"
	"$T" start n1 >/dev/null
	"$T" wait-up n1 3 20000
	wait_for 15000 "gg failed back to n1" online_on n2 gg n1
	sock n1 log | grep -q "gg: moving from node n3 to node n1: AutoFailbackType 1" || fail "failback not logged on n1"
	if sock n1 group move gg --node nosuch 2>/dev/null; then fail "move to unknown node accepted"; fi
	check_same_config n1 n2 n3
	finish
}

# pause with drain moves the node's groups away; a paused node gets none; resume
sc_pause_drain() {
	up
	mkgroup n1 gh PreferredOwners=n1,n2,n3
	mkgroup n1 gi PreferredOwners=n1,n3,n2
	wait_for 10000 "gh on n1" online_on n1 gh n1
	wait_for 10000 "gi on n1" online_on n1 gi n1
	sock n2 node pause n1 --drain >/dev/null || fail "pause --drain"
	wait_for 10000 "gh drained to n2" online_on n2 gh n2
	wait_for 10000 "gi drained to n3" online_on n2 gi n3
	status n3 | grep -q '"name":"n1","id":1,"state":"Paused"' || fail "n1 not Paused"
	if sock n1 group move gh --node n1 2>/dev/null; then fail "move to a paused node accepted"; fi
	sock n1 node resume n1 >/dev/null || fail "resume"
	"$T" wait-up n3 3 10000
	sock n3 group move gh --node n1 >/dev/null || fail "move back after resume"
	wait_for 10000 "gh back on n1" online_on n3 gh n1
	check_same_config n1 n2 n3
	finish
}

SCENARIOS="kill_node kill_wolfpackd partition stop_rejoin cold_start changes_while_away failover move_failback pause_drain"

case "${1:-}" in
list) echo "$SCENARIOS" | tr ' ' '\n' | tr _ - ;;
"") echo "usage: $0 NAME|list" >&2; exit 2 ;;
*)
	name=${1//-/_}
	grep -qw "$name" <<<"$SCENARIOS" || { echo "unknown scenario '$1'" >&2; exit 2; }
	log "scenario $1"
	"sc_$name"
	;;
esac
