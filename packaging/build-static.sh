#!/usr/bin/env bash
# Builds one statically linked clinicbox binary for x86_64 Linux.
# Output: target/x86_64-unknown-linux-gnu/release/clinicbox
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS='-C target-feature=+crt-static' \
    cargo build --release --locked --target x86_64-unknown-linux-gnu
binary=target/x86_64-unknown-linux-gnu/release/clinicbox
if ldd "$binary" 2>&1 | grep -q "=>"; then
    echo "error: $binary is dynamically linked" >&2
    exit 1
fi
echo "built $binary ($(du -h "$binary" | cut -f1))"
