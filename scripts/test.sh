#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs
# every test with the race detector. Usage: scripts/test.sh [go test flags...]
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# PostgreSQL 15 server binaries: the postgres package's tests start a throwaway server.
[ -x /usr/lib/postgresql/15/bin/postgres ] || need_apt+=(postgresql-15)
# python3: DaCapo round-trip tests load exported pickles with it.
command -v python3 >/dev/null || need_apt+=(python3)
# Headless Chromium: the dashboard's browser tests.
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "installing: ${need_apt[*]}" >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

go test -race -count=1 -timeout 30m "$@" ./...

# The Python client's tests start the real server (built once here).
bin=$(mktemp -d)/statstore
go build -o "$bin" ./cmd/statstore
(cd python && STATSTORE_BIN="$bin" python3 -m unittest -v)
rm -rf "$(dirname "$bin")"
