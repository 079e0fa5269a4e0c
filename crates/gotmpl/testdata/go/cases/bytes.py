"""Go strings that hold bytes outside UTF-8 (from "\\x" escapes and from slicing inside a
character): what len, index, slice, comparisons, the escapers, print/printf and the template
output do with them. Outputs that are not UTF-8 are recorded as output_hex."""

CASES = [
    # The output is the bytes themselves.
    ("output_raw", '{{"\\xff"}}'),
    ("output_raw_between_text", 'a{{"\\xfe\\xff"}}b'),
    ("output_cut_sequence", '{{"\\xe2\\x82"}}'),
    ("output_slice_mid_rune", "{{slice .u 0 2}}"),
    ("output_slice_continuation", "{{slice .u 2 3}}"),
    ("output_variable", '{{$x := "\\xff"}}[{{$x}}]'),
    ("output_template_call", '{{define "x"}}<{{.}}>{{end}}{{template "x" "\\xc3"}}'),
    ("output_with", '{{with "\\xff"}}{{.}}{{end}}'),
    ("output_if_truthy", '{{if "\\xff"}}yes{{end}}'),
    # len, index and slice count and return bytes.
    ("len_invalid", '{{len "\\xff\\xfe"}}'),
    ("len_cut_sequence", '{{len "\\xe2\\x82"}}'),
    ("index_invalid", '{{index "\\xff" 0}}'),
    ("index_invalid_type", '{{printf "%T" (index "\\xff" 0)}}'),
    ("index_cut_sequence", '{{index "\\xe2\\x82" 1}}'),
    ("slice_invalid", '{{printf "%q" (slice "a\\xffb" 1 2)}}'),
    ("slice_to_end", '{{printf "%q" (slice .u 2)}}'),
    ("slice_len_mid_rune", "{{len (slice .u 0 2)}}"),
    # Comparisons are byte-wise.
    ("eq_invalid", '{{eq "\\xff" "\\xff"}}'),
    ("eq_invalid_vs_replacement", '{{eq "\\xff" "\\ufffd"}}'),
    ("lt_invalid_after_ascii", '{{lt "a" "\\xff"}}'),
    ("lt_invalid_vs_replacement", '{{lt "\\xef" "\\xff"}}'),
    ("ne_cut_vs_whole", '{{ne (slice .u 0 2) "h\\u00e9"}}'),
    # print / println copy the bytes.
    ("print_invalid", '{{print "\\xff" 1 2 "\\xfe"}}'),
    ("println_invalid", '{{println "\\xff" 1}}'),
    ("print_cut", "{{print (slice .u 0 2) (slice .u 2)}}"),
    # printf: %s and %v copy, width and precision count runes (a bad byte is one), %q and %x
    # show the bytes.
    ("printf_s", '{{printf "%s|%v" "\\xff" "\\xfe"}}'),
    ("printf_s_width", '{{printf "[%4s][%-4s]" "\\xff" "\\xe2\\x82"}}'),
    ("printf_s_precision", '{{printf "[%.1s][%.2s]" "\\xffab" "\\xe2\\x82\\xac\\xff"}}'),
    ("printf_q", '{{printf "%q" "a\\xe2\\x82b"}}'),
    ("printf_q_plus", '{{printf "%+q" "\\u00e9\\xff"}}'),
    ("printf_q_sharp", '{{printf "%#q|%#q" "\\xff" "ok"}}'),
    ("printf_q_precision", '{{printf "%.1q" "\\xffab"}}'),
    ("printf_q_width", '{{printf "[%8q][%-8q]" "\\xff" "\\xff"}}'),
    ("printf_x", '{{printf "%x|%X|% x|%#x" "\\xff\\x01" "\\xfe" "\\xe2\\x82" "\\xff"}}'),
    ("printf_x_precision", '{{printf "%.1x" "\\xff\\xfe"}}'),
    ("printf_T", '{{printf "%T" "\\xff"}}'),
    ("printf_d_bad_verb", '{{printf "%d" "\\xff"}}'),
    ("printf_format_bytes", '{{printf "\\xff%d\\xfe" 7}}'),
    ("printf_bad_verb_byte", '{{printf "%\\xff" 1}}'),
    ("printf_extra", '{{printf "x" "\\xff"}}'),
    ("printf_pipeline", '{{"\\xff" | printf "%v"}}'),
    # The escapers: html and js keep the bytes (js reads one as U+FFFD, which is printable),
    # urlquery escapes them.
    ("html_invalid", '{{html "<\\xff>"}}'),
    ("js_invalid_quote", '{{js "\\xff\\"\\xfe"}}'),
    ("js_cut_sequence", '{{js "\\xe2\\x82"}}'),
    ("urlquery_invalid", '{{urlquery "\\xff \\xe2\\x82"}}'),
    ("urlquery_multi", '{{urlquery "\\xff" 1}}'),
    # Character constants and escapes in raw strings.
    ("char_hex_byte", "{{'\\xff'}}"),
    ("raw_string_backslash_x", "{{`\\xff`}}"),
]
