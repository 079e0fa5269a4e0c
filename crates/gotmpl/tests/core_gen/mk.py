"""Prints the missingkey cases of ../core_options.rs with Go's results (needs /tmp/coregen, see gen.py)."""
import json, subprocess
D = '{"a":{"b":1,"n":null},"l":[{"x":1},null]}'
ts = ["{{.a.zz}}", "{{.a.zz.y}}", "{{.zz.y}}", "{{.a.n.y}}", "{{if .a.zz}}y{{else}}n{{end}}", "{{range .l}}{{.x}}{{end}}", "{{index .a \"zz\"}}", "{{printf \"%v\" .a.zz}}", "{{.a.zz | print}}", "{{$x := .a.zz}}{{$x}}"]
cases=[]
for o in ["missingkey=zero", "missingkey=error"]:
    for t in ts:
        cases.append({"t": t, "d": json.loads(D), "o": o})
out = json.loads(subprocess.run(['/tmp/coregen'], input=json.dumps(cases), capture_output=True, text=True).stdout)
for c, r in zip(cases, out):
    print(json.dumps([c["o"], c["t"], r["out"], r["err"]]))
