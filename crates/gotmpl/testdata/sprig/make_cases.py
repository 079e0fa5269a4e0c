#!/usr/bin/env python3
"""Writes cases.json: the sprig v3 expectation table, transcribed from sprig's own test tables
and documentation (Masterminds/sprig `*_test.go`, `docs/`), since sprig itself cannot run here.

Each case: name, source (the sprig file it comes from), template, data and exactly one of
output (exact), error (exact err.Error()) or error_contains (a substring of it, used where the
sprig tests only assert that an error happens).

Cases named stdlib/* come from stdlib_cases.py instead: edge-case inputs to sprig functions
that are thin wrappers over Go's standard library, with Go's own output (stdlib_expected.json,
written by regen_stdlib.sh); their source is "go-stdlib".
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import table_text, table_data  # noqa: E402,E401


def main(out):
    cases, seen = [], set()
    for mod in (table_text, table_data):
        for c in mod.CASES:
            if c["name"] in seen:
                raise SystemExit("duplicate case " + c["name"])
            seen.add(c["name"])
            if sum(k in c for k in ("output", "error", "error_contains")) != 1:
                raise SystemExit("case needs exactly one expectation: " + c["name"])
            c.setdefault("data", {})
            cases.append(c)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "stdlib_input.json"), encoding="utf-8") as f:
        inputs = json.load(f)
    with open(os.path.join(here, "stdlib_expected.json"), encoding="utf-8") as f:
        expected = json.load(f)
    if [c["name"] for c in inputs] != [e["name"] for e in expected]:
        raise SystemExit("stdlib_expected.json is stale; run regen_stdlib.sh")
    for c, e in zip(inputs, expected):
        if c["name"] in seen:
            raise SystemExit("duplicate case " + c["name"])
        seen.add(c["name"])
        case = {"name": c["name"], "source": "go-stdlib", "template": c["template"], "data": c["data"]}
        case.update({k: v for k, v in e.items() if k in ("output", "error")})
        cases.append(case)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases -> {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "cases.json"))
