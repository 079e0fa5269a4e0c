#!/usr/bin/env python3
"""Inputs for the stdlib-backed part of the sprig table: sprig functions that are thin
wrappers over Go's standard library (paths, base64/32, hashes, net/url, regexp, encoding/json,
strings, time formatting), fed edge-case inputs. testdata/go/gen renders them with its
transcriptions (check.go, shim.go) to give Go's exact output; make_cases.py merges them into
cases.json with source "go-stdlib". Run regen_stdlib.sh after editing."""
import json
import os
import sys

PATHS = ["", "/", "//", "a//b", "./a/../..", "/..", "a/b/", ".hidden", "a.b.c", "a/.b", "a/b.", "..",
         "/a/b/../../..", "é/ü.tar.gz", "a/./b/", "C:\\\\x\\\\y.txt"]
B64 = ["", "YQ", "YQ=", "YQ==", "YQ===", "Y Q==", "!!", "YWJj\\nZGVm", "4pyT", "_-8", "YWJjZA"]
URLS = ["http://[::1]:80/a", "mailto:x@y.z", "//host/path", "/rel?x=1#y", "http://u:p@h/%2F",
        "https://h/a b", "http://h:badport", "::", "http://%zz", "HTTP://Example.COM/A", "http://h?a=1&b=2",
        "http://h/#", "file:///etc/hosts", "http://h/a%20b?q=%20#f%20", "http://user@h", "http://h:8080",
        "https://h:443/", "postgres://u:p%40ss@db:5432/app?sslmode=disable", "http://[fe80::1%25en0]:8080/",
        "http://h/path;param", "*", "http://h\\x7f"]
REGEX = [("a(x*)b", "-ab-axxb-", "$1W"), ("a(x*)b", "-ab-axxb-", "$$"), ("(?P<n>a+)", "baaac", "<${n}>"),
         ("(?i)HELLO", "say hello", "X"), ("^", "abc", ">"), ("$", "abc", "<"), ("x*", "abc", "-"),
         (r"\\d+", "a1b22c333", "#"), (r"\\bfoo\\b", "foo food foo", "bar"), (r"\\pL+", "héllo wörld 42", "W"),
         ("(a)|(b)", "ab", "[$1$2]"), ("a", "aaa", "${0}${0}"), ("(?m)^x", "x\\nx", "y"), ("[[:alpha:]]+", "ab1cd", "_"),
         (r"\\s+", "a \\t\\nb", " "), ("é", "ééé", "e"), (".", "日本", "?"), ("(a)(b)?", "a", "[$2]")]
JSONS = ["\"<a>&'\"", "\"\\u0001\\u2028\"", "\"é\"", "1e21", "0.1", "-0", "9007199254740993", "[]", "{}",
         "{\"b\":1,\"a\":[1,{\"c\":null}]}", "\"\\ud83d\\ude00\"", "1.5e-7", "[true,false,null]", "\"tab\\tnl\\n\""]
DATES = [("2006-01-02T15:04:05Z07:00", 0, "UTC"), ("Mon Jan _2 15:04:05 MST 2006", 86400 * 45 + 3661, "UTC"),
         ("2006-01-02 15:04:05.000", 1560458379, "UTC"), ("3:04PM Monday January 2", 1560458379, "UTC"),
         ("002 06 Jan", 1560458379, "UTC"), ("2006-01-02T15:04:05-07:00", 1560458379, "Asia/Kolkata"),
         ("2006-01-02 15:04 MST", 1560458379, "America/New_York"), ("15:04:05.999999999", 1560458379, "UTC"),
         ("Z0700 Z07:00:00 -07", 1560458379, "Europe/Paris"), ("2006-01-02", -1, "UTC"), ("pm PM .0 ,0", 1560458379, "UTC")]
BYTES = ["\\xff", "a\\xffb", "\\xe2\\x82", " \\xff\\t", "h\\xc3\\xa9\\xff", "\\xef\\xbf\\xbd\\xff", "x\\xff\\xffy\\xff"]
STRINGS = ["ß", "İstanbul", "ǅungla", "ﬃ", "hello world", "ÀÉÎ", "σς ΣΣ", "a\\u0301", "HTTP_server", ""]


def q(s):
    """A Go template string literal for s (s already uses Go escapes where it has backslashes)."""
    return '"' + s.replace('"', '\\"') + '"'


def cases():
    out = []

    def add(name, tmpl, data=None):
        out.append({"name": f"stdlib/{name}", "template": tmpl, "data": data if data is not None else {}})

    for i, p in enumerate(PATHS):
        for fn in ["base", "dir", "clean", "ext", "isAbs", "osBase", "osDir", "osClean", "osExt", "osIsAbs"]:
            add(f"path_{fn}_{i:02d}", "{{ %s %s }}" % (fn, q(p)))
    for i, b in enumerate(B64):
        add(f"b64dec_{i:02d}", "{{ b64dec %s | printf \"%%q\" }}" % q(b))
        add(f"b32dec_{i:02d}", "{{ b32dec %s | printf \"%%q\" }}" % q(b.upper()))
    for i, s in enumerate(STRINGS + ["a\\nb", "Hello world!"]):
        for fn in ["b64enc", "b32enc", "sha1sum", "sha256sum", "adler32sum", "upper", "lower", "title", "trim",
                   "quote"]:
            add(f"str_{fn}_{i:02d}", "{{ %s %s }}" % (fn, q(s)))
    for i, u in enumerate(URLS):
        add(f"url_parse_{i:02d}", "{{ urlParse %s }}" % q(u))
    for i, (r, s, repl) in enumerate(REGEX):
        add(f"regex_replace_{i:02d}", "{{ regexReplaceAll %s %s %s }}" % (q(r), q(s), q(repl)))
        add(f"regex_replace_literal_{i:02d}", "{{ regexReplaceAllLiteral %s %s %s }}" % (q(r), q(s), q(repl)))
        add(f"regex_find_all_{i:02d}", "{{ regexFindAll %s %s -1 }}" % (q(r), q(s)))
        add(f"regex_split_{i:02d}", "{{ regexSplit %s %s -1 | printf \"%%q\" }}" % (q(r), q(s)))
        add(f"regex_match_{i:02d}", "{{ regexMatch %s %s }}" % (q(r), q(s)))
    for i, j in enumerate(JSONS):
        doc = json.loads(j)
        add(f"json_to_json_{i:02d}", "{{ toJson .v }}", {"v": doc})
        add(f"json_to_raw_json_{i:02d}", "{{ toRawJson .v }}", {"v": doc})
        add(f"json_to_pretty_json_{i:02d}", "{{ toPrettyJson .v }}", {"v": doc})
        add(f"json_from_json_{i:02d}", "{{ fromJson .s | printf \"%%#v\" }}", {"s": j})
    for i, (layout, t, zone) in enumerate(DATES):
        add(f"date_in_zone_{i:02d}", "{{ dateInZone %s .t %s }}" % (q(layout), q(zone)), {"t": t})
    add("indent_crlf", '{{ indent 2 "a\\r\\nb\\n" | printf "%q" }}')
    add("nindent_empty", '{{ nindent 3 "" | printf "%q" }}')
    add("repeat_negative", '{{ repeat -1 "a" }}')
    add("repeat_zero", '[{{ repeat 0 "a" }}]')
    add("trim_all_unicode", '{{ trimAll "éa" "éaxyzaé" }}')
    add("trim_unicode_space", '{{ trim "\\u00a0\\u2003 x \\u3000" | printf "%q" }}')
    add("replace_empty_old", '{{ replace "" "-" "abc" }}')
    add("regex_bad", '{{ regexMatch "(" "x" }}')
    add("regex_bad_replace", '{{ regexReplaceAll "[" "x" "y" }}')
    add("split_list_empty_sep", '{{ splitList "" "abc" }}')
    add("split_list_empty", '{{ splitList "," "" | len }}')
    add("join_mixed", '{{ list 1 "a" nil 2.5 true | join "," }}')
    add("first_string_list", '{{ splitList "." "a.b" | first }}')
    # Go strings with bytes outside UTF-8 (from "\\x" escapes): byte-wise functions keep
    # them, rune-wise ones read each as U+FFFD. printf "%q" shows the exact bytes.
    for i, s in enumerate(BYTES):
        for fn in ["b64enc", "b32enc", "sha1sum", "sha256sum", "adler32sum", "upper", "lower", "title", "trim",
                   "quote", "squote", "cat", "toString", "regexQuoteMeta", "base", "dir", "clean", "ext", "toJson",
                   "toRawJson"]:
            add(f"bytes_{fn}_{i:02d}", '{{ %s %s | printf "%%q" }}' % (fn, q(s)))
        for n in [1, 2, -1, -2]:
            add(f"bytes_trunc_{i:02d}_{n}", '{{ trunc %d %s | printf "%%q" }}' % (n, q(s)))
        add(f"bytes_substr_{i:02d}", '{{ substr 1 3 %s | printf "%%q" }}' % q(s))
        add(f"bytes_split_list_empty_sep_{i:02d}", '{{ splitList "" %s | printf "%%q" }}' % q(s))
        add(f"bytes_split_{i:02d}", '{{ split "\\xff" %s | printf "%%q" }}' % q(s))
        add(f"bytes_splitn_{i:02d}", '{{ splitn "" 2 %s | printf "%%q" }}' % q(s))
        add(f"bytes_replace_empty_old_{i:02d}", '{{ replace "" "-" %s | printf "%%q" }}' % q(s))
        add(f"bytes_replace_{i:02d}", '{{ replace "\\xff" "<\\xfe>" %s | printf "%%q" }}' % q(s))
        add(f"bytes_trim_all_{i:02d}", '{{ trimAll "\\xff " %s | printf "%%q" }}' % q(s))
        add(f"bytes_trim_all_replacement_{i:02d}", '{{ trimAll "\\ufffd" %s | printf "%%q" }}' % q(s))
        add(f"bytes_contains_{i:02d}", '{{ contains "\\xff" %s }} {{ hasPrefix "\\xff" %s }} {{ hasSuffix "\\xff" %s }}'
            % (q(s), q(s), q(s)))
        add(f"bytes_trim_suffix_prefix_{i:02d}", '{{ trimSuffix "\\xff" %s | trimPrefix "\\xff" | printf "%%q" }}' % q(s))
        add(f"bytes_indent_{i:02d}", '{{ indent 2 %s | nindent 1 | printf "%%q" }}' % q(s + "\\n" + s))
        add(f"bytes_repeat_{i:02d}", '{{ repeat 2 %s | printf "%%q" }}' % q(s))
        add(f"bytes_join_{i:02d}", '{{ list %s "b" %s | join %s | printf "%%q" }}' % (q(s), q(s), q(s)))
        add(f"bytes_first_{i:02d}", '{{ splitList "" %s | first | printf "%%q" }}' % q(s))
        add(f"bytes_to_json_list_{i:02d}", '{{ list %s | toJson | printf "%%q" }}' % q(s))
        add(f"bytes_from_json_{i:02d}", '{{ fromJson %s | printf "%%#v" }}' % q('"' + s + '"'))
    add("bytes_b64dec", '{{ b64dec "/w==" | printf "%q" }}')
    add("bytes_b32dec", '{{ b32dec "74======" | printf "%q" }}')
    add("bytes_from_json_bare", '{{ fromJson "\\xff" | printf "%#v" }}')
    # A pattern with a byte outside UTF-8 does not compile (Go: `invalid UTF-8`).
    add("bytes_regex_match_bad_pattern", '{{ regexMatch "a\\xffb" "a\\xffb" }}')
    add("bytes_regex_find_bad_pattern", '{{ regexFind "a\\xff(" "x" }}')
    add("bytes_regex_split_bad_pattern", '{{ regexSplit "\\xe2\\x82" "x" -1 }}')
    return out


def main(out):
    with open(out, "w", encoding="utf-8") as f:
        json.dump(cases(), f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "stdlib_input.json"))
