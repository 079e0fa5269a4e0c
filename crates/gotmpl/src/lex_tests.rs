//! Lexer tests: token kinds, trim markers, comments, Go's lexer error texts, lines.
use super::ItemType::*;
use super::*;

fn types(src: &str) -> Vec<(ItemType, std::string::String)> {
    lex(src, true, true)
        .into_iter()
        .map(|i| (i.typ, i.val))
        .collect()
}

#[test]
fn text_and_actions() {
    let t = types("a {{ .x.y | f 1 \"s\" `r` $v }} b");
    let kinds: Vec<ItemType> = t.iter().map(|x| x.0).collect();
    assert_eq!(
        kinds,
        vec![
            Text, LeftDelim, Space, Field, Field, Space, Pipe, Space, Identifier, Space, Number,
            Space, String, Space, RawString, Space, Variable, Space, RightDelim, Text, Eof
        ]
    );
}

#[test]
fn trim_markers_and_comments() {
    let t = types("a  \n{{- 3 -}}\n  b {{- /* c */ -}}  c");
    assert_eq!(t[0], (Text, "a".into()));
    assert_eq!(t[2], (Number, "3".into()));
    assert_eq!(t[4], (Text, "b".into()));
    assert_eq!(t[5], (Text, "c".into()));
    assert_eq!(types("{{-3}}")[1], (Number, "-3".into()));
}

#[test]
fn keywords_and_assign() {
    let t = types("{{$x := 1}}{{$x = 2}}{{if true}}{{else}}{{end}}{{break}}");
    assert!(t.iter().any(|x| x.0 == Declare));
    assert!(t.iter().any(|x| x.0 == Assign));
    assert!(t.iter().any(|x| x.0 == If));
    assert!(t.iter().any(|x| x.0 == Bool));
    assert!(t.iter().any(|x| x.0 == Break));
    let no_break = lex("{{break}}", false, true);
    assert_eq!(no_break[1].typ, Identifier);
}

#[test]
fn errors() {
    let last = |s: &str| lex(s, true, true).pop().unwrap();
    assert_eq!(last("{{ .x").val, "unclosed action");
    assert_eq!(last("{{/* x").val, "unclosed comment");
    assert_eq!(
        last("{{/* x */ }}").val,
        "comment ends before closing delimiter"
    );
    assert_eq!(last("{{ \"abc }}").val, "unterminated quoted string");
    assert_eq!(last("{{ 3x }}").val, "bad number syntax: \"3x\"");
    assert_eq!(last("{{ ) }}").val, "unexpected right paren");
    assert_eq!(last("{{ ( }}").val, "unclosed left paren");
    assert_eq!(last("{{ .x# }}").val, "bad character U+0023 '#'");
    assert_eq!(
        last("{{ \u{1} }}").val,
        "unrecognized character in action: U+0001"
    );
}

#[test]
fn lines() {
    let items = lex("a\nb{{.x}}\n{{.y\n}}", true, true);
    let y = items.iter().find(|i| i.val == ".y").unwrap();
    assert_eq!(y.line, 3);
}

#[test]
fn item_display() {
    let items = lex("{{if \"abcdefghijklmno\"}}", true, true);
    assert_eq!(items[1].to_string(), "<if>");
    assert_eq!(items[3].to_string(), "\"\\\"abcdefghi\"...");
}
