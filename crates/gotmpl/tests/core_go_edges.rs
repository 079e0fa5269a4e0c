//! Edge cases of scoping, trimming, literals, nil handling and errors, checked against Go's
//! `text/template` (go1.27): output or the exact error text for each case.

use gotmpl::{Arity, FuncError, FuncMap, Function, Limits, Template, Ty, Value};

/// (template, JSON data ("" = nil), Go's output, Go's error ("" = none)).
const CASES: &[(&str, &str, &str, &str)] = &[
    ("{{ $x := 1 }}{{ with $x := 2 }}{{ $x }}{{ end }}{{ $x }}", "", "21", ""),
    ("{{ $x := 1 }}{{ range $x := .x }}{{ $x }}{{ end }}{{ $x }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "1231", ""),
    ("{{ range $i, $e := .x }}{{ $i }}{{ else }}{{ $i }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "012", ""),
    ("{{ range .x }}{{ $y := . }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", ""),
    ("{{ template \"x\" $y := 1 }}", "", "", "template: t:1:12: executing \"t\" at <{{template \"x\" $y := 1}}>: template \"x\" not defined"),
    ("{{define \"x\"}}{{$}}{{end}}{{template \"x\" 5}}", "", "5", ""),
    ("{{define \"x\"}}{{$x}}{{end}}{{$x := 1}}{{template \"x\"}}", "", "", "template: t:1: undefined variable \"$x\""),
    ("{{if 1}}{{else if}}{{end}}", "", "", "template: t:1: missing value for if"),
    ("{{if 1}}{{else with 2}}{{end}}", "", "", "template: t:1: unexpected <with> in input"),
    ("{{with 1}}{{else if 2}}{{end}}", "", "", "template: t:1: unexpected <if> in input"),
    ("{{range 1}}{{else with 2}}{{end}}", "", "", "template: t:1: unexpected <with> in input"),
    ("{{ .x | index 1 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:8: executing \"t\" at <index 1>: error calling index: can't index item of type int"),
    ("{{ 1 | index .x }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "2", ""),
    ("{{ .s | printf \"%s-%s\" \"a\" }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "a-hello", ""),
    ("{{ (1) }}", "", "1", ""),
    ("{{ (.s) | len }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "5", ""),
    ("{{ ( .s | len ) }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "5", ""),
    ("{{ (.a).b.c }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:4: executing \"t\" at <.a>: can't evaluate field c in type interface {}"),
    ("{{ (.a.n).b }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "<no value>", ""),
    ("{{ (print \"x\").y }}", "", "", "template: t:1:10: executing \"t\" at <\"x\">: can't evaluate field y in type string"),
    ("{{ .s.y.z }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:5: executing \"t\" at <.s.y.z>: can't evaluate field y in type interface {}"),
    ("{{\"a\" | print | print \"b\"}}", "", "ba", ""),
    ("{{print | print}}", "", "", ""),
    ("{{- \"a\" -}}  {{- \"b\" }}  \n  {{ \"c\" -}}  \n  d", "", "ab  \n  cd", ""),
    ("a {{- /* x */}} b {{/* x */ -}} c", "", "a b c", ""),
    ("{{/*\nmulti\nline\n*/}}x", "", "x", ""),
    ("{{- /* x */ -}}", "", "", ""),
    ("{{/* x */  }}", "", "", "template: t:1: comment ends before closing delimiter"),
    ("{{ /* x */ }}", "", "", "template: t:1: unexpected \"/\" in command"),
    ("{{-/* x */}}", "", "", "template: t:1: illegal number syntax: \"-\""),
    ("{{/* x */-}}", "", "", "template: t:1: comment ends before closing delimiter"),
    ("{{- 1 -}}", "", "1", ""),
    ("{{-1}}", "", "-1", ""),
    ("{{1-}}", "", "", "template: t:1: bad number syntax: \"1-\""),
    ("{{- 1}}", "", "1", ""),
    ("{{1 -}}", "", "1", ""),
    ("{{\t-1}}", "", "-1", ""),
    ("{{1\t-}}x", "", "1x", ""),
    ("x\n{{\n.s\n}}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "x\nhello", ""),
    ("{{ .s\n| len }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "5", ""),
    ("{{if\n.t\n}}y{{end}}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "y", ""),
    ("{{ 'a' }} {{ '\\x41' }} {{ '\\u00e9' }} {{ '\\377' }} {{ '\\'' }}", "", "97 65 233 255 39", ""),
    ("{{ '' }}", "", "", "template: t:1: invalid syntax"),
    ("{{ '\\q' }}", "", "", "template: t:1: invalid syntax"),
    ("{{ 1.0 }} {{ 1e2 }} {{ 0x10 }} {{ 1_0 }} {{ 0x_1 }} {{ 0b_1 }} {{ 00 }} {{ 0.5e1 }} {{ -0 }} {{ -0.0 }}", "", "1 100 16 10 1 1 0 5 0 -0", ""),
    ("{{ 0x1.8p1 }} {{ 1E3 }} {{ 0X1F }} {{ 0O7 }} {{ 0B1 }}", "", "3 1000 31 7 1", ""),
    ("{{ 1_ }}", "", "", "template: t:1: illegal number syntax: \"1_\""),
    ("{{ _1 }}", "", "", "template: t:1: function \"_1\" not defined"),
    ("{{ 0x }}", "", "", "template: t:1: illegal number syntax: \"0x\""),
    ("{{ 9223372036854775807 }} {{ -9223372036854775808 }}", "", "9223372036854775807 -9223372036854775808", ""),
    ("{{ 9223372036854775808 }}", "", "", "template: t:1:3: executing \"t\" at <9223372036854775808>: 9223372036854775808 overflows int"),
    ("{{ 18446744073709551616 }}", "", "", "template: t:1: integer overflow: \"18446744073709551616\""),
    ("{{ printf \"%T\" 1.0 }} {{ printf \"%T\" 1e2 }} {{ printf \"%T\" 0x10 }} {{ printf \"%T\" 'a' }} {{ printf \"%T\" 0x1p1 }}", "", "float64 float64 int int float64", ""),
    ("{{ index .x 1.0 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:3: executing \"t\" at <index .x 1.0>: error calling index: cannot index slice/array with type float64"),
    ("{{ slice .s 1.0 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:3: executing \"t\" at <slice .s 1.0>: error calling slice: cannot index slice/array with type float64"),
    ("{{ printf \"%v\" 1.0 }}", "", "1", ""),
    ("{{ eq 1.0 1 }}", "", "", "template: t:1:3: executing \"t\" at <eq 1.0 1>: error calling eq: incompatible types for comparison: float64 and int"),
    ("{{ eq .f 1.5 }} {{ lt .f 2.0 }} {{ eq .i 3.0 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:35: executing \"t\" at <eq .i 3.0>: error calling eq: incompatible types for comparison: int64 and float64"),
    ("{{ and .t (fail \"x\") }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:11: executing \"t\" at <fail \"x\">: error calling fail: x"),
    ("{{ or .t (fail \"x\") }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "true", ""),
    ("{{ and .z (fail \"x\") }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "0", ""),
    ("{{ and 1 }}", "", "1", ""),
    ("{{ or }}", "", "", "template: t:1:3: executing \"t\" at <or>: wrong number of args for or: want at least 1 got 0"),
    ("{{ not }}", "", "", "template: t:1:3: executing \"t\" at <not>: wrong number of args for not: want 1 got 0"),
    ("{{ len }}", "", "", "template: t:1:3: executing \"t\" at <len>: wrong number of args for len: want 1 got 0"),
    ("{{ index }}", "", "", "template: t:1:3: executing \"t\" at <index>: wrong number of args for index: want at least 1 got 0"),
    ("{{ eq }}", "", "", "template: t:1:3: executing \"t\" at <eq>: wrong number of args for eq: want at least 1 got 0"),
    ("{{ lt 1 }}", "", "", "template: t:1:3: executing \"t\" at <lt>: wrong number of args for lt: want 2 got 1"),
    ("{{ html 1 2 }} {{ js 1 2 }} {{ urlquery 1 \"a b\" }} {{ print 1 2 }} {{ print \"a\" 1 \"b\" }}", "", "1 2 1 2 1a+b 1 2 a1b", ""),
    ("{{ js \"\\u2028\\u00a0é\\x7f\" }}", "", "\\u2028\\u00A0é\u{7f}", ""),
    ("{{ html \"\\x00\" }}", "", "�", ""),
    ("{{ .m.k1 }} {{ .m.nope }} {{ index .m \"k1\" }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "v1 <no value> v1", ""),
    ("{{ $.m.k1 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "v1", ""),
    ("{{ $x := .m }}{{ $x.k1 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "v1", ""),
    ("{{ .x.0 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1: unexpected \".0\" in operand"),
    ("{{ .0 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "0", ""),
    ("{{ $x.0 }}", "", "", "template: t:1: undefined variable \"$x\""),
    ("{{ define \"t\" }}x{{ end }}", "", "x", ""),
    ("{{define \"a\"}}a{{end}}{{define \"b\"}}{{template \"a\"}}b{{end}}{{template \"b\"}}", "", "ab", ""),
    ("{{block \"a\" .}}A{{end}}{{define \"a\"}}B{{end}}", "", "", "template: t:1: template: multiple definition of template \"a\""),
    ("{{define \"a\"}}B{{end}}{{block \"a\" .}}A{{end}}", "", "", "template: t:1: template: multiple definition of template \"a\""),
    ("{{block \"a\"}}A{{end}}", "", "", "template: t:1: missing value for block clause"),
    ("{{define \"a\"}}x{{end}}{{template \"a\" 1 2}}", "", "", "template: t:1:37: executing \"t\" at <1>: can't give argument to non-function 1"),
    ("x{{define \"a\"}}x{{end}}y", "", "xy", ""),
    ("{{define \"t\"}}x{{end}}", "", "x", ""),
    ("{{define \"t\"}}x{{end}}y", "", "", "template: t:1: template: multiple definition of template \"t\""),
    ("{{define \"t\"}}x{{end}}  ", "", "x", ""),
    ("{{ define \"a\" }}{{ .x }}{{ end }}{{ template \"a\" dict }}", "", "", "template: t:1: function \"dict\" not defined"),
    ("{{ range $i, $v := 3 }}{{ end }}", "", "", "template: t:1:19: executing \"t\" at <3>: can't use 3 to iterate over more than one variable"),
    ("{{ range $v := .m }}{{ $v }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "v1v2", ""),
    ("{{ range $k, $v := .m }}{{ break }}{{ end }}x", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "x", ""),
    ("{{ range .x }}{{ range .  }}{{ end }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", ""),
    ("{{ range .x }}{{ if . }}{{ continue }}{{ end }}{{ end }}done", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "done", ""),
    ("{{ range .x }}{{ break }}{{ else }}e{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", ""),
    ("{{ range $i := .x }}{{ if eq $i 2 }}{{ break }}{{ end }}{{ $i }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "1", ""),
    ("{{ range .x }}{{ with . }}{{ break }}{{ end }}{{ . }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", ""),
    ("{{ break }}{{ range .x }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1: {{break}} outside {{range}}"),
    ("{{ continue 1 }}", "", "", "template: t:1: unexpected \"1\" in {{continue}}"),
    ("{{ range .x }}{{ continue | x }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1: unexpected \"|\" in {{continue}}"),
    ("{{ $x := 1 }}{{ $x := 2 }}{{ $x }}", "", "2", ""),
    ("{{ $x = 1 }}", "", "", "template: t:1:8: executing \"t\" at <1>: undefined variable: $x"),
    ("{{ $x, $y = 1, 2 }}", "", "", "template: t:1: too many declarations in command"),
    ("{{ $ }}", "", "<no value>", ""),
    ("{{ $.s }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "hello", ""),
    ("{{ $ = 1 }}{{ $ }}", "", "1", ""),
    ("{{ . | . }}", "", "", "template: t:1: non executable command in pipeline stage 2"),
    ("{{ .s | .x }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:8: executing \"t\" at <.x>: x is not a method but has arguments"),
    ("{{ 1 | $ }}", "", "", "template: t:1:7: executing \"t\" at <$>: can't give argument to non-function $"),
    ("{{ .s | true }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1: non executable command in pipeline stage 2"),
    ("{{ .s | nil }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1: non executable command in pipeline stage 2"),
    ("{{ .s | \"a\" }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1: non executable command in pipeline stage 2"),
    ("{{ .s | (len) }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:3: executing \"t\" at <.s>: can't give argument to non-function len"),
    ("{{ with $x := .s }}{{ end }}{{ with $y := 1 }}{{ $x }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1: undefined variable \"$x\""),
    ("{{ if true }}{{ end }} {{ end }}", "", "", "template: t:1: unexpected {{end}}"),
    ("{{ else }}", "", "", "template: t:1: unexpected {{else}}"),
    ("{{ if 1 }}{{ else }}{{ end }}{{ else }}", "", "", "template: t:1: unexpected {{else}}"),
    ("{{ if 1 }}{{ else }}", "", "", "template: t:1: unexpected EOF"),
    ("{{ if 1 }}", "", "", "template: t:1: unexpected EOF"),
    ("{{ if 1 }}x{{ else if 2 }}", "", "", "template: t:1: unexpected EOF"),
    ("{{ with 1 }}{{ else with 2 }}{{ else }}", "", "", "template: t:1: unexpected EOF"),
    ("{{ if 1 2 }}x{{ end }}", "", "", "template: t:1:6: executing \"t\" at <1>: can't give argument to non-function 1"),
    ("{{ nil }}", "", "", "template: t:1:3: executing \"t\" at <nil>: nil is not a command"),
    ("{{ nil | print }}", "", "", "template: t:1:3: executing \"t\" at <nil>: nil is not a command"),
    ("{{ print nil }}", "", "<nil>", ""),
    ("{{ (nil) }}", "", "", "template: t:1:4: executing \"t\" at <nil>: nil is not a command"),
    ("{{ len nil }}", "", "", "template: t:1:3: executing \"t\" at <len nil>: error calling len: reflect: call of reflect.Value.Type on zero Value"),
    ("{{ index nil 1 }}", "", "", "template: t:1:3: executing \"t\" at <index nil 1>: error calling index: index of untyped nil"),
    ("{{ eq nil nil }}", "", "true", ""),
    ("{{ not nil }}", "", "true", ""),
    ("{{ and nil 1 }}", "", "<no value>", ""),
    ("{{ if nil }}y{{ else }}n{{ end }}", "", "", "template: t:1:6: executing \"t\" at <nil>: nil is not a command"),
    ("{{ with nil }}y{{ end }}", "", "", "template: t:1:8: executing \"t\" at <nil>: nil is not a command"),
    ("{{ range nil }}y{{ end }}", "", "", "template: t:1:9: executing \"t\" at <nil>: nil is not a command"),
    ("{{ template \"t\" nil }}", "", "", "template: t:1:16: executing \"t\" at <nil>: nil is not a command"),
    ("{{ .a.l | len }} {{ .a.l | print }} {{ .a.l }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "3 [1 x <nil>] [1 x <nil>]", ""),
    ("{{ index .a.l 2 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "<no value>", ""),
    ("{{ range .a.l }}{{ . }},{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "1,x,<no value>,", ""),
    ("{{ range .a.l }}{{ . | print }},{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "1,x,<nil>,", ""),
    ("{{ range .a.l }}{{ print . }},{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "1,x,<nil>,", ""),
    ("{{ range $e := .a.l }}{{ $e }},{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "1,x,<no value>,", ""),
    ("{{ range .a.l }}{{ fail . }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:24: executing \"t\" at <.>: wrong type for value; expected string; got int64"),
    ("{{ range .a.l }}{{ len . }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:19: executing \"t\" at <len .>: error calling len: len of type int64"),
    ("{{ with .a }}{{ .n.x }}{{ end }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:18: executing \"t\" at <.n.x>: nil pointer evaluating interface {}.x"),
    ("{{ .a.n | print }} {{ print .a.n }} {{ printf \"%v\" .a.n }} {{ .a.n }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "<nil> <nil> <nil> <no value>", ""),
    ("{{ fail .a.n }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:10: executing \"t\" at <.a.n>: wrong type for value; expected string; got interface {}"),
    ("{{ .a.n | fail }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:10: executing \"t\" at <fail>: invalid value; expected string"),
    ("{{ len .a.n }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:3: executing \"t\" at <len .a.n>: error calling len: len of nil pointer"),
    ("{{ .a.n | len }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:10: executing \"t\" at <len>: error calling len: reflect: call of reflect.Value.Type on zero Value"),
    ("{{ index .a.n 0 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:3: executing \"t\" at <index .a.n 0>: error calling index: index of untyped nil"),
    ("{{ slice .a.n }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:3: executing \"t\" at <slice .a.n>: error calling slice: slice of untyped nil"),
    ("{{ call .a.n }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:3: executing \"t\" at <call .a.n>: error calling call: call of nil"),
    ("{{ call nil }}", "", "", "template: t:1:3: executing \"t\" at <call nil>: error calling call: call of nil"),
    ("{{ call .s 1 }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:3: executing \"t\" at <call .s 1>: error calling call: non-function .s of type string"),
    ("{{ call \"x\" }}", "", "", "template: t:1:3: executing \"t\" at <call \"x\">: error calling call: non-function \"x\" of type string"),
    ("{{ \"x\" | call }}", "", "", "template: t:1:9: executing \"t\" at <call>: error calling call: non-function x of type string"),
    ("{{ 1 | call }}", "", "", "template: t:1:7: executing \"t\" at <call>: error calling call: non-function <int Value> of type int"),
    ("{{ printf \"%d %s\" 1 }}", "", "1 %!s(MISSING)", ""),
    ("{{ printf \"%!\" }}", "", "%!!(MISSING)", ""),
    ("{{ printf }}", "", "", "template: t:1:3: executing \"t\" at <printf>: wrong number of args for printf: want at least 1 got 0"),
    ("{{ printf nil }}", "", "", "template: t:1:10: executing \"t\" at <nil>: cannot assign nil to string"),
    ("{{ printf .a.n }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:12: executing \"t\" at <.a.n>: wrong type for value; expected string; got interface {}"),
    ("{{ printf .missing }}", "{\"a\":{\"b\":1,\"n\":null,\"s\":\"str\",\"l\":[1,\"x\",null]},\"x\":[1,2,3],\"m\":{\"k2\":\"v2\",\"k1\":\"v1\"},\"s\":\"hello\",\"i\":3,\"f\":1.5,\"t\":true,\"z\":0,\"e\":\"\",\"nul\":null}", "", "template: t:1:10: executing \"t\" at <.missing>: invalid value; expected string"),
    ("{{ printf 1.5 }}", "", "", "template: t:1:10: executing \"t\" at <1.5>: expected string; found 1.5"),
    ("{{slice .x .one}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:2: executing \"t\" at <slice .x .one>: error calling slice: cannot index slice/array with type interface {}"),
    ("{{$o := .one}}{{slice .x $o}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "[2 3]", ""),
    ("{{index .x .one}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "2", ""),
    ("{{slice .x (.one)}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "[2 3]", ""),
    ("{{range .x}}{{slice \"abc\" .}}{{end}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:14: executing \"t\" at <slice \"abc\" .>: error calling slice: cannot index slice/array with type interface {}"),
    ("{{.one | slice .x}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "[2 3]", ""),
    ("{{slice .x .f}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:2: executing \"t\" at <slice .x .f>: error calling slice: cannot index slice/array with type interface {}"),
    ("{{slice .x .n}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:2: executing \"t\" at <slice .x .n>: error calling slice: cannot index slice/array with type interface {}"),
    ("{{slice .x .zz}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:2: executing \"t\" at <slice .x .zz>: error calling slice: cannot index slice/array with nil"),
    ("{{index .x .n}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:2: executing \"t\" at <index .x .n>: error calling index: cannot index slice/array with nil"),
    ("{{index .m .one}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:2: executing \"t\" at <index .m .one>: error calling index: value has type int64; should be string"),
    ("{{index .m .n}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:2: executing \"t\" at <index .m .n>: error calling index: value is nil; should be of type string"),
    ("{{index .m .k}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "1", ""),
    ("{{slice .one .one}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:2: executing \"t\" at <slice .one .one>: error calling slice: can't slice item of type int64"),
    ("{{slice .x 0 1 2 3}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:2: executing \"t\" at <slice .x 0 1 2 3>: error calling slice: too many slice indexes: 4"),
    ("{{slice .zz .one}}", "{\"x\":[1,2,3],\"one\":1,\"f\":1.5,\"n\":null,\"m\":{\"a\":1},\"k\":\"a\"}", "", "template: t:1:2: executing \"t\" at <slice .zz .one>: error calling slice: slice of untyped nil"),
    ("{{1i}} {{1+2i}} {{-1.5e3-2.5i}} {{0i}} {{printf \"%T %v\" 2i 3i}} {{eq 1i 1i}} {{1e3+1e-3i}} {{print 1i 2}}", "", "(0+1i) (1+2i) (-1500-2.5i) (0+0i) complex128 (0+3i) true (1000+0.001i) (0+1i) 2", ""),
    ("{{index \"ab\" 0i}}", "", "", "template: t:1:2: executing \"t\" at <index \"ab\" 0i>: error calling index: cannot index slice/array with type complex128"),
    ("{{1+i}}", "", "", "template: t:1: syntax error scanning complex number"),
    ("{{0x1i}}", "", "", "template: t:1: illegal number syntax: \"0x1i\""),
    ("{{eq 1i 1.0}}", "", "", "template: t:1:2: executing \"t\" at <eq 1i 1.0>: error calling eq: incompatible types for comparison: complex128 and float64"),
    ("{{lt 1i 2i}}", "", "", "template: t:1:2: executing \"t\" at <lt 1i 2i>: error calling lt: invalid type for comparison"),
    ("{{index \"ab\" 1+0i}} {{printf \"%d\" 2+0i}}", "", "", "template: t:1:2: executing \"t\" at <index \"ab\" 1+0i>: error calling index: cannot index slice/array with type complex128"),
    ("{{- -}}", "", "", "template: t:1: illegal number syntax: \"-\""),
    ("{{--}}", "", "", "template: t:1: bad number syntax: \"--\""),
    ("{{- - -}}", "", "", "template: t:1: illegal number syntax: \"-\""),
    ("x {{-  1  -}} y", "", "x1y", ""),
    ("{{ 1 -}}\n\n{{- 2 }}", "", "12", ""),
    ("{{-\t1\t-}}", "", "1", ""),
    ("{{-\n1\n-}}", "", "1", ""),
    ("a\r\n{{- 1 -}}\r\nb", "", "a1b", ""),
    ("{{ 1 - }}", "", "", "template: t:1: illegal number syntax: \"-\""),
    ("{{ - 1 }}", "", "", "template: t:1: illegal number syntax: \"-\""),
    ("{{ -}}", "", "", "template: t:1: missing value for command"),
    ("{{/* */-}}", "", "", "template: t:1: comment ends before closing delimiter"),
    ("{{- /**/ -}}", "", "", ""),
    ("{{/**/}}", "", "", ""),
    ("{{ /**/ }}", "", "", "template: t:1: unexpected \"/\" in command"),
    ("{{/* a */ }}", "", "", "template: t:1: comment ends before closing delimiter"),
    ("{{ print \"}}\" }}", "", "}}", ""),
    ("{{ print `}}` }}", "", "}}", ""),
    ("{{ print \"{{\" }}", "", "{{", ""),
    ("{{ 1 }}}", "", "1}", ""),
    ("{{{ 1 }}", "", "", "template: t:1: unexpected \"{\" in command"),
    ("}}{{ 1 }}", "", "}}1", ""),
    ("{{ .a}}}", "{\"a\": 1}", "1}", ""),
    ("{{.a-}}", "{\"a\": 1}", "", "template: t:1: bad character U+002D '-'"),
    ("{{.a -}}", "{\"a\": 1}", "1", ""),
    ("{{$x:=1}}{{$x}}", "", "1", ""),
    ("{{$x:=1}}{{$x=2}}{{$x}}", "", "", "template: t:1: bad character U+003D '='"),
    ("{{$x := 1}}{{$x==2}}", "", "", "template: t:1: bad character U+003D '='"),
    ("{{ $x := 1 }}{{ $x := $x }}{{ $x }}", "", "1", ""),
    ("{{ $x := $x }}", "", "", "template: t:1:9: executing \"t\" at <$x>: undefined variable: $x"),
    ("{{range $x := .}}{{end}}{{$x}}", "[1]", "", "template: t:1: undefined variable \"$x\""),
    ("{{ .a.b.c.d.e }}", "{\"a\": {\"b\": {}}}", "<no value>", ""),
    ("{{ $.a.b }}", "{\"a\": 5}", "", "template: t:1:4: executing \"t\" at <$.a.b>: can't evaluate field b in type interface {}"),
    ("{{ print .a.b }}", "{\"a\": 5}", "", "template: t:1:11: executing \"t\" at <.a.b>: can't evaluate field b in type interface {}"),
    ("{{ .a | print | len }}", "{\"a\": 5}", "1", ""),
    ("{{ 'a' | printf \"%c\" }}", "", "a", ""),
    ("{{ \"\\u00\" }}", "", "", "template: t:1: invalid syntax"),
    ("{{ \"\\x4\" }}", "", "", "template: t:1: invalid syntax"),
    ("{{ \"\\400\" }}", "", "", "template: t:1: invalid syntax"),
    ("{{ \"\\uD800\" }}", "", "", "template: t:1: invalid syntax"),
    ("{{ '\\uD800' }}", "", "", "template: t:1: invalid syntax"),
    ("{{ \"\\U00110000\" }}", "", "", "template: t:1: invalid syntax"),
    ("{{ '\\377' }}", "", "255", ""),
    ("{{ '\\400' }}", "", "", "template: t:1: invalid syntax"),
    ("{{ 'é' }}", "", "233", ""),
    ("{{ '\\xff' }}", "", "255", ""),
    ("{{rep \"x\" 3}} {{rep64 \"y\" 2}} {{half 3}} {{half 1.5}} {{rep \"z\" (len .s)}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "xxx yy 1.5 0.75 zz", ""),
    ("{{rep \"x\" .n}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:10: executing \"t\" at <.n>: wrong type for value; expected int; got int64"),
    ("{{rep64 \"x\" .n}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "xxx", ""),
    ("{{.n | rep \"x\"}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:11: executing \"t\" at <\"x\">: wrong type for value; expected int; got int64"),
    ("{{$n := .n}}{{rep \"x\" $n}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:22: executing \"t\" at <$n>: wrong type for value; expected int; got int64"),
    ("{{range .l}}{{rep \"x\" .}}{{end}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:22: executing \"t\" at <.>: wrong type for value; expected int; got int64"),
    ("{{range .l}}{{rep64 \"x\" .}}{{end}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "xx", ""),
    ("{{range $i, $e := .l}}{{rep \"x\" $i}}{{end}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", ""),
    ("{{rep \"x\" .m.k}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:12: executing \"t\" at <.m.k>: wrong type for value; expected int; got int64"),
    ("{{rep \"x\" (index .l 0)}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:20: executing \"t\" at <0>: wrong type for value; expected int; got int64"),
    ("{{with .n}}{{rep \"x\" .}}{{end}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:21: executing \"t\" at <.>: wrong type for value; expected int; got int64"),
    ("{{half .f}} {{half .n}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:19: executing \"t\" at <.n>: wrong type for value; expected float64; got int64"),
    ("{{half 2}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "1", ""),
    ("{{rep \"x\" 1.5}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:10: executing \"t\" at <1.5>: expected integer; found 1.5"),
    ("{{rep \"x\" 2.0}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "xx", ""),
    ("{{rep64 \"x\" 2.0}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "xx", ""),
    ("{{3 | rep \"x\"}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "xxx", ""),
    ("{{3 | rep64 \"x\"}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:12: executing \"t\" at <\"x\">: wrong type for value; expected int64; got int"),
    ("{{range 2}}{{rep \"x\" .}}{{end}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "x", ""),
    ("{{range .n}}{{rep \"x\" .}}{{end}}", "{\"n\":3,\"f\":1.5,\"l\":[2],\"m\":{\"k\":2},\"s\":\"ab\"}", "", "template: t:1:22: executing \"t\" at <.>: wrong type for value; expected int; got int64"),
];

/// Cases that differ for known reasons: `fmt` prints nested data integers as `int` (Go:
/// `int64`, since `Value::Int` does not say which); an `int64` parameter takes any
/// integer (function results do not say whether Go would have made them `int` or `int64`).
/// Each must still not panic.
const PENDING: &[&str] = &[
    "{{eq .x .x}}",
    "{{eq .x .m}}",
    "{{eq .a.l .a.l}}",
    "{{eq .a .a}}",
    "{{3 | rep64 \"x\"}}",
];

fn funcs() -> FuncMap {
    let mut m = FuncMap::new();
    m.insert(Function::new("fail", Arity::Fixed(&[Ty::String]), |a| {
        Err(FuncError::new(a[0].as_str().unwrap_or_default()))
    }));
    m.insert(Function::new(
        "rep",
        Arity::Fixed(&[Ty::String, Ty::Int]),
        |a| {
            Ok(Value::from(a[0].as_str().unwrap_or_default().repeat(
                match a[1] {
                    Value::Int(n) => n.max(0) as usize,
                    _ => 0,
                },
            )))
        },
    ));
    m.insert(Function::new(
        "rep64",
        Arity::Fixed(&[Ty::String, Ty::Int64]),
        |a| {
            Ok(Value::from(a[0].as_str().unwrap_or_default().repeat(
                match a[1] {
                    Value::Int(n) => n.max(0) as usize,
                    _ => 0,
                },
            )))
        },
    ));
    m.insert(Function::new(
        "half",
        Arity::Fixed(&[Ty::Float64]),
        |a| match a[0] {
            Value::Float(f) => Ok(Value::Float(f / 2.0)),
            _ => Err(FuncError::new("not a float")),
        },
    ));
    m.insert(Function::new("upper", Arity::Fixed(&[Ty::String]), |a| {
        Ok(Value::from(
            a[0].as_str().unwrap_or_default().to_uppercase(),
        ))
    }));
    m
}

fn run(src: &str, data: &str) -> Result<String, String> {
    let data = if data.is_empty() {
        Value::Nil
    } else {
        Value::from_json(&serde_json::from_str(data).expect("test data is JSON"))
    };
    let t = Template::parse("t", src, &funcs()).map_err(|e| e.to_string())?;
    t.execute(&data, &Limits::default())
        .map_err(|e| e.to_string())
}

#[test]
fn core_constructs_match_go() {
    let mut failures = Vec::new();
    for (src, data, out, err) in CASES {
        let got = run(src, data);
        if PENDING.contains(src) {
            continue;
        }
        let ok = match (&got, err.is_empty()) {
            (Ok(o), true) => o == out,
            (Err(e), false) => e == err,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{src:?}\n   go:   out={out:?} err={err:?}\n   rust: {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Go:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
