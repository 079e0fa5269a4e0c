"""Regenerates gotmpl's Go-checked core tests (needs Go; tests never do).

    cd crates/gotmpl/tests/core_gen && go build -o /tmp/coregen . && \
      python3 gen.py core_cases ../core_go.rs && python3 gen.py edge_cases ../core_go_edges.rs
"""
import importlib, json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
BIN = os.environ.get("COREGEN", "/tmp/coregen")


def rs(s):
    out = ['"']
    for c in s:
        if c == '"': out.append('\\"')
        elif c == '\\': out.append('\\\\')
        elif c == '\n': out.append('\\n')
        elif c == '\t': out.append('\\t')
        elif c == '\r': out.append('\\r')
        elif ord(c) < 0x20 or ord(c) == 0x7f: out.append('\\u{%x}' % ord(c))
        else: out.append(c)
    out.append('"')
    return ''.join(out)


def main(module, target):
    cases = importlib.import_module(module).cases
    inp = [{"t": t, "d": json.loads(d) if d else None} for t, d in cases]
    out = subprocess.run([BIN], input=json.dumps(inp), capture_output=True, text=True, check=True).stdout
    res = json.loads(out)
    lines = ["    (%s, %s, %s, %s)," % (rs(t), rs(d or ""), rs(r["out"]), rs(r["err"]))
             for (t, d), r in zip(cases, res)]
    pending = [l.rstrip("\n") for l in open(os.path.join(HERE, "pending.txt")) if l.strip()]
    src = open(os.path.join(HERE, "template.rs.in")).read()
    src = src.replace("@CASES@", "\n".join(lines)).replace("@PENDING@", "\n".join("    %s," % rs(p) for p in pending))
    if module != "core_cases":
        src = src.replace("//! Core template behaviour checked against expectations generated with Go's",
                          "//! Edge cases of scoping, trimming, literals, nil handling and errors, checked against Go's")
    open(target, "w").write(src)
    print(len(cases), "cases ->", target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
