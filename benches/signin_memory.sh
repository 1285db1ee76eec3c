#!/usr/bin/env bash
# Resident memory of the server during and after sustained sign-in bursts,
# and the sign-in rate it keeps up. Runs the release binary on a fresh data
# directory on 127.0.0.1 and drives it with `hey` (Debian package `hey`).
#
#   benches/signin_memory.sh [seconds per burst] [concurrency ...]
#   BIN=path/to/clinicbox benches/signin_memory.sh 20 4 16 64
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_BURST=${1:-20}
shift || true
LEVELS=("$@")
[ ${#LEVELS[@]} -gt 0 ] || LEVELS=(4 16 64)
BIN=${BIN:-target/release/clinicbox}
PORT=${PORT:-18181}
EMAIL=load@clinic.test
PASSWORD='correct horse battery staple'

command -v hey >/dev/null || { echo "this needs hey: apt-get install hey" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release --locked

DATA=$(mktemp -d)
printf '%s\n' "$PASSWORD" | "$BIN" admin create --data "$DATA" --email "$EMAIL" --name Load --password-stdin >/dev/null
CLINICBOX_LOG=warn "$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
done

rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$PID/status"; }

echo "binary: $BIN"
echo "idle RSS: $(rss_mib) MiB"
printf '%-12s %-12s %-16s %-16s\n' concurrency sign-ins/s "peak RSS (MiB)" "RSS after (MiB)"
BODY="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
for level in "${LEVELS[@]}"; do
    peak_file=$(mktemp)
    echo 0 > "$peak_file"
    ( while kill -0 $PID 2>/dev/null; do
          now=$(rss_mib); [ "$now" -gt "$(cat "$peak_file")" ] && echo "$now" > "$peak_file"
          sleep 0.2
      done ) &
    sampler=$!
    out=$(hey -z "${SECONDS_PER_BURST}s" -c "$level" -m POST -T application/json -d "$BODY" \
        "http://127.0.0.1:$PORT/api/v1/auth/login")
    sleep 2
    kill $sampler 2>/dev/null || true
    rate=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
    ok=$(echo "$out" | awk '/\[200\]/ {print $2}')
    printf '%-12s %-12s %-16s %-16s (%s answered 200)\n' "$level" "$rate" "$(cat "$peak_file")" "$(rss_mib)" "${ok:-0}"
    rm -f "$peak_file"
done
