//! The real server on 127.0.0.1 decides a household with the same engine, catalogue and views
//! as the laptop: the example household of docs/ gets the same decisions the CLI gives it, and a
//! wrong fact is refused with a message that names it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

fn start(dir: &std::path::Path) -> (Child, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_samanvaya-server"))
        // The test speaks HTTP by hand over a plain socket.
        .args(["--role", "block", "--listen", "127.0.0.1:0", "--plain-http", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr =
        line.trim().strip_prefix("listening on http://").expect("the server prints its address").to_owned();
    (server, addr)
}

/// POSTs `body` as JSON and returns the status line and the body.
fn post(addr: &str, body: &str) -> (String, String) {
    let mut conn = TcpStream::connect(addr).unwrap();
    write!(
        conn,
        "POST /v1/eligibility HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[test]
fn the_server_decides_a_household_like_the_laptop() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/household.json");
    let household = std::fs::read_to_string(example).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut server, addr) = start(dir.path());
    let (status, body) = post(&addr, &format!(r#"{{"as_of":"2026-11-23","household":{household}}}"#));
    let (bad_status, bad_body) = post(
        &addr,
        r#"{"as_of":"2026-11-23","household":{"household":{"bpl_status":"rich"},"members":[{"id":"1"}]}}"#,
    );
    server.kill().unwrap();
    server.wait().unwrap();

    assert!(status.contains("200"), "{status}: {body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let outcome = |scheme: &str, member: Option<&str>| {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["scheme"] == scheme && f["member_id"].as_str() == member)
            .map(|f| f["outcome"].as_str().unwrap().to_owned())
    };
    assert_eq!(outcome("NSAP_IGNOAPS", Some("1")).as_deref(), Some("eligible"));
    assert_eq!(outcome("NFSA_PHH", None).as_deref(), Some("already_receiving"));
    assert_eq!(outcome("NSAP_IGNOAPS", Some("2")).as_deref(), Some("not_eligible"));

    assert!(bad_status.contains("422"), "{bad_status}: {bad_body}");
    assert!(bad_body.contains("bpl_status"), "the refusal names the wrong fact: {bad_body}");
}
