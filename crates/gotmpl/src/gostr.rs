//! Go's `string`: immutable bytes that are usually, but need not be, UTF-8 ([`Str`]), and the
//! pieces of Go's `unicode/utf8` that read such bytes as runes.
//!
//! A Go string may hold any bytes (`"\xff"`, `slice` of a string inside a multi-byte
//! character, `b64dec` of binary data), and `len`, `index`, `slice`, `printf "%q"` and the
//! template output all see those bytes. Almost every string is valid UTF-8, so [`Str`] keeps
//! valid text as a Rust `str` (checked once, when the string is made) and only other bytes as
//! a byte slice: [`Str::as_str`] is a free borrow in the common case, and nothing converts on
//! every use.
//!
//! Where Go decodes runes (`for range` over a string, `utf8.DecodeRuneInString`,
//! `strings.Map`), each byte that does not start a valid UTF-8 sequence reads as one U+FFFD
//! of width 1; [`Str::to_str_lossy`], [`decode_rune`] and [`decode_last_rune`] read bytes that
//! way. (Rust's `String::from_utf8_lossy` differs: it replaces a truncated sequence with one
//! U+FFFD, Go with one per byte.)

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// U+FFFD, what Go's `utf8.RuneError` stands for.
pub const REPLACEMENT: char = '\u{FFFD}';

/// A Go string: immutable, cheap to clone (shared), compared and ordered byte by byte as Go
/// compares strings.
#[derive(Clone)]
pub struct Str(Repr);

#[derive(Clone)]
enum Repr {
    /// Valid UTF-8: the common case, readable as `&str` for free.
    Utf8(Arc<str>),
    /// Bytes that are not valid UTF-8 (constructors check, so never valid UTF-8 here).
    Bytes(Arc<[u8]>),
}

impl Str {
    /// The empty string.
    pub fn new() -> Str {
        Str::from("")
    }

    /// A string of any bytes, as Go's `string(b)` (valid UTF-8 is recognised once, here).
    pub fn from_bytes(b: &[u8]) -> Str {
        match std::str::from_utf8(b) {
            Ok(s) => Str(Repr::Utf8(s.into())),
            Err(_) => Str(Repr::Bytes(b.into())),
        }
    }

    /// The bytes, as Go's `[]byte(s)` sees them.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Utf8(s) => s.as_bytes(),
            Repr::Bytes(b) => b,
        }
    }

    /// The string as `&str` when it is valid UTF-8 (free), `None` when it holds other bytes.
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Utf8(s) => Some(s),
            Repr::Bytes(_) => None,
        }
    }

    /// Whether the bytes are valid UTF-8 (Go's `utf8.ValidString`).
    pub fn is_utf8(&self) -> bool {
        matches!(self.0, Repr::Utf8(_))
    }

    /// The string as Go's `for range` reads it: valid text as is (borrowed, free) and each
    /// byte that is not part of a valid UTF-8 sequence as one U+FFFD.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        match &self.0 {
            Repr::Utf8(s) => Cow::Borrowed(s),
            Repr::Bytes(b) => Cow::Owned(lossy_owned(b)),
        }
    }

    /// Length in bytes (Go's `len`).
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }
}

impl Default for Str {
    fn default() -> Self {
        Str::new()
    }
}

/// `bytes` as Go's `for range` reads them: each byte outside a valid UTF-8 sequence becomes
/// one U+FFFD (borrowed, free, when `bytes` are valid UTF-8).
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(lossy_owned(bytes)),
    }
}

fn lossy_owned(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    // An invalid chunk is a single byte or the start of a sequence cut short; Go rejects each
    // of its bytes separately (a lead byte, then continuation bytes), so one U+FFFD per byte.
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n(REPLACEMENT, chunk.invalid().len()));
    }
    out
}

/// Go's `utf8.DecodeRune`: the first rune of `b` and its width; a byte that does not start a
/// valid sequence is `(U+FFFD, 1)`, an empty slice `(U+FFFD, 0)`.
pub fn decode_rune(b: &[u8]) -> (char, usize) {
    let Some(&b0) = b.first() else {
        return (REPLACEMENT, 0);
    };
    if b0 < 0x80 {
        return (b0 as char, 1);
    }
    let n = match b0 {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (REPLACEMENT, 1),
    };
    match b.get(..n).map(std::str::from_utf8) {
        Some(Ok(s)) => (s.chars().next().unwrap_or(REPLACEMENT), n),
        _ => (REPLACEMENT, 1),
    }
}

/// Go's `utf8.DecodeLastRune`: the last rune of `b` and its width, with the same rules as
/// [`decode_rune`].
pub fn decode_last_rune(b: &[u8]) -> (char, usize) {
    let Some(&last) = b.last() else {
        return (REPLACEMENT, 0);
    };
    if last < 0x80 {
        return (last as char, 1);
    }
    let end = b.len();
    let lim = end.saturating_sub(4);
    // Back to the nearest byte that can start a rune, at most four bytes from the end.
    let mut start = end - 1;
    while start > lim && !is_rune_start(b[start]) {
        start -= 1;
    }
    let (r, size) = decode_rune(&b[start..end]);
    if start + size != end {
        return (REPLACEMENT, 1);
    }
    (r, size)
}

/// Go's `utf8.RuneStart`: not a continuation byte.
fn is_rune_start(b: u8) -> bool {
    b & 0xC0 != 0x80
}

/// Go's `utf8.RuneCount`: runes in `b`, each invalid byte counting as one.
pub fn rune_count(b: &[u8]) -> usize {
    match std::str::from_utf8(b) {
        Ok(s) => s.chars().count(),
        Err(_) => b
            .utf8_chunks()
            .map(|c| c.valid().chars().count() + c.invalid().len())
            .sum(),
    }
}

/// Go's runes of `b` with their byte offsets, as `for i, r := range s` yields them.
pub fn rune_indices(b: &[u8]) -> impl Iterator<Item = (usize, char, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= b.len() {
            return None;
        }
        let (r, w) = decode_rune(&b[i..]);
        let at = i;
        i += w;
        Some((at, r, w))
    })
}

impl AsRef<[u8]> for Str {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Self {
        Str(Repr::Utf8(s.into()))
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Str(Repr::Utf8(s.into()))
    }
}

impl From<Arc<str>> for Str {
    fn from(s: Arc<str>) -> Self {
        Str(Repr::Utf8(s))
    }
}

impl From<Cow<'_, str>> for Str {
    fn from(s: Cow<'_, str>) -> Self {
        Str::from(s.as_ref())
    }
}

impl From<&[u8]> for Str {
    fn from(b: &[u8]) -> Self {
        Str::from_bytes(b)
    }
}

impl From<Vec<u8>> for Str {
    fn from(b: Vec<u8>) -> Self {
        match String::from_utf8(b) {
            Ok(s) => Str::from(s),
            Err(e) => Str(Repr::Bytes(e.into_bytes().into())),
        }
    }
}

impl From<&Str> for Str {
    fn from(s: &Str) -> Self {
        s.clone()
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Str {}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Str) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Byte order, as Go compares strings (`<` on strings, `sort.Strings`).
impl Ord for Str {
    fn cmp(&self, other: &Str) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::hash::Hash for Str {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<[u8]> for Str {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Str {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

/// As Go's `for range` reads the string (see [`Str::to_str_lossy`]); for messages.
impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Utf8(s) => f.write_str(s),
            Repr::Bytes(b) => f.write_str(&lossy_owned(b)),
        }
    }
}

/// Quoted; bytes that are not UTF-8 show as `\xNN`.
impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Utf8(s) => write!(f, "{s:?}"),
            Repr::Bytes(b) => {
                f.write_str("\"")?;
                for chunk in b.utf8_chunks() {
                    let v = format!("{:?}", chunk.valid());
                    f.write_str(&v[1..v.len() - 1])?;
                    for byte in chunk.invalid() {
                        write!(f, "\\x{byte:02x}")?;
                    }
                }
                f.write_str("\"")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_text_is_kept_as_str_and_other_bytes_as_bytes() {
        let s = Str::from_bytes("héllo".as_bytes());
        assert_eq!(s.as_str(), Some("héllo"));
        assert!(s.is_utf8());
        let b = Str::from(vec![b'h', 0xc3]);
        assert_eq!(b.as_str(), None);
        assert_eq!(b.as_bytes(), b"h\xc3");
        assert_eq!(b.len(), 2);
        assert_eq!(format!("{b:?}"), r#""h\xc3""#);
        assert_eq!(b.to_string(), "h\u{fffd}");
        // Equal bytes are equal strings whichever way they were made.
        assert_eq!(Str::from(b"ab".to_vec()), Str::from("ab"));
        let (upper, lower, high) = (Str::from("Z"), Str::from("a"), Str::from_bytes(b"\xff"));
        assert!(upper < lower && lower < high);
    }

    // Go's utf8.DecodeRune / DecodeLastRune / RuneCount on the same inputs.
    #[test]
    fn reads_bytes_as_go_does() {
        assert_eq!(decode_rune(b""), (REPLACEMENT, 0));
        assert_eq!(decode_rune(b"a"), ('a', 1));
        assert_eq!(decode_rune("é".as_bytes()), ('é', 2));
        assert_eq!(decode_rune(b"\xff"), (REPLACEMENT, 1));
        assert_eq!(decode_rune(b"\xe2\x82"), (REPLACEMENT, 1)); // cut short
        assert_eq!(decode_rune(b"\xed\xa0\x80"), (REPLACEMENT, 1)); // surrogate
        assert_eq!(decode_rune(b"\xc0\x80"), (REPLACEMENT, 1)); // overlong
        assert_eq!(decode_rune("\u{fffd}".as_bytes()), (REPLACEMENT, 3));
        assert_eq!(decode_last_rune(b"a\xc3"), (REPLACEMENT, 1));
        assert_eq!(decode_last_rune("aé".as_bytes()), ('é', 2));
        assert_eq!(decode_last_rune("€".as_bytes()), ('€', 3));
        assert_eq!(decode_last_rune(b"\x82\xac"), (REPLACEMENT, 1));
        assert_eq!(decode_last_rune(b"\xf0\x9f\x98\x80"), ('😀', 4));
        assert_eq!(decode_last_rune(b"\xf0\xf0\x9f\x98\x80"), ('😀', 4));
        assert_eq!(rune_count(b"a\xe2\x82b"), 4);
        assert_eq!(lossy(b"a\xe2\x82b"), "a\u{fffd}\u{fffd}b");
        let runes: Vec<(usize, char, usize)> = rune_indices(b"\xffa\xc3\xa9").collect();
        assert_eq!(runes, [(0, REPLACEMENT, 1), (1, 'a', 1), (2, 'é', 2)]);
    }
}
