"""Seeded random templates (grammar-based) over the common data: pipelines, built-ins, printf
verbs, control structures and variables in combinations nobody would write by hand. The seed
is fixed, so regen.sh reproduces the same cases; Go decides what each one means."""

import random

RNG = random.Random(20261130)

FIELDS = [".s", ".e", ".i", ".z", ".neg", ".f", ".fz", ".fi", ".t", ".b", ".n", ".l", ".el", ".sl",
          ".fl", ".m", ".em", ".km", ".ml", ".nested", ".nested.x", ".nested.x.y.z", ".missing",
          ".m.a", ".m.c", ".mixed", ".u", ".html", ".big", ".huge", ".tiny", "$", "$.s", "$.l", "."]
LITERALS = ["0", "1", "2", "-3", "2.5", "1e3", "0x10", "'a'", "\"str\"", "\"\"", "\"a b&c\"", "true",
            "false", "nil", "-0.5", "\"%\""]
FUNCS = {  # name: (min args, max args)
    "print": (0, 3), "println": (0, 2), "len": (1, 1), "index": (1, 3), "slice": (1, 3), "not": (1, 1),
    "and": (1, 3), "or": (1, 3), "eq": (2, 3), "ne": (2, 2), "lt": (2, 2), "le": (2, 2), "gt": (2, 2),
    "ge": (2, 2), "html": (1, 2), "js": (1, 2), "urlquery": (1, 2),
}
VERBS = ["%v", "%+v", "%#v", "%T", "%d", "%5d", "%-4d|", "%x", "%X", "%o", "%b", "%c", "%q", "%U", "%e",
         "%.2f", "%8.3f", "%g", "%s", "%10s", "%-6s|", "%.1s", "%t", "%%", "%z", "%[2]v", "%*d", "%!"]


def operand(depth):
    r = RNG.random()
    if r < 0.5:
        return RNG.choice(FIELDS)
    if r < 0.8 or depth > 1:
        return RNG.choice(LITERALS)
    return "(" + command(depth + 1) + ")"


def command(depth=0):
    r = RNG.random()
    if r < 0.15:
        return operand(depth)
    if r < 0.35:
        fmt = " ".join(RNG.choice(VERBS) for _ in range(RNG.randint(1, 2)))
        args = " ".join(operand(depth) for _ in range(RNG.randint(0, 3)))
        return ("printf \"%s\" %s" % (fmt, args)).strip()
    name = RNG.choice(sorted(FUNCS))
    lo, hi = FUNCS[name]
    args = " ".join(operand(depth) for _ in range(RNG.randint(lo, hi)))
    return (name + " " + args).strip()


def pipeline():
    cmds = [command()]
    while RNG.random() < 0.25:
        name = RNG.choice(["print", "len", "not", "html", "urlquery", "printf \"<%v>\"", "index .m",
                           "eq 1", "and 1", "or \"\"", "slice"])
        cmds.append(name)
    return " | ".join(cmds)


def action():
    r = RNG.random()
    trim_l = "- " if RNG.random() < 0.2 else ""
    trim_r = " -" if RNG.random() < 0.2 else ""
    if r < 0.55:
        return "{{%s%s%s}}" % (trim_l, pipeline(), trim_r)
    if r < 0.7:
        return "{{if %s}}T{{else}}F{{end}}" % pipeline()
    if r < 0.8:
        return "{{with %s}}[{{.}}]{{else}}none{{end}}" % pipeline()
    if r < 0.92:
        target = RNG.choice(FIELDS + ["3", "(slice .l 1)", "\"ab\""])
        return "{{range $k, $v := %s}}{{$k}}:{{%s}};{{else}}empty{{end}}" % (
            target, RNG.choice(["$v", ".", "print $v $k", "len $v", "$.s", "eq $v 2"]))
    return "{{$x := %s}}{{$x}}|{{%s}}" % (pipeline(), RNG.choice(["$x", "len $x", "index $x 0", "$x.a", "print $x"]))


CASES = []
for n in range(400):
    parts = []
    for _ in range(RNG.randint(1, 3)):
        parts.append(action())
        if RNG.random() < 0.3:
            parts.append(RNG.choice([" ", "\n", "-", " text ", "\t\n "]))
    CASES.append((f"random_{n:03d}", "".join(parts)))
