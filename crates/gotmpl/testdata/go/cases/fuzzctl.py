"""Seeded random templates stressing control flow: nested if/with/range with else chains,
break/continue, variable declaration/assignment across scopes, define/template/block calls
and whitespace trimming. Go decides what each one means (fixed seed, reproducible)."""

import random

RNG = random.Random(4242)

CONDS = [".t", ".b", ".s", ".e", ".i", ".z", ".l", ".el", ".m", ".em", ".missing", ".n", "$v", "$x", "eq $v 2",
         "not .b", "and .t .l", "or .e .z", "lt $x 3", "len .sl", "index .m \"a\"", "$.t", "."]
LISTS = [".l", ".sl", ".el", ".m", ".km", ".ml", ".missing", "3", "0", ".three", "(slice .sl 1)", ".mixed", "$.l"]
OUTS = ["{{.}}", "{{$v}}", "{{$i}}", "{{$x}}", "{{$.s}}", "{{print $v $x}}", "x", "{{len $.sl}}", "{{.name}}",
        "{{template \"T\" .}}", "{{template \"T\" $x}}", "{{block \"B\" $v}}[{{.}}]{{end}}"]


def trim(s):
    r = RNG.random()
    if r < 0.15:
        return s.replace("{{", "{{- ", 1)
    if r < 0.3:
        return s[::-1].replace("}}", "}}- "[::-1], 1)[::-1]
    return s


def body(depth, in_range):
    parts = []
    for _ in range(RNG.randint(1, 3)):
        r = RNG.random()
        if depth >= 3 or r < 0.35:
            out = RNG.choice(OUTS)
            if "block" in out:  # each block defines a template: give every one its own name
                BLOCKS[0] += 1
                out = out.replace('"B"', '"B%d"' % BLOCKS[0])
            parts.append(out)
        elif r < 0.5:
            parts.append(trim("{{if %s}}" % RNG.choice(CONDS)) + body(depth + 1, in_range) +
                         (("{{else if %s}}" % RNG.choice(CONDS)) + body(depth + 1, in_range) if RNG.random() < 0.3 else "") +
                         ("{{else}}" + body(depth + 1, in_range) if RNG.random() < 0.5 else "") + "{{end}}")
        elif r < 0.62:
            parts.append("{{with %s}}" % RNG.choice(CONDS) + body(depth + 1, in_range) +
                         ("{{else with %s}}" % RNG.choice(CONDS) + body(depth + 1, in_range) if RNG.random() < 0.3 else "") +
                         ("{{else}}" + body(depth + 1, in_range) if RNG.random() < 0.4 else "") + "{{end}}")
        elif r < 0.8:
            decl = RNG.choice(["$i, $v := ", "$v := ", ""])
            parts.append(trim("{{range %s%s}}" % (decl, RNG.choice(LISTS))) + body(depth + 1, True) +
                         ("{{else}}" + body(depth + 1, in_range) if RNG.random() < 0.4 else "") + "{{end}}")
        elif r < 0.88 and in_range:
            parts.append("{{if %s}}{{%s}}{{end}}" % (RNG.choice(CONDS), RNG.choice(["break", "continue"])))
        elif r < 0.94:
            parts.append("{{$x = %s}}" % RNG.choice(["1", "$v", ".", "len $.l", "print $x \"+\"", "$i"]))
        else:
            parts.append("{{$x := %s}}" % RNG.choice(["\"inner\"", "0", "$.l"]))
    return "".join(parts)


BLOCKS = [0]
CASES = []
for n in range(250):
    prefix = "{{$x := %s}}{{$v := %s}}{{$i := 0}}" % (RNG.choice(["0", "\"s\"", ".l", "2"]), RNG.choice(["2", ".m", "\"v\""]))
    defs = ""
    if RNG.random() < 0.6:
        defs += "{{define \"T\"}}<%s>{{end}}" % RNG.choice(["{{.}}", "{{len .}}", "{{$}}", "{{range .}}{{.}},{{end}}", "{{.name}}"])
    text = prefix + body(0, False) + RNG.choice(["", "\n", " end"]) + defs
    CASES.append((f"control_{n:03d}", text))
