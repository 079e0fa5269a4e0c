#!/usr/bin/env bash
# Regenerates cases.json (from the class YAML files) and expected.json (with the Go oracle in
# ../go/gen plus its transcribed sprig shim). Needs Python with PyYAML and Go; tests need neither.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python3 "$here/make_cases.py" "$here/cases.json"
cd "$here/../go/gen"
GOFLAGS=-mod=mod GOPROXY=off go run . -sprig-shim "$here/cases.json" "$here/expected.json"
