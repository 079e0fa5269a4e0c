//! What a gRPC client must send as HTTP/2 `:authority` on the driver's unix socket. The server
//! (tonic on hyper/h2) validates `:authority` while decoding the request headers and resets the
//! stream with PROTOCOL_ERROR when it is not a valid URI authority, e.g. a socket path, as grpcio
//! (Python, C++) and grpc-java send by default on unix sockets. kubelet and Go clients send
//! `localhost`. This test speaks raw HTTP/2 so the server's behaviour is checked for each
//! authority, independent of any client library; README's troubleshooting table documents the
//! client-side setting.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use test_support::*;

/// One HPACK "literal header field without indexing, new name" with no Huffman coding.
fn literal(out: &mut Vec<u8>, name: &str, value: &str) {
    assert!(name.len() < 127 && value.len() < 127);
    out.push(0x00);
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
    out.push(value.len() as u8);
    out.extend_from_slice(value.as_bytes());
}

fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let len = payload.len() as u32;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const PROTOCOL_ERROR: u32 = 0x1;

/// How the server answered stream 1.
#[derive(Debug, PartialEq)]
enum Answer {
    /// Response headers (the call was accepted and handled).
    Headers,
    /// RST_STREAM with this error code.
    Reset(u32),
}

/// Sends an Identity/GetPluginInfo call with `authority` over raw HTTP/2.
fn call_with_authority(socket: &std::path::Path, authority: &str) -> Answer {
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    frame(&mut out, SETTINGS, 0, 0, &[]);
    let mut block = Vec::new();
    literal(&mut block, ":method", "POST");
    literal(&mut block, ":scheme", "http");
    literal(&mut block, ":path", "/csi.v1.Identity/GetPluginInfo");
    literal(&mut block, ":authority", authority);
    literal(&mut block, "content-type", "application/grpc");
    literal(&mut block, "te", "trailers");
    frame(&mut out, HEADERS, 0x4, 1, &block); // END_HEADERS
                                              // An empty GetPluginInfoRequest: uncompressed, length 0; END_STREAM.
    frame(&mut out, 0x0, 0x1, 1, &[0, 0, 0, 0, 0]);
    s.write_all(&out).unwrap();
    loop {
        let mut head = [0u8; 9];
        s.read_exact(&mut head).expect("the server answers");
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let (kind, flags) = (head[3], head[4]);
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        let mut payload = vec![0u8; len];
        s.read_exact(&mut payload).unwrap();
        match kind {
            SETTINGS if flags & 0x1 == 0 => {
                let mut ack = Vec::new();
                frame(&mut ack, SETTINGS, 0x1, 0, &[]);
                s.write_all(&ack).unwrap();
            }
            HEADERS if stream == 1 => return Answer::Headers,
            RST_STREAM if stream == 1 => {
                return Answer::Reset(u32::from_be_bytes(payload[..4].try_into().unwrap()))
            }
            GOAWAY => panic!("connection closed by the server: {payload:?}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_path_as_authority_is_reset_and_localhost_works() {
    let t = TestDriver::start(default_source()).await;
    let socket = t.socket.clone();
    let answers = tokio::task::spawn_blocking(move || {
        [
            "localhost",
            "[::1]:50051",
            "/csi/csi.sock",     // grpc-java, grpcio before 1.57
            "%2Fcsi%2Fcsi.sock", // grpcio 1.57 and later
            "unix:///csi/csi.sock",
        ]
        .map(|a| (a, call_with_authority(&socket, a)))
    })
    .await
    .unwrap();
    assert_eq!(
        answers[0].1,
        Answer::Headers,
        "kubelet's and Go clients' authority"
    );
    assert_eq!(answers[1].1, Answer::Headers);
    for (authority, answer) in &answers[2..] {
        // If this starts to pass, hyper/h2 accepts such authorities now: update README's
        // troubleshooting entry and the csi client's hint.
        assert_eq!(
            *answer,
            Answer::Reset(PROTOCOL_ERROR),
            "authority {authority:?}"
        );
    }
    t.stop().await;
}
