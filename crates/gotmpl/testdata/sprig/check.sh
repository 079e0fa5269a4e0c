#!/usr/bin/env bash
# Rebuilds cases.json and cross-checks every case whose functions have a Go stdlib
# transcription (testdata/go/gen/check.go) by rendering it with Go. Needs Go.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python3 "$here/make_cases.py" "$here/cases.json"
cd "$here/../go/gen"
GOFLAGS=-mod=mod GOPROXY=off go run . -sprig-check "$here/cases.json"
