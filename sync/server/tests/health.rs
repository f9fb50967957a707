//! The real `samanvaya-server` binary on 127.0.0.1, asked over plain HTTP (`--plain-http`, so
//! that the test can speak it by hand) what it speaks and who it is.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

#[test]
fn the_server_reports_its_role_and_protocol() {
    for role in ["block", "district"] {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Command::new(env!("CARGO_BIN_EXE_samanvaya-server"))
            .args(["--role", role, "--listen", "127.0.0.1:0", "--plain-http", "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening on http://").expect("the server prints its address");

        let mut conn = TcpStream::connect(addr).unwrap();
        write!(conn, "GET /v1/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut reply = String::new();
        conn.read_to_string(&mut reply).unwrap();
        server.kill().unwrap();
        server.wait().unwrap();

        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        let body = reply.split("\r\n\r\n").nth(1).unwrap();
        let protocol = samanvaya_sync_protocol::PROTOCOL_VERSION;
        // A district names the identity its enrollments name, which a block enrolling again
        // asks first; a block does not name its own.
        let server: String = rusqlite::Connection::open(dir.path().join("server.sqlite3"))
            .unwrap()
            .query_row("SELECT device_id FROM identity", [], |r| r.get(0))
            .unwrap();
        let expected = match role {
            "district" => format!(r#"{{"protocol":{protocol},"role":"{role}","server":"{server}"}}"#),
            _ => format!(r#"{{"protocol":{protocol},"role":"{role}"}}"#),
        };
        assert_eq!(body, expected);
    }
}
