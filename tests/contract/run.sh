#!/usr/bin/env bash
# Generates a Python client from the committed openapi.json and drives the
# real binary with it. Needs python3 and the binary built (cargo build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$work/venv/bin/openapi-spec-validator" "$here/../../openapi.json"
(cd "$work" && "$work/venv/bin/openapi-python-client" generate \
    --path "$here/../../openapi.json" --config "$here/generator.yml" --meta none \
    --output-path clinicbox_client >/dev/null)
GENERATED_CLIENT_DIR="$work" "$work/venv/bin/python" "$here/generated_client_test.py"
