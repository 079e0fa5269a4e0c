#!/usr/bin/env bash
# Regenerates cases.json (make_cases.py) and expected.json with the Go oracle in ../go/gen
# (-refs: Go's text/template and Go's maps, with the sprig dict functions of gen/refs.go).
# Needs Go; tests need neither Go nor Python.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python3 "$here/make_cases.py" "$here/cases.json"
cd "$here/../go/gen"
GOFLAGS=-mod=mod GOPROXY=off go run . -refs "$here/cases.json" "$here/expected.json"
go version | awk '{print $3}' > "$here/GO_VERSION"
