"""sprig expectations for data functions: lists, dicts, defaults, JSON, conversion, integer and
float math, and reflection."""

from table_text import add as _add

CASES = []


def add(source, prefix, rows, data=None):
    import table_text
    before = len(table_text.CASES)
    _add(source, prefix, rows, data)
    CASES.extend(table_text.CASES[before:])
    del table_text.CASES[before:]


def both(fn, must, rows):
    """A list function and its must* twin share each expectation; FN in a template names it."""
    out = []
    for name, tmpl, expected in rows:
        out.append((name, tmpl.replace("FN", fn), expected))
        out.append(("must_" + name, tmpl.replace("FN", must), expected))
    return out


ROWS = both("append", "mustAppend", [
    ("append_len", "{{ $t := tuple 1 2 3 }}{{ FN $t 4 | len }}", "4"),
    ("append_join", '{{ $t := tuple 1 2 3 4 }}{{ FN $t 5 | join "-" }}', "1-2-3-4-5"),
])
ROWS += both("prepend", "mustPrepend", [
    ("prepend_len", "{{ $t := tuple 1 2 3 }}{{ FN $t 0 | len }}", "4"),
    ("prepend_join", '{{ $t := tuple 1 2 3 4 }}{{ FN $t 0 | join "-" }}', "0-1-2-3-4"),
    ("prepend_regex_split", '{{ $t := regexSplit "/" "foo/bar/baz" -1 }}{{ FN $t "qux" | join "-" }}', "qux-foo-bar-baz"),
])
ROWS += [
    ("push_regex_split", '{{ $t := regexSplit "/" "foo/bar/baz" -1 }}{{ append $t "qux" | join "-" }}', "foo-bar-baz-qux"),
    ("must_push_regex_split", '{{ $t := regexSplit "/" "foo/bar/baz" -1 }}{{ mustPush $t "qux" | join "-" }}',
     "foo-bar-baz-qux"),
    ("tuple_index", '{{$t := tuple 1 "a" "foo"}}{{index $t 2}}{{index $t 0 }}{{index $t 1}}', "foo1a"),
    ("list_index", '{{$t := list 1 "a" "foo"}}{{index $t 2}}{{index $t 0 }}{{index $t 1}}', "foo1a"),
]
ROWS += both("first", "mustFirst", [
    ("first", "{{ list 1 2 3 | FN }}", "1"),
    ("first_empty", "{{ list | FN }}", "<no value>"),
    ("first_regex", '{{ regexSplit "/src/" "foo/src/bar" -1 | FN }}', "foo"),
])
ROWS += both("last", "mustLast", [
    ("last", "{{ list 1 2 3 | FN }}", "3"),
    ("last_empty", "{{ list | FN }}", "<no value>"),
    ("last_regex", '{{ regexSplit "/src/" "foo/src/bar" -1 | FN }}', "bar"),
])
ROWS += both("initial", "mustInitial", [
    ("initial_len", "{{ list 1 2 3 | FN | len }}", "2"),
    ("initial_last", "{{ list 1 2 3 | FN | last }}", "2"),
    ("initial_first", "{{ list 1 2 3 | FN | first }}", "1"),
    ("initial_empty", "{{ list | FN }}", "[]"),
    ("initial_regex", '{{ regexSplit "/" "foo/bar/baz" -1 | FN }}', "[foo bar]"),
])
ROWS += both("rest", "mustRest", [
    ("rest_len", "{{ list 1 2 3 | FN | len }}", "2"),
    ("rest_last", "{{ list 1 2 3 | FN | last }}", "3"),
    ("rest_first", "{{ list 1 2 3 | FN | first }}", "2"),
    ("rest_empty", "{{ list | FN }}", "[]"),
    ("rest_regex", '{{ regexSplit "/" "foo/bar/baz" -1 | FN }}', "[bar baz]"),
])
ROWS += both("reverse", "mustReverse", [
    ("reverse_first", "{{ list 1 2 3 | FN | first }}", "3"),
    ("reverse_rest_first", "{{ list 1 2 3 | FN | rest | first }}", "2"),
    ("reverse_last", "{{ list 1 2 3 | FN | last }}", "1"),
    ("reverse_four", "{{ list 1 2 3 4 | FN }}", "[4 3 2 1]"),
    ("reverse_one", "{{ list 1 | FN }}", "[1]"),
    ("reverse_empty", "{{ list | FN }}", "[]"),
    ("reverse_regex", '{{ regexSplit "/" "foo/bar/baz" -1 | FN }}', "[baz bar foo]"),
])
ROWS += both("compact", "mustCompact", [
    ("compact", '{{ list 1 0 "" "hello" | FN }}', "[1 hello]"),
    ("compact_all_empty", '{{ list "" "" | FN }}', "[]"),
    ("compact_empty", "{{ list | FN }}", "[]"),
    ("compact_regex", '{{ regexSplit "/" "foo//bar" -1 | FN }}', "[foo bar]"),
])
ROWS += both("uniq", "mustUniq", [
    ("uniq_ints", "{{ list 1 2 3 4 | FN }}", "[1 2 3 4]"),
    ("uniq_strings", '{{ list "a" "b" "c" "d" | FN }}', "[a b c d]"),
    ("uniq_dups", "{{ list 1 1 1 1 2 2 2 2 | FN }}", "[1 2]"),
    ("uniq_mixed", '{{ list "foo" 1 1 1 1 "foo" "foo" | FN }}', "[foo 1]"),
    ("uniq_empty", "{{ list | FN }}", "[]"),
    ("uniq_regex", '{{ regexSplit "/" "foo/foo/bar" -1 | FN }}', "[foo bar]"),
])
ROWS += both("without", "mustWithout", [
    ("without_int", "{{ FN (list 1 2 3 4) 1 }}", "[2 3 4]"),
    ("without_string", '{{ FN (list "a" "b" "c" "d") "a" }}', "[b c d]"),
    ("without_dups", "{{ FN (list 1 1 1 1 2) 1 }}", "[2]"),
    ("without_empty", "{{ FN (list) 1 }}", "[]"),
    ("without_nothing", "{{ FN (list 1 2 3) }}", "[1 2 3]"),
    ("without_list_call", "{{ FN list }}", "[]"),
    ("without_regex", '{{ FN (regexSplit "/" "foo/bar/baz" -1 ) "foo" }}', "[bar baz]"),
])
ROWS += both("has", "mustHas", [
    ("has_true", "{{ list 1 2 3 | FN 1 }}", "true"),
    ("has_false", "{{ list 1 2 3 | FN 4 }}", "false"),
    ("has_regex", '{{ regexSplit "/" "foo/bar/baz" -1 | FN "bar" }}', "true"),
    ("has_nil", '{{ FN "bar" nil }}', "false"),
])
ROWS += both("slice", "mustSlice", [
    ("slice_all", "{{ FN (list 1 2 3) }}", "[1 2 3]"),
    ("slice_0_1", "{{ FN (list 1 2 3) 0 1 }}", "[1]"),
    ("slice_1_3", "{{ FN (list 1 2 3) 1 3 }}", "[2 3]"),
    ("slice_1", "{{ FN (list 1 2 3) 1 }}", "[2 3]"),
    ("slice_regex", '{{ FN (regexSplit "/" "foo/bar/baz" -1) 1 2 }}', "[bar]"),
])
ROWS += [
    ("concat_one", "{{ concat (list 1 2 3) }}", "[1 2 3]"),
    ("concat_two", "{{ concat (list 1 2 3) (list 4 5) }}", "[1 2 3 4 5]"),
    ("concat_empty", "{{ concat (list 1 2 3) (list 4 5) (list) }}", "[1 2 3 4 5]"),
    ("concat_nil", "{{ concat (list 1 2 3) (list 4 5) (list nil) }}", "[1 2 3 4 5 <nil>]"),
    ("concat_nested", '{{ concat (list 1 2 3) (list 4 5) (list ( list "foo" ) ) }}', "[1 2 3 4 5 [foo]]"),
]
add("list_test.go", "list", ROWS)

add("docs/lists.md", "list_docs", [
    ("list", "{{ list 1 2 3 4 5 }}", "[1 2 3 4 5]"),
    ("rest", "{{ $l := list 1 2 3 4 5 }}{{ rest $l }}", "[2 3 4 5]"),
    ("initial", "{{ $l := list 1 2 3 4 5 }}{{ initial $l }}", "[1 2 3 4]"),
    ("append_immutable", "{{ $l := list 1 2 3 4 5 }}{{ $n := append $l 6 }}{{ $n }} {{ $l }}", "[1 2 3 4 5 6] [1 2 3 4 5]"),
    ("prepend", "{{ $l := list 1 2 3 4 5 }}{{ prepend $l 0 }}", "[0 1 2 3 4 5]"),
    ("concat", "{{ $l := list 1 2 3 4 5 }}{{ concat $l ( list 6 7 ) ( list 8 ) }}", "[1 2 3 4 5 6 7 8]"),
    ("reverse", "{{ $l := list 1 2 3 4 5 }}{{ reverse $l }}", "[5 4 3 2 1]"),
    ("uniq", "{{ list 1 1 1 2 | uniq }}", "[1 2]"),
    ("without_many", "{{ $l := list 1 2 3 4 5 }}{{ without $l 1 3 5 }}", "[2 4]"),
    ("has", "{{ $l := list 1 2 3 4 5 }}{{ has 4 $l }} {{ has \"hello\" $l }}", "true false"),
    ("compact", '{{ $l := list 1 "a" "foo" "" }}{{ compact $l }}', "[1 a foo]"),
    ("slice_from", "{{ $l := list 1 2 3 4 5 }}{{ slice $l 3 }}", "[4 5]"),
    ("slice_to", "{{ $l := list 1 2 3 4 5 }}{{ slice $l 0 3 }}", "[1 2 3]"),
    ("chunk", "{{ chunk 3 (list 1 2 3 4 5 6 7 8) }}", "[[1 2 3] [4 5 6] [7 8]]"),
    ("chunk_exact", "{{ chunk 2 (list 1 2 3 4) }}", "[[1 2] [3 4]]"),
    {"name": "list_functions_on_data", "template": "{{ .l | reverse | join \",\" }}", "data": {"l": ["x", "y"]},
     "output": "y,x"},
])

add("dict_test.go", "dict", [
    ("dict_range", '{{$d := dict 1 2 "three" "four" 5}}{{range $k, $v := $d}}{{$k}}{{$v}}{{end}}', "125threefour"),
    ("dict_fields", '{{$t := dict "I" "shot" "the" "albatross"}}{{$t.the}} {{$t.I}}', "albatross shot"),
    ("unset", '{{- $d := dict "one" 1 "two" 222222 -}}\n\t{{- $_ := unset $d "two" -}}\n\t'
              '{{- range $k, $v := $d}}{{$k}}{{$v}}{{- end -}}\n\t', "one1"),
    ("has_key", '{{- $d := dict "one" 1 "two" 222222 -}}\n\t{{- if hasKey $d "one" -}}1{{- end -}}\n\t', "1"),
    ("pluck", '\n\t{{- $d := dict "one" 1 "two" 222222 -}}\n\t{{- $d2 := dict "one" 1 "two" 33333 -}}\n\t'
              '{{- $d3 := dict "one" 1 -}}\n\t{{- $d4 := dict "one" 1 "two" 4444 -}}\n\t'
              '{{- pluck "two" $d $d2 $d3 $d4 -}}\n\t', "[222222 33333 4444]"),
    ("keys_sorted", '{{ dict "foo" 1 "bar" 2 | keys | sortAlpha }}', "[bar foo]"),
    ("keys_empty", "{{ dict | keys }}", "[]"),
    ("keys_many", '{{ keys (dict "foo" 1) (dict "bar" 2) (dict "bar" 3) | uniq | sortAlpha }}', "[bar foo]"),
    ("pick_len", '{{- $d := dict "one" 1 "two" 222222 }}{{ pick $d "two" | len -}}', "1"),
    ("pick", '{{- $d := dict "one" 1 "two" 222222 }}{{ pick $d "two" -}}', "map[two:222222]"),
    ("pick_two", '{{- $d := dict "one" 1 "two" 222222 }}{{ pick $d "one" "two" | len -}}', "2"),
    ("pick_missing", '{{- $d := dict "one" 1 "two" 222222 }}{{ pick $d "one" "two" "three" | len -}}', "2"),
    ("pick_empty", '{{- $d := dict }}{{ pick $d "two" | len -}}', "0"),
    ("omit_len", '{{- $d := dict "one" 1 "two" 222222 }}{{ omit $d "one" | len -}}', "1"),
    ("omit", '{{- $d := dict "one" 1 "two" 222222 }}{{ omit $d "one" -}}', "map[two:222222]"),
    ("omit_all", '{{- $d := dict "one" 1 "two" 222222 }}{{ omit $d "one" "two" | len -}}', "0"),
    ("omit_missing", '{{- $d := dict "one" 1 "two" 222222 }}{{ omit $d "two" "three" | len -}}', "1"),
    ("omit_empty", '{{- $d := dict }}{{ omit $d "two" | len -}}', "0"),
    ("get", '{{- $d := dict "one" 1 }}{{ get $d "one" -}}', "1"),
    ("get_string", '{{- $d := dict "one" 1 "two" "2" }}{{ get $d "two" -}}', "2"),
    ("get_missing", '{{- $d := dict }}{{ get $d "two" -}}', ""),
    ("set", '{{- $d := dict "one" 1 "two" 222222 -}}\n\t{{- $_ := set $d "two" 2 -}}\n\t{{- $_ := set $d "three" 3 -}}\n\t'
            '{{- if hasKey $d "one" -}}{{$d.one}}{{- end -}}\n\t{{- if hasKey $d "two" -}}{{$d.two}}{{- end -}}\n\t'
            '{{- if hasKey $d "three" -}}{{$d.three}}{{- end -}}\n\t', "123"),
    ("values", '{{- $d := dict "a" 1 "b" 2 }}{{ values $d | sortAlpha | join "," }}', "1,2"),
    ("values_mixed", '{{- $d := dict "a" "first" "b" 2 }}{{ values $d | sortAlpha | join "," }}', "2,first"),
])

DIG = {"d": {"user": {"role": {"humanName": "curator"}}}}
add("docs/dicts.md", "dict_docs", [
    {"name": "dig", "template": '{{ dig "user" "role" "humanName" "guest" .d }}', "data": DIG, "output": "curator"},
    {"name": "dig_missing", "template": '{{ dig "user" "nope" "humanName" "guest" .d }}', "data": DIG, "output": "guest"},
    {"name": "dig_pipeline", "template": '{{ .d | dig "user" "role" "humanName" "guest" }}', "data": DIG,
     "output": "curator"},
    ("get_doc", '{{ $d := dict "key1" "value1" }}{{ get $d "key1" }}', "value1"),
    ("set_returns_dict", '{{ $d := dict "name1" "value1" }}{{ set $d "name4" "value4" }}', "map[name1:value1 name4:value4]"),
    ("unset_returns_dict", '{{ $d := dict "name1" "value1" "name4" "value4" }}{{ unset $d "name4" }}', "map[name1:value1]"),
    ("has_key_false", '{{ hasKey (dict "a" 1) "b" }}', "false"),
    ("pluck_first", '{{ pluck "name1" (dict "name1" "value1") (dict "name1" "otherValue1") | first }}', "value1"),
    ("merge", '{{ $d := dict "a" 1 }}{{ $s := dict "a" 2 "b" 3 }}{{ merge $d $s }}', "map[a:1 b:3]"),
    ("merge_overwrite", '{{ $d := dict "a" 1 }}{{ $s := dict "a" 2 "b" 3 }}{{ mergeOverwrite $d $s }}', "map[a:2 b:3]"),
    ("merge_overwrite_doc",
     '{{ $dst := dict "default" "default" "overwrite" "me" }}{{ $src := dict "overwrite" "overwritten" }}'
     '{{ mergeOverwrite $dst $src }}', "map[default:default overwrite:overwritten]"),
    ("merge_deep", '{{ $d := dict "x" (dict "a" 1) }}{{ $s := dict "x" (dict "b" 2) }}{{ merge $d $s }}',
     "map[x:map[a:1 b:2]]"),
    ("must_merge", '{{ mustMerge (dict "a" 1) (dict "b" 2) }}', "map[a:1 b:2]"),
    ("pick_doc", '{{ $d := dict "name1" "value1" "name2" "value2" "name3" "value 3" }}{{ pick $d "name1" "name2" }}',
     "map[name1:value1 name2:value2]"),
    ("omit_doc", '{{ $d := dict "name1" "value1" "name2" "value2" "name3" "value 3" }}{{ omit $d "name1" "name3" }}',
     "map[name2:value2]"),
    ("values_doc", '{{ $d := dict "name1" "value1" "name2" "value2" "name3" "value 3" }}{{ values $d | sortAlpha }}',
     "[value 3 value1 value2]"),
    ("deep_copy", '{{ dict "a" 1 "b" 2 | deepCopy }}', "map[a:1 b:2]"),
    ("must_deep_copy", '{{ list 1 (dict "a" 2) | mustDeepCopy }}', "[1 map[a:2]]"),
])

TOP = {"top": {}}
add("defaults_test.go", "defaults", [
    ("default_empty_string", '{{"" | default "foo"}}', "foo"),
    ("default_int", '{{default "foo" 234}}', "234"),
    ("default_float", '{{default "foo" 2.34}}', "2.34"),
    ("default_missing", '{{ .Nothing | default "123" }}', "123"),
    ("default_no_value", '{{ default "123" }}', "123"),
    ("empty_one", "{{if empty 1}}1{{else}}0{{end}}", "0"),
    ("empty_zero", "{{if empty 0}}1{{else}}0{{end}}", "1"),
    ("empty_string", '{{if empty ""}}1{{else}}0{{end}}', "1"),
    ("empty_float_zero", "{{if empty 0.0}}1{{else}}0{{end}}", "1"),
    ("empty_false", "{{if empty false}}1{{else}}0{{end}}", "1"),
    {"name": "empty_missing_key", "template": "{{if empty .top.NoSuchThing}}1{{else}}0{{end}}", "data": TOP, "output": "1"},
    {"name": "empty_missing_parent", "template": "{{if empty .bottom.NoSuchThing}}1{{else}}0{{end}}", "data": TOP,
     "output": "1"},
    ("coalesce_one", "{{ coalesce 1 }}", "1"),
    ("coalesce_skip_empties", '{{ coalesce "" 0 nil 2 }}', "2"),
    ("coalesce_var", '{{ $two := 2 }}{{ coalesce "" 0 nil $two }}', "2"),
    ("coalesce_var_first", '{{ $two := 2 }}{{ coalesce "" $two 0 0 0 }}', "2"),
    ("coalesce_var_before_others", '{{ $two := 2 }}{{ coalesce "" $two 3 4 5 }}', "2"),
    ("coalesce_none", "{{ coalesce }}", "<no value>"),
    {"name": "coalesce_missing", "template": '{{ coalesce .top.NoSuchThing .bottom .bottom.dollar "airplane"}}',
     "data": TOP, "output": "airplane"},
    ("all_one", "{{ all 1 }}", "true"),
    ("all_empties", '{{ all "" 0 nil 2 }}', "false"),
    ("all_var", '{{ $two := 2 }}{{ all "" 0 nil $two }}', "false"),
    ("all_var_first", '{{ $two := 2 }}{{ all "" $two 0 0 0 }}', "false"),
    ("all_var_others", '{{ $two := 2 }}{{ all "" $two 3 4 5 }}', "false"),
    ("all_none", "{{ all }}", "true"),
    {"name": "all_missing", "template": '{{ all .top.NoSuchThing .bottom .bottom.dollar "airplane"}}', "data": TOP,
     "output": "false"},
    ("any_one", "{{ any 1 }}", "true"),
    ("any_empties", '{{ any "" 0 nil 2 }}', "true"),
    ("any_var", '{{ $two := 2 }}{{ any "" 0 nil $two }}', "true"),
    ("any_var_others", '{{ $two := 2 }}{{ any "" $two 3 4 5 }}', "true"),
    ("any_zeros", '{{ $zero := 0 }}{{ any "" $zero 0 0 0 }}', "false"),
    ("any_none", "{{ any }}", "false"),
    {"name": "any_missing", "template": '{{ any .top.NoSuchThing .bottom .bottom.dollar "airplane"}}', "data": TOP,
     "output": "true"},
    {"name": "from_json", "template": "{{.Input | fromJson}}", "data": {"Input": '{"foo": 55}'}, "output": "map[foo:55]"},
    {"name": "from_json_field", "template": "{{(.Input | fromJson).foo}}", "data": {"Input": '{"foo": 55}'},
     "output": "55"},
    {"name": "to_json", "template": "{{.Top | toJson}}", "data": {"Top": {"bool": True, "string": "test", "number": 42}},
     "output": '{"bool":true,"number":42,"string":"test"}'},
    {"name": "to_pretty_json", "template": "{{.Top | toPrettyJson}}",
     "data": {"Top": {"bool": True, "string": "test", "number": 42}},
     "output": '{\n  "bool": true,\n  "number": 42,\n  "string": "test"\n}'},
    {"name": "to_raw_json", "template": "{{.Top | toRawJson}}",
     "data": {"Top": {"bool": True, "string": "test", "number": 42, "html": "<HEAD>"}},
     "output": '{"bool":true,"html":"<HEAD>","number":42,"string":"test"}'},
    ("ternary_pipe_true", '{{true | ternary "foo" "bar"}}', "foo"),
    ("ternary_true", '{{ternary "foo" "bar" true}}', "foo"),
    ("ternary_pipe_false", '{{false | ternary "foo" "bar"}}', "bar"),
    ("ternary_false", '{{ternary "foo" "bar" false}}', "bar"),
])

add("docs/defaults.md", "defaults_docs", [
    {"name": "default_bar_set", "template": '{{ default "foo" .Bar }}', "data": {"Bar": "bar"}, "output": "bar"},
    {"name": "default_bar_empty_list", "template": '{{ default "foo" .Bar }}', "data": {"Bar": []}, "output": "foo"},
    {"name": "default_bar_empty_map", "template": '{{ default "foo" .Bar }}', "data": {"Bar": {}}, "output": "foo"},
    {"name": "default_bar_false", "template": '{{ default "foo" .Bar }}', "data": {"Bar": False}, "output": "foo"},
    {"name": "default_bar_null", "template": '{{ default "foo" .Bar }}', "data": {"Bar": None}, "output": "foo"},
    {"name": "default_bar_zero", "template": '{{ default "foo" .Bar }}', "data": {"Bar": 0}, "output": "foo"},
    ("coalesce_doc", "{{ coalesce 0 1 2 }}", "1"),
    {"name": "coalesce_chain", "template": '{{ coalesce .name .parent.name "Matt" }}', "data": {"parent": {"name": ""}},
     "output": "Matt"},
    ("all_doc", "{{ all 0 1 2 }}", "false"),
    ("any_doc", "{{ any 0 1 2 }}", "true"),
    ("empty_list", "{{ empty (list) }}", "true"),
    ("empty_dict", "{{ empty (dict) }}", "true"),
    ("from_json_doc", '{{ fromJson "{\\"foo\\": 55}" }}', "map[foo:55]"),
    ("from_json_invalid", '[{{ fromJson "{" }}]', "[<no value>]"),
    {"name": "must_from_json_invalid", "template": '{{ mustFromJson "{" }}', "error_contains": "error calling mustFromJson"},
    ("to_json_escapes_html", '{{ toJson "<a>&" }}', '"\\u003ca\\u003e\\u0026"'),
    ("to_raw_json_no_escape", '{{ toRawJson "<a>&" }}', '"<a>&"'),
    ("to_json_list", "{{ list 1 \"a\" nil true 1.5 | toJson }}", '[1,"a",null,true,1.5]'),
    ("must_to_json", '{{ dict "k" (list 1 2) | mustToJson }}', '{"k":[1,2]}'),
    ("to_pretty_json_list", "{{ list 1 2 | toPrettyJson }}", "[\n  1,\n  2\n]"),
    ("from_json_list", '{{ fromJson "[1, 2.5, \\"x\\"]" }}', "[1 2.5 x]"),
])

add("numeric_test.go", "numeric", [
    ("until", "{{range $i, $e := until 5}}{{$i}}{{$e}}{{end}}", "0011223344"),
    ("until_negative", "{{range $i, $e := until -5}}{{$i}}{{$e}} {{end}}", "00 1-1 2-2 3-3 4-4 "),
    ("until_step", "{{range $i, $e := untilStep 0 5 1}}{{$i}}{{$e}}{{end}}", "0011223344"),
    ("until_step_offset", "{{range $i, $e := untilStep 3 6 1}}{{$i}}{{$e}}{{end}}", "031425"),
    ("until_step_negative", "{{range $i, $e := untilStep 0 -10 -2}}{{$i}}{{$e}} {{end}}", "00 1-2 2-4 3-6 4-8 "),
    ("until_step_wrong_direction", "{{range $i, $e := untilStep 3 0 1}}{{$i}}{{$e}}{{end}}", ""),
    ("until_step_zero", "{{range $i, $e := untilStep 3 99 0}}{{$i}}{{$e}}{{end}}", ""),
    ("until_step_negative_up", "{{range $i, $e := untilStep 3 99 -1}}{{$i}}{{$e}}{{end}}", ""),
    ("until_step_zero_down", "{{range $i, $e := untilStep 3 0 0}}{{$i}}{{$e}}{{end}}", ""),
    ("biggest", "{{ biggest 1 2 3 345 5 6 7}}", "345"),
    ("max_one", "{{ max 345}}", "345"),
    ("maxf", "{{ maxf 1 2 3 345.7 5 6 7}}", "345.7"),
    ("min", "{{ min 1 2 3 345 5 6 7}}", "1"),
    ("min_one", "{{ min 345}}", "345"),
    ("minf", "{{ minf 1.4 2 3 345.6 5 6 7}}", "1.4"),
    ("minf_one", "{{ minf 345 }}", "345"),
    ("add1", "{{ 3 | add1 }}", "4"),
    ("add1f", "{{ 3.4 | add1f }}", "4.4"),
    ("add", "{{ 3 | add 1 2}}", "6"),
    ("addf", "{{ 3 | addf 1.5 2.2}}", "6.7"),
    ("div", "{{ 4 | div 5 }}", "1"),
    ("divf", "{{ 2 | divf 5 4 }}", "0.625"),
    ("mul", '{{ 1 | mul "2" 3 "4"}}', "24"),
    ("mulf", '{{ 1.2 | mulf "2.4" 10 "4"}}', "115.2"),
    ("sub", "{{ 3 | sub 14 }}", "11"),
    ("subf", "{{ 3 | subf 4.5 1 }}", "0.5"),
    ("ceil_int", "{{ ceil 123 }}", "123"),
    ("ceil_string", '{{ ceil "123" }}', "123"),
    ("ceil_float", "{{ ceil 123.01 }}", "124"),
    ("ceil_float_string", '{{ ceil "123.01" }}', "124"),
    ("floor_int", "{{ floor 123 }}", "123"),
    ("floor_float", "{{ floor 123.9999 }}", "123"),
    ("floor_string", '{{ floor "123.9999" }}', "123"),
    ("round", "{{ round 123.5555 3 }}", "123.556"),
    ("round_string", '{{ round "123.55555" 3 }}', "123.556"),
    ("round_up", "{{ round 123.500001 0 }}", "124"),
    ("round_down", "{{ round 123.49999999 0 }}", "123"),
    ("round_custom_down", "{{ round 123.2329999 2 .3 }}", "123.23"),
    ("round_custom_up", "{{ round 123.233 2 .3 }}", "123.24"),
    ("to_decimal_string", '{{ toDecimal "777" }}', "511"),
    ("to_decimal_int", "{{ toDecimal 777 }}", "511"),
    ("to_decimal_770", "{{ toDecimal 770 }}", "504"),
    ("to_decimal_755", "{{ toDecimal 755 }}", "493"),
    ("int64_string", '{{ int64 "102" }}', "102"),
    ("int64_bad_string", '{{ int64 "frankie" }}', "0"),
    ("int64_float", "{{ int64 102.1234 }}", "102"),
    ("int64_bool", "{{ int64 true }}", "1"),
    ("int_string", '{{ int "102" }}', "102"),
    ("int_float", "{{ int 102.1234 }}", "102"),
    ("float64_string", '{{ float64 "102" }}', "102"),
    ("float64_bad_string", '{{ float64 "frankie" }}', "0"),
    ("float64_float", "{{ float64 102.1234 }}", "102.1234"),
    ("float64_bool", "{{ float64 true }}", "1"),
    ("seq_step", "{{seq 0 1 3}}", "0 1 2 3"),
    ("seq_step3", "{{seq 0 3 10}}", "0 3 6 9"),
    ("seq_empty_range", "{{seq 3 3 2}}", ""),
    ("seq_wrong_sign", "{{seq 3 -3 2}}", "3"),
    ("seq_none", "{{seq}}", ""),
    ("seq_two", "{{seq 0 4}}", "0 1 2 3 4"),
    ("seq_one", "{{seq 5}}", "1 2 3 4 5"),
    ("seq_negative", "{{seq -5}}", "1 0 -1 -2 -3 -4 -5"),
    ("seq_zero", "{{seq 0}}", "1 0"),
    ("seq_too_many", "{{seq 0 1 2 3}}", ""),
    ("seq_down", "{{seq 0 -4}}", "0 -1 -2 -3 -4"),
])

add("docs/integer-slice.md", "integer_slice_docs", [
    ("until", "{{ until 5 }}", "[0 1 2 3 4]"),
    ("until_step", "{{ untilStep 3 6 2 }}", "[3 5]"),
    ("seq_one", "{{ seq 5 }}", "1 2 3 4 5"),
    ("seq_negative_end", "{{ seq -3 }}", "1 0 -1 -2 -3"),
    ("seq_two", "{{ seq 0 2 }}", "0 1 2"),
    ("seq_down", "{{ seq 2 -2 }}", "2 1 0 -1 -2"),
    ("seq_step", "{{ seq 0 2 10 }}", "0 2 4 6 8 10"),
    ("seq_negative_step", "{{ seq 0 -2 -5 }}", "0 -2 -4"),
])

add("docs/math.md", "math_docs", [
    ("add", "{{ add 1 2 3 }}", "6"),
    ("mul", "{{ mul 1 2 3 }}", "6"),
    ("max", "{{ max 1 2 3 }}", "3"),
    ("min", "{{ min 1 2 3 }}", "1"),
    ("floor", "{{ floor 123.9999 }}", "123"),
    ("ceil", "{{ ceil 123.001 }}", "124"),
    ("round", "{{ round 123.555555 3 }}", "123.556"),
    ("mod", "{{ mod 10 3 }}", "1"),
    ("sub_types", "{{ sub 5 3 | printf \"%T\" }}", "int64"),
    ("addf", "{{ addf 1.5 2 2 }}", "5.5"),
    ("subf", "{{ subf 7.5 2 3 }}", "2.5"),
    ("divf", "{{ divf 10 2 4 }}", "1.25"),
    ("mulf", "{{ mulf 1.5 2 2 }}", "6"),
    ("maxf", "{{ maxf 1 2.5 3 }}", "3"),
    ("minf", "{{ minf 1.5 2 3 }}", "1.5"),
    {"name": "add_data_mixed", "template": "{{ add .i .f \"3\" }}", "data": {"i": 1, "f": 2.9}, "output": "6"},
])

add("docs/conversion.md", "conversion", [
    ("to_strings", "{{ list 1 2 3 | toStrings }}", "[1 2 3]"),
    ("to_decimal_octal_string", '{{ "0777" | toDecimal }}', "511"),
    ("atoi", '{{ atoi "42" }}', "42"),
    ("atoi_bad", '{{ atoi "4x2" }}', "0"),
    ("to_string_int", "{{ toString 42 | printf \"%q\" }}", '"42"'),
    ("to_string_nil", "{{ toString nil }}", "<nil>"),
    ("to_string_list", "{{ toString (list 1 \"a\") }}", "[1 a]"),
    ("int64_type", '{{ int64 "5" | printf "%T" }}', "int64"),
    ("int_type", '{{ int "5" | printf "%T" }}', "int"),
    ("float64_type", '{{ float64 "5" | printf "%T" }}', "float64"),
])

add("docs/reflection.md", "reflection", [
    ("kind_of_string", '{{ kindOf "hello" }}', "string"),
    ("kind_is_int", "{{ kindIs \"int\" 123 }}", "true"),
    ("kind_of_list", "{{ kindOf (list) }}", "slice"),
    ("kind_of_dict", "{{ kindOf (dict) }}", "map"),
    ("kind_of_nil", "{{ kindOf nil }}", "invalid"),
    ("type_of_string", '{{ typeOf "s" }}', "string"),
    ("type_of_int", "{{ typeOf 1 }}", "int"),
    ("type_of_list", "{{ typeOf (list 1) }}", "[]interface {}"),
    ("type_of_dict", "{{ typeOf (dict) }}", "map[string]interface {}"),
    ("type_of_nil", "{{ typeOf nil }}", "<nil>"),
    {"name": "type_of_data_int", "template": "{{ typeOf .x }}", "data": {"x": 1}, "output": "int64"},
    {"name": "type_of_data_float", "template": "{{ typeOf .x }}", "data": {"x": 1.5}, "output": "float64"},
    {"name": "kind_of_data_int", "template": "{{ kindOf .x }}", "data": {"x": 1}, "output": "int64"},
    ("type_is", '{{ typeIs "int" 1 }}', "true"),
    ("type_is_false", '{{ typeIs "string" 1 }}', "false"),
    ("type_is_like", '{{ typeIsLike "string" "foo" }}', "true"),
    ("deep_equal", "{{ deepEqual (list 1 2 3) (list 1 2 3) }}", "true"),
    ("deep_equal_false", '{{ deepEqual (list 1 2) (list 1 "2") }}', "false"),
    ("deep_equal_dicts", '{{ deepEqual (dict "a" 1) (dict "a" 1) }}', "true"),
])
