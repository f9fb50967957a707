//! What one connection and one request may hold of a real `samanvaya-server` on 127.0.0.1:
//! a connection that sends nothing, or its headers a byte at a time, is closed, a body that
//! trickles in is answered that it took too long, and a request past the server's share of requests at once is told the server is
//! busy, while the server goes on answering once those are gone. Raw TCP over plain HTTP, so
//! that the test can be the slow device itself.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use samanvaya_tests::{Running, start_server};

/// The whole answer to `request`, sent at once on a new connection that asks to be closed.
fn ask(server: &Running, request: &str) -> String {
    let mut stream = connect(server);
    stream.write_all(request.as_bytes()).unwrap();
    answer(stream)
}

fn connect(server: &Running) -> TcpStream {
    let addr = server.url.strip_prefix("http://").expect("a plain-HTTP server");
    let stream = TcpStream::connect(addr).unwrap();
    // Far past every bound the server was started with: reaching it means the server held on.
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    stream
}

/// What the server sends until it closes the connection.
fn answer(mut stream: TcpStream) -> String {
    let mut got = Vec::new();
    match stream.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the server neither answered nor closed the connection: {e}"),
    }
    String::from_utf8_lossy(&got).into_owned()
}

const HEALTH: &str = "GET /v1/health HTTP/1.1\r\nHost: block\r\nConnection: close\r\n\r\n";

/// A push whose 100-byte body comes a byte every 300 ms, from a thread of its own, until the
/// server stops reading it: never idle, never whole in time.
fn trickling(server: &Running) -> TcpStream {
    let mut stream = connect(server);
    let head = "POST /v1/push HTTP/1.1\r\nHost: block\r\nConnection: close\r\nContent-Length: 100\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        for _ in 0..100 {
            if writer.write_all(b"x").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    stream
}

#[test]
fn a_server_closes_what_would_hold_it_and_answers_again_once_it_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&[
        "--role",
        "block",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--plain-http",
        "--idle-seconds",
        "2",
        "--request-seconds",
        "3",
        "--requests-at-once",
        "2",
    ]);
    assert!(ask(&server, HEALTH).starts_with("HTTP/1.1 200"), "the server answers");

    // Two slow pushes take the server's whole share of requests at once: the next request is
    // told at once that the server is busy, in words the sync panel can show.
    let (first, second) = (trickling(&server), trickling(&server));
    std::thread::sleep(Duration::from_millis(500));
    let busy = ask(&server, HEALTH);
    assert!(busy.starts_with("HTTP/1.1 503"), "{busy}");
    assert!(busy.contains("\"unavailable\"") && busy.contains("busy with other devices"), "{busy}");

    // Each slow push is answered that it took too long, though it never stopped moving.
    for slow in [first, second] {
        let said = answer(slow);
        assert!(said.starts_with("HTTP/1.1 408"), "{said}");
        assert!(said.contains("took longer than 3 seconds to arrive"), "{said}");
    }
    assert!(ask(&server, HEALTH).starts_with("HTTP/1.1 200"), "room again once they are answered");

    // A connection that sends nothing at all, and one that stops halfway through its headers,
    // are closed without an answer.
    let silent = connect(&server);
    let mut halfway = connect(&server);
    halfway.write_all(b"POST /v1/push HTTP/1.1\r\nHost: bl").unwrap();
    assert_eq!(answer(silent), "", "closed with nothing said");
    assert_eq!(answer(halfway), "", "closed with nothing said");
    // Nor is one kept that sends its headers a byte at a time, each well within the idle time:
    // sent bytes and answering nothing for the request's time and the idle time together, it
    // is closed too.
    let dribbling = connect(&server);
    let mut writer = dribbling.try_clone().unwrap();
    std::thread::spawn(move || {
        for byte in b"POST /v1/push HTTP/1.1\r\nHost: block-with-a-very-long-name\r\n" {
            if writer.write_all(&[*byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(700));
        }
    });
    assert_eq!(answer(dribbling), "", "closed with nothing said");
    assert!(ask(&server, HEALTH).starts_with("HTTP/1.1 200"), "and the server still answers");
}
