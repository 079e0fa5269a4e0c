"""sprig expectations for text functions: strings, string slices, regex, encoding, URL, paths,
crypto hashes and derivePassword, semver and dates (fixed inputs only)."""

CASES = []


def add(source, prefix, rows, data=None):
    """rows: (name, template, expected-output) or dicts with error/error_contains/data."""
    for r in rows:
        if isinstance(r, dict):
            c = dict(r)
            c["name"] = f"{prefix}/{c['name']}"
        else:
            name, tmpl, out = r
            c = {"name": f"{prefix}/{name}", "template": tmpl, "output": out}
        c["source"] = source
        if data is not None and "data" not in c:
            c["data"] = data
        CASES.append(c)


add("strings_test.go", "strings", [
    ("substr", '{{"fooo" | substr 0 3 }}', "foo"),
    ("substr_shorter_string", '{{"foo" | substr 0 10 }}', "foo"),
    ("trunc", '{{ "foooooo" | trunc 3 }}', "foo"),
    ("trunc_negative", '{{ "baaaaaar" | trunc -3 }}', "aar"),
    ("trunc_negative_long", '{{ "baaaaaar" | trunc -999 }}', "baaaaaar"),
    ("trunc_zero", '{{ "baaaaaz" | trunc 0 }}', ""),
    ("quote", '{{quote "a" "b" "c"}}', '"a" "b" "c"'),
    ("quote_escapes", '{{quote "\\"a\\"" "b" "c"}}', '"\\"a\\"" "b" "c"'),
    ("quote_ints", '{{quote 1 2 3 }}', '"1" "2" "3"'),
    {"name": "quote_nil", "template": "{{ .value | quote }}", "data": {"value": None}, "output": ""},
    ("squote", '{{squote "a" "b" "c"}}', "'a' 'b' 'c'"),
    ("squote_ints", '{{squote 1 2 3 }}', "'1' '2' '3'"),
    {"name": "squote_nil", "template": "{{ .value | squote }}", "data": {"value": None}, "output": ""},
    ("contains", '{{if contains "cat" "fair catch"}}1{{end}}', "1"),
    ("has_prefix", '{{if hasPrefix "cat" "catch"}}1{{end}}', "1"),
    ("has_suffix", '{{if hasSuffix "cat" "ducat"}}1{{end}}', "1"),
    ("trim", '{{trim "   5.00   "}}', "5.00"),
    ("trim_all", '{{trimAll "$" "$5.00$"}}', "5.00"),
    ("trim_prefix", '{{trimPrefix "$" "$5.00"}}', "5.00"),
    ("trim_suffix", '{{trimSuffix "$" "5.00$"}}', "5.00"),
    ("split", '{{$v := "foo$bar$baz" | split "$"}}{{$v._0}}', "foo"),
    ("splitn", '{{$v := "foo$bar$baz" | splitn "$" 2}}{{$v._0}}', "foo"),
    {"name": "to_string_kind", "template": "{{ toString .Value| kindOf }}", "data": {"Value": "string"},
     "output": "string"},
    ("to_strings_kind", '{{ $s := list 1 2 3 | toStrings }}{{ index $s 1 | kindOf }}', "string"),
    {"name": "to_strings_skips_nil", "template": "{{ list 1 .value 2 | toStrings }}", "data": {"value": None},
     "output": "[1 2]"},
    ("join_tuple", '{{ tuple "a" "b" "c" | join "-" }}', "a-b-c"),
    ("join_ints", '{{ tuple 1 2 3 | join "-" }}', "1-2-3"),
    {"name": "join_data_strings", "template": '{{ join "-" .V }}', "data": {"V": ["a", "b", "c"]}, "output": "a-b-c"},
    {"name": "join_data_string", "template": '{{ join "-" .V }}', "data": {"V": "abc"}, "output": "abc"},
    {"name": "join_data_ints", "template": '{{ join "-" .V }}', "data": {"V": [1, 2, 3]}, "output": "1-2-3"},
    {"name": "join_skips_nil", "template": '{{ join "-" .value }}', "data": {"value": ["1", None, "2"]},
     "output": "1-2"},
    ("sort_alpha", '{{ list "c" "a" "b" | sortAlpha | join "" }}', "abc"),
    ("sort_alpha_ints", '{{ list 2 1 4 3 | sortAlpha | join "" }}', "1234"),
    ("b64enc", '{{b64enc "coffee"}}', "Y29mZmVl"),
    ("b64dec", '{{b64dec "Y29mZmVl"}}', "coffee"),
    ("b32enc", '{{b32enc "coffee"}}', "MNXWMZTFMU======"),
    ("b32dec", '{{b32dec "MNXWMZTFMU======"}}', "coffee"),
    ("abbrev", '{{abbrev 5 "hello world"}}', "he..."),
    ("abbrevboth", '{{abbrevboth 5 10 "1234 5678 9123"}}', "...5678..."),
    ("nospace", '{{nospace "h e l l o "}}', "hello"),
    ("untitle", '{{untitle "First Try"}}', "first try"),
    ("initials", '{{initials "First Try"}}', "FT"),
    ("wrap", '{{wrap 5 "Hello World"}}', "Hello\nWorld"),
    ("wrap_with", '{{wrapWith 5 "\\t" "Hello World"}}', "Hello\tWorld"),
    ("cat", '{{$b := "b"}}{{"c" | cat "a" $b}}', "a b c"),
    {"name": "cat_nil", "template": '{{ .value | cat "a" "b"}}', "data": {"value": None}, "output": "a b"},
    ("indent", '{{indent 4 "a\\nb\\nc"}}', "    a\n    b\n    c"),
    ("nindent", '{{nindent 4 "a\\nb\\nc"}}', "\n    a\n    b\n    c"),
    ("replace", '{{"I Am Henry VIII" | replace " " "-"}}', "I-Am-Henry-VIII"),
    ("plural_many", '{{$num := len "two"}}{{$num}} {{$num | plural "1 char" "chars"}}', "3 chars"),
    ("plural_one", '{{len "t" | plural "cheese" "%d chars"}}', "cheese"),
])

add("docs/strings.md", "strings_docs", [
    ("trim", '{{ trim "   hello    " }}', "hello"),
    ("trim_all", '{{ trimAll "$" "$5.00" }}', "5.00"),
    ("trim_suffix", '{{ trimSuffix "-" "hello-" }}', "hello"),
    ("trim_prefix", '{{ trimPrefix "-" "-hello" }}', "hello"),
    ("upper", '{{ upper "hello" }}', "HELLO"),
    ("lower", '{{ lower "HELLO" }}', "hello"),
    ("title", '{{ title "hello world" }}', "Hello World"),
    ("untitle", '{{ untitle "Hello World" }}', "hello world"),
    ("repeat", '{{ repeat 3 "hello" }}', "hellohellohello"),
    ("substr", '{{ substr 0 5 "hello world" }}', "hello"),
    ("nospace", '{{ nospace "hello w o r l d" }}', "helloworld"),
    ("trunc", '{{ trunc 5 "hello world" }}', "hello"),
    ("trunc_negative", '{{ trunc -5 "hello world" }}', "world"),
    ("contains", '{{ contains "cat" "catch" }}', "true"),
    ("has_prefix", '{{ hasPrefix "cat" "catch" }}', "true"),
    ("cat", '{{ cat "hello" "beautiful" "world" }}', "hello beautiful world"),
    ("snakecase", '{{ snakecase "FirstName" }}', "first_name"),
    ("camelcase", '{{ camelcase "http_server" }}', "HttpServer"),
    ("kebabcase", '{{ kebabcase "FirstName" }}', "first-name"),
    ("swapcase", '{{ swapcase "This Is A.Test" }}', "tHIS iS a.tEST"),
    ("regex_match", '{{ regexMatch "^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}$" "test@acme.com" }}', "true"),
    ("regex_find_all", '{{ regexFindAll "[2,4,6,8]" "123456789" -1 }}', "[2 4 6 8]"),
    ("regex_find", '{{ regexFind "[a-zA-Z][1-9]" "abcd1234" }}', "d1"),
    ("regex_replace_all", '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}', "-W-xxW-"),
    ("regex_replace_all_literal", '{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }}', "-${1}-${1}-"),
    ("regex_split", '{{ regexSplit "z+" "pizza" -1 }}', "[pi a]"),
    ("regex_quote_meta", '{{ regexQuoteMeta "1.2.3" }}', "1\\.2\\.3"),
])

add("docs/string-slice.md", "string_slice_docs", [
    ("join", '{{ list "hello" "world" | join "_" }}', "hello_world"),
    ("join_ints", '{{ list 1 2 3 | join "+" }}', "1+2+3"),
    ("split_list", '{{ splitList "$" "foo$bar$baz" }}', "[foo bar baz]"),
    ("split_dict", '{{ $a := split "$" "foo$bar$baz" }}{{ $a._0 }}', "foo"),
    ("split_dict_print", '{{ split "$" "foo$bar$baz" }}', "map[_0:foo _1:bar _2:baz]"),
    ("splitn_rest", '{{ $a := splitn "$" 2 "foo$bar$baz" }}{{ $a._1 }}', "bar$baz"),
    ("sort_alpha", '{{ list "b" "a" "c" | sortAlpha }}', "[a b c]"),
])

RE_EMAIL = "`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}`"
add("regex_test.go", "regex", [
    ("match_email", "{{ regexMatch %s \"test@acme.com\" }}" % RE_EMAIL, "true"),
    ("match_email_caps", "{{ regexMatch %s \"Test@Acme.Com\" }}" % RE_EMAIL, "true"),
    ("match_plain", "{{ regexMatch %s \"test\" }}" % RE_EMAIL, "false"),
    ("match_no_at", "{{ regexMatch %s \"test.com\" }}" % RE_EMAIL, "false"),
    ("match_no_tld", "{{ regexMatch %s \"test@acme\" }}" % RE_EMAIL, "false"),
    ("must_match", "{{ mustRegexMatch %s \"test@acme.com\" }}" % RE_EMAIL, "true"),
    ("find_all_one", '{{ regexFindAll "a{2}" "aa" -1 | len }}', "1"),
    ("find_all_limit", '{{ regexFindAll "a{2}" "aaaaaaaa" 1 | len }}', "1"),
    ("find_all_two", '{{ regexFindAll "a{2}" "aaaa" -1 | len }}', "2"),
    ("find_all_none", '{{ regexFindAll "a{2}" "none" -1 | len }}', "0"),
    ("must_find_all", '{{ mustRegexFindAll "a{2}" "aaaa" -1 }}', "[aa aa]"),
    ("find", '{{ regexFind "fo.?" "foorbar" }}', "foo"),
    ("find_first", '{{ regexFind "fo.?" "foo foe fome" }}', "foo"),
    ("find_none", '{{ regexFind "fo.?" "none" }}', ""),
    ("must_find", '{{ mustRegexFind "fo.?" "foorbar" }}', "foo"),
    ("replace_all", '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "T" }}', "-T-T-"),
    ("replace_all_group", '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1" }}', "--xx-"),
    ("replace_all_group_w", '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }}', "---"),
    ("replace_all_braced", '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}', "-W-xxW-"),
    ("must_replace_all", '{{ mustRegexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}', "-W-xxW-"),
    ("replace_literal", '{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "T" }}', "-T-T-"),
    ("replace_literal_dollar", '{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "$1" }}', "-$1-$1-"),
    ("replace_literal_braced", '{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }}', "-${1}-${1}-"),
    ("must_replace_literal", '{{ mustRegexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "$1" }}', "-$1-$1-"),
    ("split_all", '{{ regexSplit "a" "banana" -1 | len }}', "4"),
    ("split_zero", '{{ regexSplit "a" "banana" 0 | len }}', "0"),
    ("split_one", '{{ regexSplit "a" "banana" 1 | len }}', "1"),
    ("split_two", '{{ regexSplit "a" "banana" 2 | len }}', "2"),
    ("split_plus_all", '{{ regexSplit "z+" "pizza" -1 | len }}', "2"),
    ("split_plus_zero", '{{ regexSplit "z+" "pizza" 0 | len }}', "0"),
    ("split_plus_one", '{{ regexSplit "z+" "pizza" 1 | len }}', "1"),
    ("split_plus_two", '{{ regexSplit "z+" "pizza" 2 | len }}', "2"),
    ("split_all_print", '{{ regexSplit "a" "banana" -1 }}', "[b n n ]"),
    ("must_split", '{{ mustRegexSplit "a" "banana" 2 }}', "[b nana]"),
    ("quote_meta", '{{ regexQuoteMeta "1.2.3" }}', "1\\.2\\.3"),
    ("quote_meta_plain", '{{ regexQuoteMeta "pretzel" }}', "pretzel"),
    {"name": "must_match_bad_regex", "template": '{{ mustRegexMatch "(" "x" }}',
     "error_contains": "error parsing regexp: missing closing ): `(`"},
    {"name": "must_find_bad_regex", "template": '{{ mustRegexFind "[" "x" }}',
     "error_contains": "error parsing regexp: missing closing ]: `[`"},
])

add("encoding_test.go", "encoding", [
    ("b64enc_empty", '{{ b64enc "" }}', ""),
    ("b64enc_pipe", '{{ "user:password" | b64enc }}', "dXNlcjpwYXNzd29yZA=="),
    ("b64dec_invalid", '{{ b64dec "!!" }}', "illegal base64 data at input byte 0"),
    ("b32enc_empty", '{{ b32enc "" }}', ""),
    ("b64_round_trip_unicode", '{{ "héllo wörld" | b64enc | b64dec }}', "héllo wörld"),
    ("b32_round_trip", '{{ "sprig" | b32enc | b32dec }}', "sprig"),
])

URL = '"http://admin:secret@server.com:8080/api?list=false#anchor"'
add("docs/url.md", "url", [
    ("parse_scheme", "{{ (urlParse %s).scheme }}" % URL, "http"),
    ("parse_host", "{{ (urlParse %s).host }}" % URL, "server.com:8080"),
    ("parse_hostname", "{{ (urlParse %s).hostname }}" % URL, "server.com"),
    ("parse_path", "{{ (urlParse %s).path }}" % URL, "/api"),
    ("parse_query", "{{ (urlParse %s).query }}" % URL, "list=false"),
    ("parse_fragment", "{{ (urlParse %s).fragment }}" % URL, "anchor"),
    ("parse_userinfo", "{{ (urlParse %s).userinfo }}" % URL, "admin:secret"),
    ("parse_opaque", "[{{ (urlParse %s).opaque }}]" % URL, "[]"),
    ("parse_no_port_key", "{{ (urlParse %s).port }}" % URL, "<no value>"),
    ("parse_whole", '{{ urlParse "https://example.com/a" }}',
     "map[fragment: host:example.com hostname:example.com opaque: path:/a query: scheme:https userinfo:]"),
    ("join", '{{ urlJoin (dict "fragment" "fragment" "host" "host:80" "path" "/path" "query" "query" "scheme" "http") }}',
     "http://host:80/path?query#fragment"),
    ("join_userinfo", '{{ urlJoin (dict "host" "example.com" "scheme" "https" "userinfo" "u:p") }}',
     "https://u:p@example.com"),
    ("round_trip", '{{ urlParse "https://example.com:8443/x/y?q=1#f" | urlJoin }}', "https://example.com:8443/x/y?q=1#f"),
])

add("docs/paths.md", "paths", [
    ("base", '{{ base "foo/bar/baz" }}', "baz"),
    ("dir", '{{ dir "foo/bar/baz" }}', "foo/bar"),
    ("clean", '{{ clean "foo/bar/../baz" }}', "foo/baz"),
    ("ext", '{{ ext "foo.bar" }}', ".bar"),
    ("is_abs_true", '{{ isAbs "/foo" }}', "true"),
    ("is_abs_false", '{{ isAbs "foo" }}', "false"),
    ("base_empty", '{{ base "" }}', "."),
    ("dir_empty", '{{ dir "" }}', "."),
    ("base_trailing_slash", '{{ base "foo/bar/" }}', "bar"),
    ("os_base", '{{ osBase "/foo/bar/baz" }}', "baz"),
    ("os_dir", '{{ osDir "/foo/bar/baz" }}', "/foo/bar"),
    ("os_clean", '{{ osClean "/foo/bar/../baz" }}', "/foo/baz"),
    ("os_ext", '{{ osExt "/foo.bar" }}', ".bar"),
    ("os_is_abs", '{{ osIsAbs "/foo" }}', "true"),
])

add("crypto_test.go", "crypto", [
    ("sha256sum", '{{"abc" | sha256sum}}', "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("sha1sum", '{{"abc" | sha1sum}}', "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ("adler32sum", '{{"abc" | adler32sum}}', "38600999"),
    ("sha256sum_empty", '{{ sha256sum "" }}', "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("sha1sum_empty", '{{ sha1sum "" }}', "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("adler32sum_empty", '{{ adler32sum "" }}', "1"),
    ("derive_password_long", '{{derivePassword 1 "long" "password" "user" "example.com"}}', "ZedaFaxcZaso9*"),
    ("derive_password_long_counter2", '{{derivePassword 2 "long" "password" "user" "example.com"}}', "Fovi2@JifpTupx"),
    ("derive_password_maximum", '{{derivePassword 1 "maximum" "password" "user" "example.com"}}', "pf4zS1LjCg&LjhsZ7T2~"),
    ("derive_password_medium", '{{derivePassword 1 "medium" "password" "user" "example.com"}}', "ZedJuz8$"),
    ("derive_password_basic", '{{derivePassword 1 "basic" "password" "user" "example.com"}}', "pIS54PLs"),
    ("derive_password_short", '{{derivePassword 1 "short" "password" "user" "example.com"}}', "Zed5"),
    ("derive_password_pin", '{{derivePassword 1 "pin" "password" "user" "example.com"}}', "6685"),
    ("gen_private_key_bad", '{{genPrivateKey "bad"}}', "Unknown type bad"),
    ("encrypt_decrypt_aes", '{{"plaintext" | encryptAES "secretkey" | decryptAES "secretkey"}}', "plaintext"),
])

add("docs/crypto.md", "crypto_docs", [
    ("decrypt_aes_vector", '{{ "30tEfhuJSVRhpG97XCuWgz2okj7L8vQ1s6V9zVUPeDQ=" | decryptAES "secretkey" }}', "plaintext"),
    ("encrypt_aes_round_trip", '{{ encryptAES "secretkey" "plaintext" | decryptAES "secretkey" }}', "plaintext"),
    ("encrypt_aes_empty_key", '{{ encryptAES "" "x" | decryptAES "" }}', "x"),
])

add("semver_test.go", "semver", [
    ("compare_exact", '{{ semverCompare "1.2.3" "1.2.3" }}', "true"),
    ("compare_caret", '{{ semverCompare "^1.2.0" "1.2.3" }}', "true"),
    ("compare_caret_major", '{{ semverCompare "^1.2.0" "2.2.3" }}', "false"),
    {"name": "compare_bad_constraint", "template": '{{ semverCompare "badConstraint" "1.2.3" }}',
     "error_contains": "error calling semverCompare"},
    {"name": "compare_bad_version", "template": '{{ semverCompare "1.2.0" "badVersion" }}',
     "error_contains": "error calling semverCompare"},
    ("prerelease", '{{ $s := semver "1.2.3-beta.1+c0ff33" }}{{ $s.Prerelease }}', "beta.1"),
    ("major", '{{ $s := semver "1.2.3-beta.1+c0ff33" }}{{ $s.Major}}', "1"),
    ("compare_method_equal", '{{ semver "1.2.3" | (semver "1.2.3").Compare }}', "0"),
    ("compare_method_greater", '{{ semver "1.2.3" | (semver "1.3.3").Compare }}', "1"),
    ("compare_method_less", '{{ semver "1.4.3" | (semver "1.2.3").Compare }}', "-1"),
    {"name": "parse_error", "template": '{{ semver "notaversion" }}', "error_contains": "error calling semver"},
])

add("docs/semver.md", "semver_docs", [
    ("minor", '{{ (semver "1.2.3-alpha.1+123").Minor }}', "2"),
    ("patch", '{{ (semver "1.2.3-alpha.1+123").Patch }}', "3"),
    ("metadata", '{{ (semver "1.2.3-alpha.1+123").Metadata }}', "123"),
    ("original", '{{ (semver "v1.2.3-alpha.1+123").Original }}', "v1.2.3-alpha.1+123"),
    ("tilde_in", '{{ semverCompare "~1.2.3" "1.2.9" }}', "true"),
    ("tilde_out", '{{ semverCompare "~1.2.3" "1.3.0" }}', "false"),
    ("caret_zero_in", '{{ semverCompare "^0.2.3" "0.2.5" }}', "true"),
    ("caret_zero_out", '{{ semverCompare "^0.2.3" "0.3.0" }}', "false"),
    ("wildcard", '{{ semverCompare "1.2.x" "1.2.7" }}', "true"),
    ("wildcard_out", '{{ semverCompare "1.2.x" "1.3.0" }}', "false"),
    ("or_ranges_gap", '{{ semverCompare ">= 1.2 < 3.0.0 || >= 4.2.3" "3.5.0" }}', "false"),
    ("or_ranges_second", '{{ semverCompare ">= 1.2 < 3.0.0 || >= 4.2.3" "4.3.0" }}', "true"),
    ("hyphen_range", '{{ semverCompare "1.2 - 1.4.5" "1.4.5" }}', "true"),
    ("hyphen_range_out", '{{ semverCompare "1.2 - 1.4.5" "1.4.6" }}', "false"),
    ("star", '{{ semverCompare "*" "0.0.1" }}', "true"),
    ("prerelease_skipped", '{{ semverCompare ">=1.2.3" "1.2.4-beta" }}', "false"),
    ("prerelease_included", '{{ semverCompare ">=1.2.3-0" "1.2.4-beta" }}', "true"),
    ("not_equal", '{{ semverCompare "!=1.2.3" "1.2.3" }}', "false"),
])

add("date_test.go", "date", [
    ("to_date_format", '{{toDate "2006-01-02" "2017-12-31" | date "02/01/2006"}}', "31/12/2017"),
    ("date_in_zone_int", '{{ date_in_zone "02 Jan 06 15:04 -0700" 1560458379 "UTC" }}', "13 Jun 19 20:39 +0000"),
    {"name": "date_in_zone_int64_data", "template": '{{ dateInZone "02 Jan 06 15:04 -0700" .Time "UTC" }}',
     "data": {"Time": 1560458379}, "output": "13 Jun 19 20:39 +0000"},
    ("date_in_zone_bad_zone", '{{ dateInZone "02 Jan 06 15:04 -0700" 1560458379 "foobar" }}', "13 Jun 19 20:39 +0000"),
    ("duration_round_hours", '{{ durationRound "2h5s" }}', "2h"),
    ("duration_round_day", '{{ durationRound "24h5s" }}', "1d"),
])

add("docs/date.md", "date_docs", [
    ("duration_round_months", '{{ durationRound "2400h10m5s" }}', "3mo"),
    ("duration_round_doc", '{{ durationRound "2h10m5s" }}', "2h"),
    ("duration_string", '{{ duration "95" }}', "1m35s"),
    {"name": "duration_int64_data", "template": "{{ duration .s }}", "data": {"s": 95}, "output": "1m35s"},
    ("html_date_in_zone_epoch", '{{ htmlDateInZone 0 "UTC" }}', "1970-01-01"),
    ("html_date_in_zone", '{{ htmlDateInZone 1560458379 "UTC" }}', "2019-06-13"),
    ("unix_epoch", '{{ toDate "2006-01-02T15:04:05Z07:00" "2019-06-13T20:39:39Z" | unixEpoch }}', "1560458379"),
    ("date_modify",
     '{{ $t := toDate "2006-01-02T15:04:05Z07:00" "2019-06-13T20:39:39Z" | dateModify "-1.5h" }}'
     '{{ dateInZone "2006-01-02 15:04:05" $t "UTC" }}', "2019-06-13 19:09:39"),
    ("date_modify_bad_unchanged",
     '{{ $t := toDate "2006-01-02T15:04:05Z07:00" "2019-06-13T20:39:39Z" | dateModify "nonsense" }}'
     '{{ dateInZone "2006-01-02 15:04:05" $t "UTC" }}', "2019-06-13 20:39:39"),
    ("to_date_invalid_zero", '{{ toDate "2006-01-02" "bad" }}', "0001-01-01 00:00:00 +0000 UTC"),
    {"name": "must_to_date_invalid", "template": '{{ mustToDate "2006-01-02" "bad" }}',
     "error_contains": 'parsing time "bad" as "2006-01-02"'},
    ("date_in_zone_layout_tokens",
     '{{ dateInZone "Mon Jan _2 15:04:05 MST 2006" 1560458379 "UTC" }}', "Thu Jun 13 20:39:39 UTC 2019"),
])

add("functions.go", "flow", [
    ("fail", '{{ fail "boom" }}', None),
])
CASES[-1].pop("output")
CASES[-1]["error"] = 'template: t:1:3: executing "t" at <fail "boom">: error calling fail: boom'
