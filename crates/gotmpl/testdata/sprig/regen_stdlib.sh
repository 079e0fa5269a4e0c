#!/usr/bin/env bash
# Regenerates the stdlib-backed sprig cases: stdlib_cases.py writes the inputs, the Go oracle
# renders them with its sprig transcriptions, make_cases.py merges them into cases.json.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python3 "$here/stdlib_cases.py" "$here/stdlib_input.json"
cd "$here/../go/gen"
GOFLAGS=-mod=mod GOPROXY=off go run . -sprig-gen "$here/stdlib_input.json" "$here/stdlib_expected.json"
python3 "$here/make_cases.py" "$here/cases.json"
