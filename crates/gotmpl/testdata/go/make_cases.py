#!/usr/bin/env python3
"""Writes cases.json (the Go text/template differential corpus) from the topic modules in cases/.

Each topic module defines CASES: a list of (name, template) or (name, template, data) tuples;
data defaults to DATA below. A name ending in "@nil" is also rendered with data null by adding
the tuple to NIL_TOO. Names are "topic/what".
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases"))

from common import DATA  # noqa: E402
import lexing, actions, control, functions, compare, printf, templates, realworld, positions, fuzz, fuzzctl, bytes  # noqa: E402,E401

MODULES = [lexing, actions, control, functions, compare, printf, templates, realworld, positions, fuzz, fuzzctl, bytes]


def main(out):
    cases = []
    seen = set()
    for mod in MODULES:
        topic = mod.__name__
        for entry in mod.CASES:
            if len(entry) == 2:
                name, tmpl = entry
                data = DATA
            else:
                name, tmpl, data = entry
            full = f"{topic}/{name}"
            if full in seen:
                raise SystemExit(f"duplicate case {full}")
            seen.add(full)
            cases.append({"name": full, "template": tmpl, "data": data})
        for name, tmpl in getattr(mod, "NIL_TOO", []):
            full = f"{topic}/{name}@nil"
            if full in seen:
                raise SystemExit(f"duplicate case {full}")
            seen.add(full)
            cases.append({"name": full, "template": tmpl, "data": None})
    with open(out, "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases -> {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cases.json")
