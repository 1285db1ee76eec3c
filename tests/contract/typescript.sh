#!/usr/bin/env bash
# Generates a TypeScript client from the committed openapi.json with
# @hey-api/openapi-ts, compiles the integrator's flow against it with
# `tsc --strict`, and runs it against the real binary (cargo build first).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$here/node_modules/.bin/openapi-ts" --input "$here/../../openapi.json" --output "$work/client" \
    --client @hey-api/client-fetch >/dev/null
cp "$here/flow.ts" "$work/flow.ts"
cat > "$work/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "target": "es2022",
    "lib": ["es2022", "dom"],
    "module": "commonjs",
    "moduleResolution": "node10",
    "esModuleInterop": true,
    "typeRoots": ["$here/node_modules/@types"],
    "types": ["node"],
    "outDir": "$work/out"
  },
  "files": ["$work/flow.ts"]
}
JSON
"$here/node_modules/.bin/tsc" -p "$work/tsconfig.json"
CLINICBOX_BINARY="$here/../../target/debug/clinicbox" node "$work/out/flow.js"
