#!/usr/bin/env bash
# Installs the build into a temporary prefix, checks the layout the plugin ABI promises, builds
# a plugin out of tree with pkg-config, and runs it with the installed wp-restest (which must
# find the installed wp-resmon on its own).
set -euo pipefail
build=$1
src=$2
prefix=$(mktemp -d /tmp/wp-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in libexec/wolfpack/wp-resmon bin/wp-restest lib/wolfpack/plugins/dummy.so \
	lib/wolfpack/plugins/process.so include/wolfpack/resapi.h \
	include/wolfpack/compat/resapi.h lib/pkgconfig/wolfpack-plugin.pc; do
	[ -e "$prefix/$f" ] || { echo "missing after install: $f"; exit 1; }
done
# Test-only plugins stay out of an installation.
[ ! -e "$prefix/lib/wolfpack/plugins/compat-dummy.so" ] || { echo "compat-dummy installed"; exit 1; }

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(realpath "$(pkg-config --variable=plugindir wolfpack-plugin)")" = "$(realpath "$prefix/lib/wolfpack/plugins")" ]
mkdir "$prefix/out"
# shellcheck disable=SC2046
cc -shared -Wall -Werror -o "$prefix/out/compat-dummy.so" \
	"$src/plugins/compat-dummy/compat-dummy.c" $(pkg-config --cflags --libs wolfpack-plugin)
# Only the startup symbol is exported. (Output is captured before matching: with pipefail,
# "producer | grep -q" fails whenever grep exits before the producer has written it all.)
symbols=$(nm -D --defined-only "$prefix/out/compat-dummy.so")
grep -q ' wp_resource_startup$' <<<"$symbols"
[ "$(grep -c ' T ' <<<"$symbols")" = 1 ]

# The two WSFC compat headers go together in either order.
printf '#include <wolfpack/compat/resapi.h>\n#include <wolfpack/compat/clusapi.h>\n' >"$prefix/out/a.c"
printf '#include <wolfpack/compat/clusapi.h>\n#include <wolfpack/compat/resapi.h>\n' >"$prefix/out/b.c"
for f in a b; do
	# shellcheck disable=SC2046
	cc -fsyntax-only -Wall -Werror -I"$prefix/include" "$prefix/out/$f.c" ||
		{ echo "compat headers do not compile in order $f"; exit 1; }
done

out=$("$prefix/bin/wp-restest" "$prefix/out/compat-dummy.so" --type compat-dummy --name oot \
	--run-for 100)
grep -q '"event":"online"\|"event": "online"' <<<"$out"
grep -q '"expected":true\|"expected": true' <<<"$(tail -1 <<<"$out")"
# The cluster service from the installed tree: wolfpackd finds libexec/wolfpack/wp-resmon and
# lib/wolfpack/plugins on its own, and the installed wpctl finds lib/libwolfpack.so.
for f in sbin/wolfpackd bin/wpctl lib/libwolfpack.so.0 include/wolfpack/clusapi.h \
	include/wolfpack/compat/clusapi.h; do
	[ -e "$prefix/$f" ] || { echo "missing after install: $f"; exit 1; }
done
state=$prefix/state
"$prefix/sbin/wolfpackd" --foreground --state-dir "$state" --socket "$state/sock" 2>"$prefix/daemon.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$prefix"' EXIT
for _ in $(seq 200); do [ -S "$state/sock" ] && break; sleep 0.05; done
wpctl() { "$prefix/bin/wpctl" --socket "$state/sock" "$@"; }
wpctl group create g
wpctl resource create r --type dummy --group g
wpctl resource online r --wait || { echo "installed daemon could not bring a dummy online"; cat "$prefix/daemon.log"; exit 1; }
shown=$(wpctl --json resource show r)
[[ $shown == *'"state":"Online"'* ]]
grep -q "libexec/wolfpack/wp-resmon\|Resource Monitor started" "$prefix/daemon.log"
echo "install layout, out-of-tree plugin, installed wp-restest, wolfpackd and wpctl: ok"
