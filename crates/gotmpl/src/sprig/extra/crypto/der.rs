//! The small part of DER and PEM that key and certificate generation needs: writing TLVs
//! (sequences, integers, OIDs, strings, times, context tags), reading them back, and Go's
//! `encoding/pem` block format.

use super::super::encoding::{b64_decode, b64_encode};

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const BOOLEAN: u8 = 0x01;

/// One TLV with a definite length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

pub fn seq(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(SEQUENCE, &items.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes (minimal encoding).
pub fn uint(mag: &[u8]) -> Vec<u8> {
    let mut m: Vec<u8> = mag.iter().copied().skip_while(|&b| b == 0).collect();
    if m.is_empty() || m[0] & 0x80 != 0 {
        m.insert(0, 0);
    }
    tlv(INTEGER, &m)
}

pub fn small_int(v: u8) -> Vec<u8> {
    uint(&[v])
}

/// An OBJECT IDENTIFIER from its dotted arcs.
pub fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    let first = arcs[0] * 40 + arcs.get(1).copied().unwrap_or(0);
    for &arc in std::iter::once(&first).chain(arcs.iter().skip(2)) {
        let mut groups = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            groups.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        groups.reverse();
        body.extend_from_slice(&groups);
    }
    tlv(OID, &body)
}

/// A BIT STRING of whole bytes.
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut body = vec![0];
    body.extend_from_slice(bytes);
    tlv(BIT_STRING, &body)
}

pub fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, bytes)
}

/// Go's asn1 string choice: PrintableString when every character is printable (asterisks
/// allowed, ampersands not), UTF8String otherwise.
pub fn directory_string(s: &str) -> Vec<u8> {
    let printable = s.bytes().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b' ' | b'\''
                    | b'('
                    | b')'
                    | b'+'
                    | b','
                    | b'-'
                    | b'.'
                    | b'/'
                    | b':'
                    | b'='
                    | b'?'
                    | b'*'
            )
    });
    tlv(if printable { 0x13 } else { 0x0c }, s.as_bytes())
}

/// Go's asn1 time: UTCTime for 1950..=2049, GeneralizedTime otherwise.
pub fn time(year: i64, month: i64, day: i64, h: i64, m: i64, s: i64) -> Vec<u8> {
    if (1950..2050).contains(&year) {
        let t = format!("{:02}{month:02}{day:02}{h:02}{m:02}{s:02}Z", year % 100);
        tlv(0x17, t.as_bytes())
    } else {
        let t = format!("{year:04}{month:02}{day:02}{h:02}{m:02}{s:02}Z");
        tlv(0x18, t.as_bytes())
    }
}

/// One parsed TLV: tag, content, and the whole encoding.
#[derive(Clone, Copy, Debug)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

/// Reads the first TLV of `input`; `None` on malformed or indefinite-length input.
pub fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        (
            bytes.iter().fold(0usize, |a, &b| a << 8 | b as usize),
            2 + n,
        )
    };
    let end = hdr.checked_add(len)?;
    let content = input.get(hdr..end)?;
    Some((
        Tlv {
            tag,
            content,
            raw: &input[..end],
        },
        &input[end..],
    ))
}

/// The TLVs inside a constructed value.
pub fn children(content: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (t, r) = read(rest)?;
        out.push(t);
        rest = r;
    }
    Some(out)
}

/// Reads exactly one TLV with the given tag.
pub fn expect(input: &[u8], tag: u8) -> Option<Tlv<'_>> {
    let (t, rest) = read(input)?;
    (t.tag == tag && rest.is_empty()).then_some(t)
}

/// Go's `pem.EncodeToMemory`.
pub fn pem_encode(kind: &str, der: &[u8]) -> String {
    let b64 = b64_encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// Go's `pem.Decode`: the first well-formed block (type and DER bytes); headers are skipped.
pub fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let end_type = after.find("-----")?;
        let kind = &after[..end_type];
        let body_start = &after[end_type + 5..];
        let end_marker = format!("-----END {kind}-----");
        if kind.contains('\n') || !(body_start.starts_with('\n') || body_start.starts_with("\r\n"))
        {
            rest = after;
            continue;
        }
        let Some(end) = body_start.find(&end_marker) else {
            rest = after;
            continue;
        };
        let mut body = &body_start[..end];
        // Skip RFC 1421 headers ("Key: value" lines up to a blank line).
        if let Some(blank) = body.find("\n\n") {
            if body[..blank]
                .lines()
                .all(|l| l.trim().is_empty() || l.contains(':'))
            {
                body = &body[blank + 2..];
            }
        }
        let b64: Vec<u8> = body.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
        if let Ok(der) = b64_decode(&b64) {
            return Some((kind.to_string(), der));
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(
            oid(&[1, 2, 840, 113549, 1, 1, 11]),
            [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]
        );
        assert_eq!(oid(&[2, 5, 4, 3]), [0x06, 0x03, 0x55, 0x04, 0x03]);
        assert_eq!(uint(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[0, 0, 5]), [0x02, 0x01, 0x05]);
        assert_eq!(uint(&[]), [0x02, 0x01, 0x00]);
        let long = tlv(OCTET_STRING, &[7; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (t, rest) = read(&long).unwrap();
        assert_eq!((t.tag, t.content.len(), rest.len()), (OCTET_STRING, 300, 0));
        assert_eq!(time(2024, 2, 29, 1, 2, 3), tlv(0x17, b"240229010203Z"));
        assert_eq!(time(2050, 1, 1, 0, 0, 0), tlv(0x18, b"20500101000000Z"));
        assert_eq!(directory_string("*.example.com")[0], 0x13);
        assert_eq!(directory_string("a&b")[0], 0x0c);
        assert!(read(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(read(&[0x30, 0x05, 1]).is_none());
    }

    #[test]
    fn pem_round_trip() {
        let der: Vec<u8> = (0..100).collect();
        let p = pem_encode("TEST THING", &der);
        assert!(
            p.starts_with("-----BEGIN TEST THING-----\n")
                && p.ends_with("-----END TEST THING-----\n")
        );
        assert!(p.lines().all(|l| l.len() <= 64));
        assert_eq!(
            pem_decode(&format!("junk before\n{p}after")),
            Some(("TEST THING".into(), der.clone()))
        );
        let with_headers = p.replacen("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1);
        assert_eq!(pem_decode(&with_headers), Some(("TEST THING".into(), der)));
        assert_eq!(pem_decode("no pem here"), None);
        assert_eq!(
            pem_decode("-----BEGIN X-----\n!!!\n-----END X-----\n"),
            None
        );
    }
}
