#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs
# every suite: the Go tests with the race detector, then the Python client's
# tests against the real server. A failing suite does not stop the others:
# each runs, and the script exits non-zero at the end when any failed,
# naming them. Usage: scripts/test.sh [go test flags...]
set -uo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# PostgreSQL 15 server binaries: the postgres package's tests start a throwaway server.
[ -x /usr/lib/postgresql/15/bin/postgres ] || need_apt+=(postgresql-15)
# python3: DaCapo round-trip tests load exported pickles with it.
command -v python3 >/dev/null || need_apt+=(python3)
# setuptools, wheel and pip for Debian's python3: python/test_packaging.py
# builds `pip install ./python` offline with them.
/usr/bin/python3 -c 'import setuptools, wheel, pip' 2>/dev/null || need_apt+=(python3-setuptools python3-wheel python3-pip)
# Headless Chromium: the dashboard's browser tests.
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "installing: ${need_apt[*]}" >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	if ! { $SUDO apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null; }; then
		echo "test.sh: could not install ${need_apt[*]}; the tests that need them will say so" >&2
	fi
fi

failed=()

# run NAME COMMAND...: runs one suite, remembers it when it fails.
run() {
	local name=$1
	shift
	echo "=== suite: $name" >&2
	if ! "$@"; then
		failed+=("$name")
	fi
}

run "go test -race" go test -race -count=1 -timeout 25m "$@" ./...

# The Python client's tests start the real server (built once here).
python_suite() {
	local dir status
	dir=$(mktemp -d) || return 1
	if ! go build -o "$dir/statstore" ./cmd/statstore; then
		rm -rf "$dir"
		return 1
	fi
	# timeout: a test that hangs fails the suite instead of stalling it.
	(cd python && STATSTORE_BIN="$dir/statstore" timeout 900 python3 -m unittest -v)
	status=$?
	rm -rf "$dir"
	return $status
}
run "python unittest" python_suite

if [ ${#failed[@]} -gt 0 ]; then
	printf 'test.sh: FAILED: %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "test.sh: every suite passed" >&2
