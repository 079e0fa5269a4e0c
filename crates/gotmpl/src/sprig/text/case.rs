//! Go's `unicode` predicates and one-rune case mappings, and the case conversions sprig takes
//! from huandu/xstrings v1.5 (`snakecase`, `kebabcase`, `camelcase` = `ToPascalCase`) and
//! Masterminds/goutils (`swapcase`, `untitle`, `title` via `strings.Title`).

use std::sync::OnceLock;

use regex::Regex;

fn class(cell: &'static OnceLock<Regex>, pattern: &str, c: char) -> bool {
    let re = cell.get_or_init(|| Regex::new(pattern).expect("unicode class"));
    let mut buf = [0u8; 4];
    re.is_match(c.encode_utf8(&mut buf))
}

/// `unicode.IsUpper` (category Lu).
pub(super) fn is_upper(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    class(&RE, r"^\p{Lu}$", c)
}

/// `unicode.IsLower` (category Ll).
pub(super) fn is_lower(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    if c.is_ascii() {
        return c.is_ascii_lowercase();
    }
    class(&RE, r"^\p{Ll}$", c)
}

/// `unicode.IsTitle` (category Lt).
pub(super) fn is_title(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    !c.is_ascii() && class(&RE, r"^\p{Lt}$", c)
}

/// `unicode.IsLetter` (category L).
pub(super) fn is_letter(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    class(&RE, r"^\p{L}$", c)
}

/// `unicode.IsDigit` (category Nd).
pub(super) fn is_digit(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    class(&RE, r"^\p{Nd}$", c)
}

/// `unicode.IsNumber` (category N).
pub(super) fn is_number(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    class(&RE, r"^\p{N}$", c)
}

/// `unicode.IsPunct` (category P; ASCII `$+<=>^`|~` are symbols, not punctuation).
pub(super) fn is_punct(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    if c.is_ascii() {
        return c.is_ascii_punctuation() && !"$+<=>^`|~".contains(c);
    }
    class(&RE, r"^\p{P}$", c)
}

/// `unicode.IsSpace`.
pub(super) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// `unicode.ToUpper`: the one-rune (simple) mapping; runes whose uppercase is several runes
/// (`ß`) stay as they are.
pub(super) fn to_upper(c: char) -> char {
    // Greek with ypogegrammeni: the simple mapping is the titlecase letter.
    match c as u32 {
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => {
            return char::from_u32(c as u32 + 8).unwrap_or(c)
        }
        0x1FB3 | 0x1FC3 | 0x1FF3 => return char::from_u32(c as u32 + 9).unwrap_or(c),
        _ => {}
    }
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// `unicode.ToLower` (simple mapping; `İ` → `i`).
pub(super) fn to_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        (Some(l), Some(_)) if c == '\u{130}' => l,
        _ => c,
    }
}

/// `unicode.ToTitle`: uppercase except for the four Latin digraphs with a titlecase form.
pub(super) fn to_title(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        // Georgian Mkhedruli letters are their own titlecase (their uppercase is Mtavruli).
        '\u{10D0}'..='\u{10FA}' | '\u{10FD}'..='\u{10FF}' => c,
        _ => to_upper(c),
    }
}

/// `strings.Title`: the first letter of each word (after a separator) in title case.
pub(super) fn title(s: &str) -> String {
    fn is_separator(r: char) -> bool {
        if r.is_ascii() {
            return !(r.is_ascii_alphanumeric() || r == '_');
        }
        if is_letter(r) || is_digit(r) {
            return false;
        }
        is_space(r)
    }
    let mut prev = ' ';
    s.chars()
        .map(|r| {
            let out = if is_separator(prev) { to_title(r) } else { r };
            prev = r;
            out
        })
        .collect()
}

/// goutils `Uncapitalize`: the first rune of each whitespace-separated word in lower case.
pub(super) fn untitle(s: &str) -> String {
    let mut next = true;
    s.chars()
        .map(|c| {
            if is_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                to_lower(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils `SwapCase`: upper/title → lower; lower → title at a word start, else upper.
pub(super) fn swapcase(s: &str) -> String {
    let mut whitespace = true;
    s.chars()
        .map(|c| {
            if is_upper(c) || is_title(c) {
                whitespace = false;
                to_lower(c)
            } else if is_lower(c) {
                if whitespace {
                    whitespace = false;
                    to_title(c)
                } else {
                    to_upper(c)
                }
            } else {
                whitespace = is_space(c);
                c
            }
        })
        .collect()
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_space(c)
}

/// xstrings `isAlphabet`: a letter that is not a CJK ideograph.
fn is_alphabet(c: char) -> bool {
    if !is_letter(c) {
        return false;
    }
    let u = c as u32;
    !((0x4E00..=0x9FCC).contains(&u)
        || (0x3400..=0x4D85).contains(&u)
        || (0x20000..=0x2B81D).contains(&u))
}

/// xstrings `ToPascalCase` (sprig's `camelcase`): words separated by space, `_` and `-` joined
/// with their first rune upper-cased; the rest of an all-caps word is lower-cased.
pub(super) fn pascal_case(s: &str) -> String {
    let runes: Vec<char> = s.chars().collect();
    if runes.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut first_upper = false;
    let mut r0 = '\0';
    // Leading connectors are kept.
    while i < runes.len() {
        r0 = runes[i];
        i += 1;
        if !is_connector(r0) {
            first_upper = is_upper(r0);
            r0 = to_upper(r0);
            break;
        }
        out.push(r0);
    }
    if i >= runes.len() {
        // xstrings writes the last rune once more here, even after a connector ("_" → "__").
        out.push(r0);
        return out;
    }
    while i < runes.len() {
        let r1 = r0;
        r0 = runes[i];
        i += 1;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = is_upper(r0);
            r0 = to_upper(r0);
        } else {
            if first_upper {
                if is_upper(r0) {
                    r0 = to_lower(r0);
                } else {
                    first_upper = false;
                }
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// xstrings `nextValidRune`: the first rune of `r` that is not U+FFFD (Go's `RuneError`, which
/// xstrings skips), with how many runes that took; all U+FFFD gives `prev` and their count.
fn next_valid(r: &[char], prev: char) -> (char, usize) {
    match r.iter().position(|&c| c != '\u{FFFD}') {
        Some(k) => (r[k], k + 1),
        None => (prev, r.len()),
    }
}

/// xstrings `nextWord`: the next word's kind and length in runes. U+FFFD runes are carried
/// along with the word they precede (or follow, at the end).
fn next_word(s: &[char]) -> (Word, usize) {
    if s.is_empty() {
        return (Word::Invalid, 0);
    }
    let (mut r, size) = next_valid(s, '\u{FFFD}');
    let mut offset = size;
    if r == '\u{FFFD}' {
        return (Word::Invalid, offset);
    }
    // Extends the word while `pred` holds for the next valid rune.
    let run = |offset: &mut usize, r: &mut char, pred: &dyn Fn(char) -> bool| {
        while *offset < s.len() {
            let (c, size) = next_valid(&s[*offset..], *r);
            *r = c;
            if !pred(c) {
                break;
            }
            *offset += size;
        }
    };
    let wt = if is_connector(r) {
        run(&mut offset, &mut r, &is_connector);
        Word::Connector
    } else if is_punct(r) {
        run(&mut offset, &mut r, &is_punct);
        Word::Punct
    } else if is_upper(r) {
        if offset < s.len() {
            let (c, size) = next_valid(&s[offset..], r);
            r = c;
            if is_upper(c) {
                let mut prev_size = size;
                offset += size;
                while offset < s.len() {
                    let (c, size) = next_valid(&s[offset..], r);
                    r = c;
                    if !is_upper(c) {
                        break;
                    }
                    prev_size = size;
                    offset += size;
                }
                // "HTTPStatus" splits into "HTTP" and "Status".
                if offset < s.len() && is_alphabet(r) {
                    offset -= prev_size;
                }
            } else if is_alphabet(c) {
                offset += size;
                run(&mut offset, &mut r, &|x| is_alphabet(x) && !is_upper(x));
            }
        }
        Word::Upper
    } else if is_alphabet(r) {
        run(&mut offset, &mut r, &|x| is_alphabet(x) && !is_upper(x));
        Word::Alphabet
    } else if is_number(r) {
        run(&mut offset, &mut r, &is_number);
        Word::Number
    } else {
        run(&mut offset, &mut r, &|x| {
            !(is_connector(x) || is_alphabet(x) || is_number(x) || is_punct(x))
        });
        Word::Other
    };
    (wt, offset)
}

fn push_lower(out: &mut String, wt: Word, word: &[char], connector: char) {
    if wt != Word::Upper && wt != Word::Connector {
        out.extend(word.iter());
        return;
    }
    for &c in word {
        if is_connector(c) {
            out.push(connector);
        } else if is_upper(c) {
            out.push(to_lower(c));
        } else {
            out.push(c);
        }
    }
}

/// xstrings `camelCaseToLowerCase`: `snakecase` (`_`) and `kebabcase` (`-`).
pub(super) fn to_delimited(s: &str, connector: char) -> String {
    let runes: Vec<char> = s.chars().collect();
    if runes.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(s.len() + 4);
    let mut pos = 0;
    let take = |pos: &mut usize| -> (Word, std::ops::Range<usize>) {
        let (wt, n) = next_word(&runes[*pos..]);
        let range = *pos..*pos + n;
        *pos += n;
        (wt, range)
    };
    let (mut wt, mut word) = take(&mut pos);
    while pos < runes.len() {
        if wt != Word::Connector {
            push_lower(&mut out, wt, &runes[word.clone()], connector);
        }
        let prev = wt;
        let last = word.clone();
        (wt, word) = take(&mut pos);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, &runes[word.clone()], connector);
                    (wt, word) = take(&mut pos);
                }
                if wt != Word::Invalid && wt != Word::Punct && wt != Word::Connector {
                    out.push(connector);
                }
            }
            Word::Connector => push_lower(&mut out, prev, &runes[last], connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if pos >= runes.len() {
                    continue;
                }
                let last = word.clone();
                (wt, word) = take(&mut pos);
                // A number followed by a non-letter belongs to the previous word ("Bld4Floor").
                if wt != Word::Alphabet {
                    push_lower(&mut out, Word::Number, &runes[last], connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                // Lower-case letters after a number start a new word ("HTTP2xx" → "http_2xx").
                out.push(connector);
                push_lower(&mut out, Word::Number, &runes[last], connector);
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut out, wt, &runes[word.clone()], connector);
                    (wt, word) = take(&mut pos);
                }
                if wt != Word::Invalid && wt != Word::Connector && wt != Word::Punct {
                    out.push(connector);
                }
            }
        }
    }
    push_lower(&mut out, wt, &runes[word], connector);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Samples from xstrings v1.5 convert.go doc comments and convert_test.go.
    #[test]
    fn snake_and_kebab() {
        for (i, o) in [
            ("FirstName", "first_name"),
            ("HTTPServer", "http_server"),
            ("NoHTTPS", "no_https"),
            ("GO_PATH", "go_path"),
            ("GO PATH", "go_path"),
            ("GO-PATH", "go_path"),
            ("http2xx", "http_2xx"),
            ("HTTP20xOK", "http_20x_ok"),
            ("Duration2m3s", "duration_2m3s"),
            ("Bld4Floor3rd", "bld4_floor_3rd"),
            ("", ""),
            ("a", "a"),
            // xstrings v1.5 convert_test.go TestToSnakeCaseAndToKebabCase
            ("_camelCase", "_camel_case"),
            ("Wi_thF", "wi_th_f"),
            ("_AnotherTES_TCaseP", "_another_tes_t_case_p"),
            ("ALL", "all"),
            ("_HELLO_WORLD_", "_hello_world_"),
            ("HELLO_WORLD", "hello_world"),
            ("HELLO____WORLD", "hello____world"),
            ("TW", "tw"),
            ("_C", "_c"),
            ("HTTP2XX", "http2_xx"),
            ("HTTP-20xStatus", "http_20x_status"),
            ("  sentence case  ", "__sentence_case__"),
            (
                " Mixed-hyphen case _and SENTENCE_case and UPPER-case",
                "_mixed_hyphen_case__and_sentence_case_and_upper_case",
            ),
            (
                "Abc\u{FFFD}E\u{FFFD}f\u{FFFD}d\u{FFFD}2\u{FFFD}00z\u{FFFD}ZZ\u{FFFD}ZZ",
                "abc_\u{FFFD}e\u{FFFD}f\u{FFFD}d_\u{FFFD}2\u{FFFD}00z_\u{FFFD}zz\u{FFFD}zz",
            ),
            ("\u{FFFD}\u{FFFD}\u{FFFD}", "\u{FFFD}\u{FFFD}\u{FFFD}"),
            ("abc_123_def", "abc_123_def"),
            ("a", "a"),
            (" _-_ ", "_____"),
            ("a1b2c3d", "a_1b2c3d"),
            ("A//B%%2c", "a//b%%2c"),
            ("HTTP状态码404/502Error", "http_状态码404/502_error"),
            ("中文(字符)", "中文(字符)"),
            ("混合ABCWords与123数字456", "混合_abc_words_与123_数字456"),
            (
                "FROM CamelCase to snake/kebab-case",
                "from_camel_case_to_snake/kebab_case",
            ),
            ("HTTP20xStatus", "http_20x_status"),
        ] {
            assert_eq!(to_delimited(i, '_'), o, "{i}");
            assert_eq!(to_delimited(i, '-'), o.replace('_', "-"), "{i}");
        }
        assert_eq!(to_delimited("HTTPServer", '-'), "http-server");
        assert_eq!(to_delimited("Bld4Floor3rd", '-'), "bld4-floor-3rd");
    }

    #[test]
    fn pascal() {
        for (i, o) in [
            ("some_words", "SomeWords"),
            ("http_server", "HttpServer"),
            ("no_https", "NoHttps"),
            ("_complex__case_", "_Complex_Case_"),
            ("some words", "SomeWords"),
            ("GOLANG_IS_GREAT", "GolangIsGreat"),
            ("a", "A"),
            ("_", "__"),
            // xstrings v1.5 convert_test.go TestToPascalCase
            ("_camel_case", "_CamelCase"),
            (" complex -case ", " Complex Case "),
            ("all", "All"),
            ("GOLANG", "Golang"),
            ("好", "好"),
            (
                "FROM CamelCase to snake/kebab-case",
                "FromCamelCaseToSnake/kebabCase",
            ),
            ("hello-world", "HelloWorld"),
            ("HELLO", "Hello"),
            ("helloWORLD", "HelloWORLD"),
            ("some_1_thing", "Some1Thing"),
            ("1_abc", "1Abc"),
            ("abc_1", "Abc1"),
            ("v1_2v", "V12v"),
            ("a__b", "A_B"),
            ("a  b", "A B"),
            ("1_2", "12"),
            ("_a_B_", "_AB_"),
            ("中文_测试", "中文测试"),
            ("", ""),
        ] {
            assert_eq!(pascal_case(i), o, "{i}");
        }
    }

    // xstrings convert_test.go TestSwapCase is for xstrings' SwapCase; sprig's swapcase is
    // goutils' word-based one, checked here on sprig's docs example.
    #[test]
    fn go_case_helpers() {
        assert_eq!(title("hello world-wide_web ǆx"), "Hello World-Wide_web ǅx");
        assert_eq!(untitle("First Try"), "first try");
        assert_eq!(swapcase("This Is A Test"), "tHIS iS a tEST");
        assert_eq!(swapcase("ß İ"), "ß i");
        assert_eq!(to_upper('ß'), 'ß');
        assert_eq!(to_lower('İ'), 'i');
        assert!(is_punct('!') && !is_punct('$') && is_punct('「'));
    }
}
