#!/usr/bin/env bash
# wpctl against a real wolfpackd (docs/wpctl.md): status, nodes, cluster properties, type list,
# groups and resources, properties, usage errors, online/offline/fail with --wait, dependencies, delete, the log,
# events and --json. Only grep/awk: no python, no jq.
set -euo pipefail
build=$1
src=$2
[ -d "$src" ] || { echo "no source dir $src"; exit 1; }

wpctl_bin=$build/bin/wpctl
tmp=$(mktemp -d /tmp/wp-wpctl-XXXXXX)
sock=$tmp/sock
daemon=
events_pid=

cleanup() {
	if [ -n "$events_pid" ]; then
		kill "$events_pid" 2>/dev/null || true
		wait "$events_pid" 2>/dev/null || true
	fi
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -s "$tmp/daemon.log" ]; then
		echo "--- wolfpackd stderr (last 40 lines) ---" >&2
		tail -n 40 "$tmp/daemon.log" >&2
	fi
	exit 1
}

# run ARGS...: runs wpctl on our socket; sets out, err, rc (never exits).
run() {
	set +e
	out=$("$wpctl_bin" --socket "$sock" "$@" 2>"$tmp/stderr")
	rc=$?
	set -e
	err=$(cat "$tmp/stderr")
}

# expect RC ARGS...: runs wpctl and fails unless it exits RC.
expect() {
	local want=$1
	shift
	run "$@"
	[ "$rc" = "$want" ] ||
		fail "wpctl $*: exit $rc, wanted $want
stdout: $out
stderr: $err"
}

# has TEXT WHAT: fails unless $out contains TEXT (fixed string).
has() {
	grep -qF -- "$1" <<<"$out" || fail "$2: no '$1' in:
$out"
}

# json_num KEY: the number after the first "KEY": in $out (empty if none). sed reads all its
# input: an early-exiting reader (head) can SIGPIPE grep, which pipefail turns into a failure.
json_num() {
	grep -o "\"$1\":-\?[0-9]*" <<<"$out" | sed -n '1s/.*://p' || true
}

# ---- the daemon ----------------------------------------------------------------------------

"$build/bin/wolfpackd" --foreground --state-dir "$tmp/state" --socket "$sock" \
	2>"$tmp/daemon.log" &
daemon=$!
for _ in $(seq 1 500); do
	[ -S "$sock" ] && break
	kill -0 "$daemon" 2>/dev/null || fail "wolfpackd exited during startup"
	sleep 0.02
done
[ -S "$sock" ] || fail "wolfpackd did not create its socket $sock within 10 s"
# The socket may exist a moment before it answers: wait for a successful status.
for _ in $(seq 1 250); do
	run status
	[ "$rc" = 0 ] && break
	sleep 0.02
done

# ---- status, type list ---------------------------------------------------------------------

expect 0 status
node=$(hostname | cut -d. -f1)
has "Nodes:" "status"
has "Groups:" "status"
has "Resources:" "status"
# The one node is listed Up under Nodes: (the line after the NAME ID STATE GROUPS LOCAL
# header): id 0, no group count (a one-node cluster does not count), the local node.
awk '/^Nodes:/ { n = 1; next } n == 1 && /^NAME/ { n = 2; next } n == 2 { print; exit }' \
	<<<"$out" | grep -qE '^[^ ]+ +0 +Up +- +yes$' || fail "status: no node line 'NAME 0 Up - yes' under Nodes:
$out"
status_node=$(awk '/^Nodes:/ { n = 1; next } n == 1 && /^NAME/ { n = 2; next } n == 2 { print $1; exit }' <<<"$out")
[ "$status_node" = "$node" ] || [ "$status_node" = "$(hostname)" ] ||
	fail "status: node '$status_node' is not this host ($(hostname))"
grep -qE "^Local node: +$status_node\$" <<<"$out" || fail "status: no 'Local node: $status_node' line:
$out"
grep -qE '^Quorate: +yes$' <<<"$out" || fail "status: no 'Quorate: yes' line:
$out"

# WOLFPACK_SOCKET is the default socket.
set +e
WOLFPACK_SOCKET=$sock "$wpctl_bin" status >"$tmp/envstatus" 2>&1
envrc=$?
set -e
[ "$envrc" = 0 ] && grep -q "^Nodes:" "$tmp/envstatus" ||
	fail "WOLFPACK_SOCKET=$sock wpctl status: exit $envrc: $(cat "$tmp/envstatus")"

expect 0 type list
grep -qE '^process +[^ ]+' <<<"$out" || fail "type list: no process type in:
$out"
grep -qE '^dummy +[^ ]+' <<<"$out" || fail "type list: no dummy type in:
$out"

# ---- nodes, cluster properties ------------------------------------------------------------

expect 0 node list
[ "$(head -n 1 <<<"$out" | tr -s ' ')" = "NAME ID STATE GROUPS LOCAL" ] ||
	fail "node list: header is not NAME ID STATE GROUPS LOCAL:
$out"
# One node (header, one row, the quorum line), Up, local.
[ "$(wc -l <<<"$out")" = 3 ] || fail "node list: not exactly one node:
$out"
grep -qE "^$status_node +0 +Up +- +yes\$" <<<"$out" || fail "node list: no '$status_node 0 Up - yes' row:
$out"
[ "$(tail -n 1 <<<"$out")" = "quorate: yes" ] || fail "node list: last line is not 'quorate: yes':
$out"
expect 0 node list --json
[ "$(wc -l <<<"$out")" = 1 ] || fail "node list --json is not one line: $out"
has "\"node\":\"$status_node\"" "node list --json"
has '"quorate":true' "node list --json"
has "\"nodes\":[{\"name\":\"$status_node\"" "node list --json"
has '"state":"Up"' "node list --json"
grep -qF '"ok"' <<<"$out" && fail "node list --json includes ok: $out"
expect 0 --json status
has "\"node\":\"$status_node\"" "--json status"
has '"quorate":true' "--json status"

# A one-node cluster cannot pause its only node: refused (exit 1), with the reason.
for args in "$status_node" "$status_node --drain"; do
	# shellcheck disable=SC2086 # args is the node name and maybe --drain
	expect 1 node pause $args
	grep -qE "^wpctl: node '$status_node': .*one-node cluster cannot pause" <<<"$err" ||
		fail "node pause $args on one node: unclear message: $err"
	[ -z "$out" ] || fail "refused node pause printed on stdout: $out"
done
expect 1 node resume "$status_node"
grep -q "^wpctl: node '$status_node': " <<<"$err" || fail "node resume on one node: no message: $err"
expect 0 node list
grep -qE "^$status_node +0 +Up " <<<"$out" || fail "node not Up after a refused pause:
$out"

expect 0 cluster set FencingCommand=/bin/true
[ -z "$out" ] || fail "cluster set printed '$out' (changes print nothing)"
expect 0 log
has "FencingCommand set to '/bin/true'" "log after cluster set"
expect 0 cluster set "FencingCommand=/usr/bin/env true"
expect 0 cluster set FencingCommand=
expect 1 cluster set Foo=1
grep -q "^wpctl: .*Foo" <<<"$err" || fail "cluster set Foo=1: message does not name Foo: $err"

# ---- groups, resources, properties ---------------------------------------------------------

expect 0 group create g
expect 0 resource create r --type dummy --group g --param K=V
[ -z "$out" ] || fail "resource create printed '$out' (changes print nothing)"
expect 1 resource create r --type dummy --group g
# Initializing right after creation (docs/concepts.md), Offline once its monitor opened it.
deadline=$((SECONDS + 10))
until expect 0 resource show r --json && grep -qF '"state":"Offline"' <<<"$out"; do
	[ "$SECONDS" -lt "$deadline" ] || fail "new resource r not Offline within 10 s: $out"
	sleep 0.02
done
expect 0 status
grep -qE '^r +dummy +g +Offline ' <<<"$out" || fail "status: no 'r dummy g Offline' row in:
$out"
expect 0 resource get r K
[ "$out" = "V" ] || fail "resource get r K printed '$out', wanted V"

expect 0 resource set r RestartDelay=0
expect 0 resource get r RestartDelay
[ "$out" = "0" ] || fail "resource get r RestartDelay printed '$out' after set to 0"
expect 0 resource set r RestartDelay=250
expect 0 resource get r RestartDelay
[ "$out" = "250" ] || fail "resource get r RestartDelay printed '$out' after set to 250"
expect 0 resource set r RestartDelay=0

expect 1 resource set r RestartAction=9
grep -q "RestartAction" <<<"$err" || fail "set RestartAction=9: message does not name it: $err"
grep -q "^wpctl: " <<<"$err" || fail "set RestartAction=9: message without 'wpctl: ': $err"
expect 0 resource get r RestartAction
[ "$out" = "2" ] || fail "RestartAction is '$out' after a refused set (default 2)"

# ---- usage errors --------------------------------------------------------------------------

expect 2 frobnicate
[ -n "$err" ] || fail "unknown command: no message"
expect 2 resource frobnicate r
expect 2 resource create
expect 2 resource show
expect 2 resource online
expect 2 resource create x --type dummy
expect 2 resource online r --bogus-option
expect 2 resource set r restartdelay=5
expect 2 node
expect 2 node frobnicate
expect 2 node pause
expect 2 node resume
expect 2 node pause a b
expect 2 node pause a --bogus
expect 2 node resume a --drain
expect 2 node list extra
expect 2 node list --drain
expect 2 cluster
expect 2 cluster frobnicate
expect 2 cluster set
expect 2 cluster set FencingCommand
expect 2 cluster set =x
[ -n "$err" ] || fail "cluster set =x: no message"
expect 0 node --help
has "node pause NAME [--drain]" "node --help"
expect 0 cluster --help
has "FencingCommand" "cluster --help"
# None of these created anything.
expect 1 resource show x

# ---- online, show --json -------------------------------------------------------------------

expect 0 resource online r --wait
expect 0 resource show r --json
[ "$(wc -l <<<"$out")" = 1 ] || fail "show --json is not one line: $out"
has '"state":"Online"' "show --json after online --wait"
has '"name":"r"' "show --json"
has '"type":"dummy"' "show --json"
has '"group":"g"' "show --json"
has '"owner_node":"' "show --json"
has '"restart_count":0' "show --json"
has '"last_failure":null' "show --json"
has '"properties":{' "show --json"
has '"params":{"K":"V"}' "show --json"
has '"RestartDelay":0' "show --json properties"
# --json anywhere on the line is the same as before the command.
expect 0 --json resource show r
has '"state":"Online"' "--json resource show"
expect 0 resource show r
grep -qE '^state: +Online$' <<<"$out" || fail "show: no 'state: Online' line in:
$out"

# ---- fail --wait: the restart policy restarts it -------------------------------------------

expect 0 resource fail r --wait
deadline=$((SECONDS + 15))
while :; do
	expect 0 resource show r --json
	if [ "$(json_num restart_count)" = 1 ] && grep -qF '"state":"Online"' <<<"$out"; then
		break
	fi
	[ "$SECONDS" -lt "$deadline" ] ||
		fail "after fail --wait: no restart_count 1 and Online within 15 s: $out"
	sleep 0.05
done
grep -qE '"last_failure":\{[^}]*"source":"fail"' <<<"$out" ||
	fail "after fail: last_failure.source is not \"fail\": $out"
expect 0 status
grep -qE '^r +dummy +g +Online +[^ ]+ +1$' <<<"$out" || fail "status: no 'r ... Online ... 1' row:
$out"

# ---- dependencies --------------------------------------------------------------------------

for x in a b c; do
	expect 0 resource create "$x" --type dummy --group g
done
expect 0 resource create top --type dummy --group g
expect 0 resource depend top '(' '[a]   OR [b]' ')' AND '[c]'
expect 0 resource show top --json
has '"dependency_expression":"([a] or [b]) and [c]"' "canonical dependency expression"
expect 0 resource show top
grep -qE '^dependencies: +\(\[a\] or \[b\]\) and \[c\]$' <<<"$out" ||
	fail "show: dependencies not in canonical form:
$out"
# A cycle and a duplicate are refused, and the expression stays.
expect 1 resource depend c '[top]'
grep -qi "circular" <<<"$err" || fail "cycle: message does not say circular: $err"
expect 1 resource depend top --add c
expect 1 resource depend top '[a] or [b]'
expect 0 resource show top --json
has '"dependency_expression":"([a] or [b]) and [c]"' "expression after refused changes"
expect 1 resource depend top '[nosuch]'
expect 0 resource depend top --add r
expect 0 resource show top --json
has '"dependency_expression":"([a] or [b]) and [c] and [r]"' "--add"
expect 0 resource depend top ''
expect 0 resource show top --json
has '"dependency_expression":""' "empty expression"

# ---- offline, delete -----------------------------------------------------------------------

expect 1 resource delete r
grep -q "r" <<<"$err" || fail "delete of an online resource: no message: $err"
expect 0 resource show r --json
has '"state":"Online"' "refused delete"
expect 0 resource offline r --wait
expect 0 resource show r --json
has '"state":"Offline"' "after offline --wait"
expect 0 resource delete r
expect 1 resource show r
expect 1 resource delete r

# ---- log -----------------------------------------------------------------------------------

expect 0 log --resource r
has "restart 1 of" "log --resource r"
grep -vqE '^[^ ]+ +[a-z]+ +r: ' <<<"$out" && fail "log --resource r has lines about others:
$out"
expect 0 log --resource r --limit 0
[ -z "$out" ] || fail "log --limit 0 printed: $out"

# ---- events --------------------------------------------------------------------------------

expect 0 resource create ev --type dummy --group g
"$wpctl_bin" --socket "$sock" events --filter resource-state --count 1 --timeout 5000 \
	>"$tmp/events.out" 2>"$tmp/events.err" &
events_pid=$!
# The command subscribes some time after it starts: cycle the resource until it reports one.
deadline=$((SECONDS + 30))
while kill -0 "$events_pid" 2>/dev/null; do
	[ "$SECONDS" -lt "$deadline" ] || fail "events: no exit within 30 s of state changes"
	expect 0 resource online ev --wait
	kill -0 "$events_pid" 2>/dev/null || break
	expect 0 resource offline ev --wait
done
set +e
wait "$events_pid"
evrc=$?
set -e
events_pid=
[ "$evrc" = 0 ] || fail "events --count 1: exit $evrc: $(cat "$tmp/events.out" "$tmp/events.err")"
[ "$(wc -l <"$tmp/events.out")" = 1 ] || fail "events --count 1 printed not one line:
$(cat "$tmp/events.out")"
grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} resource_state ev (OnlinePending|Online|OfflinePending|Offline)$' \
	"$tmp/events.out" || fail "events: unexpected line: $(cat "$tmp/events.out")"

# Nothing happens: --timeout without --follow exits 1.
expect 1 events --filter resource-state --count 1 --timeout 200

# ---- --json status, a wrong socket ---------------------------------------------------------

expect 0 --json status
[ "$(wc -l <<<"$out")" = 1 ] || fail "--json status is not one line: $out"
grep -qE '^\{.*\}$' <<<"$out" || fail "--json status is not an object: $out"
has '"resources":[' "--json status"
has '"nodes":[' "--json status"
has '"groups":[' "--json status"
has '"name":"ev"' "--json status"
grep -qF '"ok"' <<<"$out" && fail "--json status includes ok: $out"

set +e
out=$("$wpctl_bin" --socket "$tmp/no-such-socket" status 2>"$tmp/stderr")
rc=$?
set -e
err=$(cat "$tmp/stderr")
[ "$rc" = 1 ] || fail "wrong --socket: exit $rc, wanted 1"
grep -q "no-such-socket" <<<"$err" || fail "wrong --socket: message does not name the socket: $err"
[ -z "$out" ] || fail "wrong --socket printed on stdout: $out"

kill -0 "$daemon" 2>/dev/null || fail "wolfpackd died during the test"
# A clean stop: SIGTERM is exit 0 (under the sanitizers also: no leak, no error report).
kill -TERM "$daemon"
set +e
wait "$daemon"
drc=$?
set -e
daemon=
[ "$drc" = 0 ] || fail "wolfpackd exited with $drc on SIGTERM"
! grep -qE 'Sanitizer|runtime error' "$tmp/daemon.log" || fail "sanitizer report from wolfpackd"
echo "test-wpctl: all checks passed"
