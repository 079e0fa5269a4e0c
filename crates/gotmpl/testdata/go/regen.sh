#!/usr/bin/env bash
# Regenerates expected.json from cases.json with the Go oracle in gen/ (needs Go; tests never do).
# cases.json itself is written by make_cases.py, so edit that and run this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python3 "$here/make_cases.py" "$here/cases.json"
cd "$here/gen"
GOFLAGS=-mod=mod GOPROXY=off go run . "$here/cases.json" "$here/expected.json"
go version | awk '{print $3}' > "$here/GO_VERSION"
