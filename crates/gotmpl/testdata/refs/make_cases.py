#!/usr/bin/env python3
"""Writes cases.json of the reference-semantics corpus: maps reached through two paths, sprig's
dict-changing functions (set, unset, merge, mergeOverwrite) seen through every alias, deepCopy
breaking the alias, dicts passed to template/include and changed there, lists built with
append, and range over a map that the body changes. Expectations come from Go (regen.sh).

CASES entries are (name, template) or (name, template, data); data defaults to DATA.
"""
import json
import sys

DATA = {
    "connector": {
        "metadata": {"name": "c1", "labels": {"team": "a"}},
        "spec": {"url": "https://example.com", "params": [{"name": "p", "value": "v"}]},
    },
    "items": [{"k": "x"}, {"k": "y"}],
    "empty": {},
    "s": "str",
}

CASES = [
    # A dict changed through a second variable.
    ("alias/set_second_var", '{{$d := dict "a" 1}}{{$x := $d}}{{$_ := set $x "b" 2}}{{$d}}'),
    ("alias/set_first_seen_by_second", '{{$d := dict "a" 1}}{{$x := $d}}{{$_ := set $d "b" 2}}{{$x.b}}'),
    ("alias/unset_second_var", '{{$d := dict "a" 1 "b" 2}}{{$x := $d}}{{$_ := unset $x "a"}}{{$d}}'),
    ("alias/set_result_is_same_map", '{{$d := dict}}{{$r := set $d "a" 1}}{{$_ := set $r "b" 2}}{{$d}} {{$r}}'),
    ("alias/unset_result_is_same_map", '{{$d := dict "a" 1 "b" 2}}{{$r := unset $d "a"}}{{$_ := set $r "c" 3}}{{$d}}'),
    ("alias/reassign_breaks_nothing", '{{$d := dict "a" 1}}{{$x := $d}}{{$x = dict "z" 0}}{{$_ := set $x "b" 2}}{{$d}} {{$x}}'),
    ("alias/three_vars", '{{$a := dict}}{{$b := $a}}{{$c := $b}}{{$_ := set $c "k" "v"}}{{$a.k}}{{$b.k}}'),
    ("alias/nested_field_set", '{{$d := dict "n" (dict "x" 1)}}{{$n := $d.n}}{{$_ := set $n "y" 2}}{{$d}}'),
    ("alias/nested_via_path", '{{$d := dict "n" (dict "x" 1)}}{{$n := $d.n}}{{$_ := set $d.n "y" 2}}{{$n}}'),
    ("alias/get_returns_alias", '{{$d := dict "n" (dict)}}{{$_ := set (get $d "n") "k" 1}}{{$d}}'),
    ("alias/index_returns_alias", '{{$d := dict "n" (dict)}}{{$_ := set (index $d "n") "k" 1}}{{$d}}'),
    ("alias/same_dict_twice", '{{$x := dict "v" 1}}{{$d := dict "a" $x "b" $x}}{{$_ := set $d.a "v" 2}}{{$d.b.v}}'),
    ("alias/haskey_after_set", '{{$d := dict}}{{$x := $d}}{{$_ := set $x "k" 1}}{{hasKey $d "k"}}'),
    ("alias/len_after_set", '{{$d := dict}}{{$x := $d}}{{$_ := set $x "a" 1}}{{$_ := set $x "b" 1}}{{len $d}}'),
    ("alias/pluck_after_set", '{{$a := dict "k" 1}}{{$b := dict}}{{$l := list $a $b}}{{$_ := set $b "k" 2}}{{pluck "k" $a $b}}'),
    ("alias/keys_after_set", '{{$d := dict "b" 1}}{{$x := $d}}{{$_ := set $x "a" 2}}{{keys $d | sortAlpha}}'),
    ("alias/tojson_after_set", '{{$d := dict "a" (dict)}}{{$_ := set $d.a "b" (list 1 2)}}{{toJson $d}}'),
    # Lists holding dicts.
    ("list/elem_set", '{{$in := dict}}{{$l := list $in}}{{$_ := set (index $l 0) "k" 1}}{{$in}}'),
    ("list/set_seen_in_list", '{{$in := dict}}{{$l := list $in $in}}{{$_ := set $in "k" 1}}{{$l}}'),
    ("list/append_keeps_alias", '{{$in := dict}}{{$l := append (list) $in}}{{$_ := set $in "k" 1}}{{$l}}'),
    ("list/append_copies", '{{$a := list 1 2}}{{$b := append $a 3}}{{$c := append $a 4}}{{$a}} {{$b}} {{$c}}'),
    ("list/append_elem_shared", '{{$a := list (dict)}}{{$b := append $a 1}}{{$_ := set (index $b 0) "k" 1}}{{$a}}'),
    ("list/range_value_set", '{{$l := list (dict "i" 0) (dict "i" 1)}}{{range $l}}{{$_ := set . "seen" true}}{{end}}{{$l}}'),
    ("list/range_var_set", '{{$l := list (dict) (dict)}}{{range $i, $e := $l}}{{$_ := set $e "i" $i}}{{end}}{{$l}}'),
    ("list/slice_shares_elems", '{{$l := list (dict) (dict)}}{{$s := slice $l 1}}{{$_ := set (index $s 0) "k" 1}}{{$l}}'),
    # Through with / range / if.
    ("with/dot_set", '{{$d := dict "n" (dict)}}{{with $d.n}}{{$_ := set . "k" 1}}{{end}}{{$d}}'),
    ("with/var_set", '{{$d := dict}}{{with $x := $d}}{{$_ := set $x "k" 1}}{{end}}{{$d}}'),
    ("if/set_inside", '{{$d := dict}}{{if true}}{{$_ := set $d "k" 1}}{{end}}{{$d}}'),
    ("range/map_values_set", '{{$d := dict "a" (dict) "b" (dict)}}{{range $k, $v := $d}}{{$_ := set $v "k" $k}}{{end}}{{$d}}'),
    ("range/set_during_range", '{{$d := dict "a" 1 "b" 2}}{{range $k, $v := $d}}{{$_ := set $d "c" 3}}{{$k}}={{$v}} {{end}}{{len $d}}'),
    ("range/change_value_during_range", '{{$d := dict "a" 1 "b" 2}}{{range $k, $v := $d}}{{$_ := set $d "b" 9}}{{$k}}={{$v}} {{end}}{{$d.b}}'),
    ("range/unset_during_range", '{{$d := dict "a" 1 "b" 2 "c" 3}}{{range $k, $v := $d}}{{$_ := unset $d "c"}}{{$k}}={{$v}} {{end}}{{$d}}'),
    ("range/nested_change_seen", '{{$d := dict "a" (dict "x" 1) "b" (dict "x" 2)}}{{range $k, $v := $d}}{{$_ := set $d.b "x" 7}}{{$k}}={{$v.x}} {{end}}'),
    ("range/count_into_dict", '{{$c := dict}}{{range .items}}{{$_ := set $c .k true}}{{end}}{{$c}}'),
    # Passed to template / include and changed there.
    ("template/set_in_callee", '{{define "f"}}{{$_ := set . "z" 0}}{{end}}{{$d := dict "a" 1}}{{template "f" $d}}{{$d}}'),
    ("template/unset_in_callee", '{{define "f"}}{{$_ := unset . "a"}}{{end}}{{$d := dict "a" 1 "b" 2}}{{template "f" $d}}{{$d}}'),
    ("template/nested_arg", '{{define "f"}}{{$_ := set .n "k" 1}}{{end}}{{$d := dict "n" (dict)}}{{template "f" $d}}{{$d}}'),
    ("template/wrapper_dict", '{{define "f"}}{{$_ := set .ctx "out" "yes"}}{{end}}{{$ctx := dict}}{{template "f" (dict "ctx" $ctx)}}{{$ctx.out}}'),
    ("template/callee_var_alias", '{{define "f"}}{{$x := .}}{{$_ := set $x "k" 1}}{{end}}{{$d := dict}}{{template "f" $d}}{{$d}}'),
    ("template/recursive_fill", '{{define "f"}}{{if lt (len .) 3}}{{$_ := set . (print (len .)) true}}{{template "f" .}}{{end}}{{end}}{{$d := dict}}{{template "f" $d}}{{$d}}'),
    ("template/data_root_set", '{{define "f"}}{{$_ := set .connector.metadata.labels "added" "1"}}{{end}}{{template "f" .}}{{.connector.metadata.labels}}'),
    ("include/set_in_callee", '{{define "f"}}{{$_ := set . "z" 0}}{{end}}{{$d := dict "a" 1}}{{$s := include "f" $d}}{{$d}}'),
    ("include/output_and_change", '{{define "f"}}[{{len .}}]{{$_ := set . "n" 1}}{{end}}{{$d := dict}}{{include "f" $d}}{{include "f" $d}}{{$d}}'),
    ("include/helm_ctx", '{{define "f"}}{{$_ := set .Values "seen" true}}ok{{end}}{{$ctx := dict "Values" (dict)}}{{include "f" $ctx}} {{$ctx.Values}}'),
    # The data object.
    ("data/set_via_var", '{{$c := .connector}}{{$_ := set $c.spec "extra" 1}}{{.connector.spec.extra}}'),
    ("data/set_via_root", '{{$_ := set .connector.metadata "ns" "x"}}{{$.connector.metadata.ns}}'),
    ("data/list_elem_set", '{{$_ := set (index .items 0) "k" "changed"}}{{(index .items 0).k}}'),
    ("data/range_elem_set", '{{range .items}}{{$_ := set . "seen" 1}}{{end}}{{.items}}'),
    ("data/unset_label", '{{$l := .connector.metadata.labels}}{{$_ := unset $l "team"}}{{.connector.metadata}}'),
    ("data/empty_map_filled", '{{$e := .empty}}{{$_ := set $e "k" 1}}{{.empty}}'),
    # merge / mergeOverwrite.
    ("merge/dst_changed", '{{$dst := dict "a" 1}}{{$x := $dst}}{{$_ := merge $dst (dict "b" 2)}}{{$x}}'),
    ("merge/result_is_dst", '{{$dst := dict}}{{$r := merge $dst (dict "b" 2)}}{{$_ := set $r "c" 3}}{{$dst}}'),
    ("merge/keeps_existing", '{{$dst := dict "a" 1}}{{$_ := merge $dst (dict "a" 2 "b" 2)}}{{$dst}}'),
    ("merge/overwrite_changes", '{{$dst := dict "a" 1}}{{$x := $dst}}{{$_ := mergeOverwrite $dst (dict "a" 2)}}{{$x}}'),
    ("merge/nested_in_place", '{{$n := dict "x" 1}}{{$dst := dict "n" $n}}{{$_ := merge $dst (dict "n" (dict "y" 2))}}{{$n}}'),
    ("merge/nested_overwrite_in_place", '{{$n := dict "x" 1}}{{$dst := dict "n" $n}}{{$_ := mergeOverwrite $dst (dict "n" (dict "x" 5))}}{{$n}}'),
    ("merge/src_map_aliased", '{{$s := dict "x" 1}}{{$dst := dict}}{{$_ := merge $dst (dict "n" $s)}}{{$_ := set $dst.n "y" 2}}{{$s}}'),
    ("merge/src_unchanged", '{{$src := dict "a" 1}}{{$dst := dict "b" 2}}{{$_ := merge $dst $src}}{{$src}}'),
    ("merge/new_dict_dst", '{{$s := dict "n" (dict "x" 1)}}{{$m := merge (dict) $s}}{{$_ := set $m.n "y" 2}}{{$s}}'),
    ("merge/several_sources", '{{$dst := dict}}{{$x := $dst}}{{$_ := merge $dst (dict "a" 1) (dict "a" 2 "b" 2)}}{{$x}}'),
    ("merge/overwrite_several", '{{$dst := dict}}{{$x := $dst}}{{$_ := mergeOverwrite $dst (dict "a" 1) (dict "a" 2 "b" 2)}}{{$x}}'),
    ("merge/data_defaults", '{{$cfg := dict "url" "default" "timeout" 30}}{{$_ := mergeOverwrite $cfg .connector.spec}}{{$cfg.url}} {{$cfg.timeout}}'),
    ("merge/empty_nested_dst", '{{$n := dict}}{{$dst := dict "n" $n}}{{$_ := merge $dst (dict "n" (dict "x" 1))}}{{$n}} {{$dst}}'),
    ("merge/in_template", '{{define "f"}}{{$_ := merge . (dict "added" true)}}{{end}}{{$d := dict}}{{template "f" $d}}{{$d}}'),
    # deepCopy breaks the alias.
    ("deepcopy/set_copy", '{{$d := dict "a" 1}}{{$c := deepCopy $d}}{{$_ := set $c "b" 2}}{{$d}} {{$c}}'),
    ("deepcopy/set_original", '{{$d := dict "a" 1}}{{$c := deepCopy $d}}{{$_ := set $d "b" 2}}{{$d}} {{$c}}'),
    ("deepcopy/nested", '{{$d := dict "n" (dict "x" 1)}}{{$c := deepCopy $d}}{{$_ := set $c.n "x" 2}}{{$d.n.x}}{{$c.n.x}}'),
    ("deepcopy/list_of_dicts", '{{$l := list (dict "k" 1)}}{{$c := deepCopy $l}}{{$_ := set (index $c 0) "k" 2}}{{$l}} {{$c}}'),
    ("deepcopy/data", '{{$c := deepCopy .connector}}{{$_ := set $c.metadata "name" "copy"}}{{.connector.metadata.name}} {{$c.metadata.name}}'),
    ("deepcopy/then_merge", '{{$base := dict "n" (dict "x" 1)}}{{$m := mergeOverwrite (deepCopy $base) (dict "n" (dict "x" 2))}}{{$base.n.x}}{{$m.n.x}}'),
    # Go lets a dict contain itself (printing it then overflows Go's stack, a fatal error);
    # gotmpl refuses the change (listed in known_failures.txt as a deliberate safety bound).
    ("cycle/set_self_len", '{{$d := dict "a" 1}}{{$_ := set $d "self" $d}}{{len $d}} {{len $d.self.self}}'),
    ("deepcopy/alias_of_copy", '{{$d := dict}}{{$c := deepCopy $d}}{{$x := $c}}{{$_ := set $x "k" 1}}{{$c}} {{$d}}'),
]


def main(out):
    cases = []
    seen = set()
    for entry in CASES:
        name, tmpl = entry[0], entry[1]
        data = entry[2] if len(entry) > 2 else DATA
        if name in seen:
            raise SystemExit(f"duplicate case {name}")
        seen.add(name)
        cases.append({"name": name, "template": tmpl, "data": data})
    with open(out, "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases -> {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cases.json")
