//! How much of the server one connection and one request may hold.
//!
//! A block server sits on a block office's network, where anyone on it can open connections.
//! The store answers one request at a time (`routes::with_store`), so what must be bounded is
//! what waits in front of it: connections that send nothing, bodies that trickle in a byte at a
//! time, and more requests at once than the store could answer before their devices give up.
//! Each bound is far above what a laptop on 2G needs (its longest request waits 30 seconds,
//! `samanvaya_sync_client::Tuning`), so it only ever meets a device that is broken or hostile.
//!
//! - A connection that moves no byte for [`Limits::idle`] is closed: headers never finished, a
//!   kept-alive connection no longer used, an answer its device stopped reading. One that has
//!   been sent bytes and has written none back for [`Limits::request`] and [`Limits::idle`]
//!   together is closed too: a request's headers sent a byte at a time, each just before the
//!   idle time runs out, would otherwise hold the connection for good (the body has its own
//!   deadline once the headers are in, and the answer comes soon after).
//! - A request's body must have arrived whole within [`Limits::request`] of its first byte.
//! - Past [`Limits::at_once`] requests in hand, the next is answered at once that the server is
//!   busy (the device's sync tries again later by itself), and so is one of a session that has
//!   [`Limits::per_device`] being answered already, once its body has arrived: one device (a
//!   broken app retrying without pause) cannot take every place from the others. The share goes
//!   by the session's token, read before it is checked. One address may hold at most three
//!   quarters of the places ([`Door::per_address`]), from the moment its request comes: a
//!   request without a session (enrolling, starting one), or many under made-up tokens, each
//!   with a body trickling in, would otherwise take every place. Laptops behind one mobile
//!   operator's address share that share, which is why it is not smaller: a block's laptops
//!   sync a few at a time. Past [`Limits::connections`] open connections, the next waits in
//!   the system's queue until one closes; one from an address holding three quarters of them
//!   is closed at once. A request's work for
//!   the store counts among those in hand until it is done, even once its device has gone: the
//!   work goes on without it (`routes::with_store`), and a device that sends and hangs up again
//!   and again would otherwise pile up work for the store without end. That work keeps its
//!   address's share too (three quarters of the places of work, [`Door::store_work`]): one
//!   address sending and hanging up again and again would otherwise fill them all.

use std::collections::HashMap;
use std::hash::Hash;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use samanvaya_sync_protocol::{MAX_BODY_BYTES, Refusal, RefusalCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// The bounds, as the operator set them (`samanvaya-server --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a connection may move no byte before it is closed.
    pub idle: Duration,
    /// How long a request's body may take to arrive.
    pub request: Duration,
    /// How many requests the server holds at once.
    pub at_once: usize,
    /// How many of those one session may have answered at once, counted once their bodies
    /// have arrived: a laptop sends a request again beside itself on a slow link, three at
    /// most (`samanvaya_sync_client::Tuning`), and waits for each answer before the next.
    pub per_device: usize,
    /// How many connections the server keeps open at once.
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            idle: Duration::from_secs(120),
            request: Duration::from_secs(120),
            at_once: 32,
            per_device: 8,
            connections: 512,
        }
    }
}

/// The requests in hand, shared by every route: those being read or answered, and the work
/// for the store, each up to [`Limits::at_once`].
#[derive(Clone)]
pub struct Door {
    request: Duration,
    in_hand: Arc<Semaphore>,
    at_store: Arc<Semaphore>,
    per_device: usize,
    /// How many requests of each session's token are being answered.
    by_session: Counts<String>,
    per_address: usize,
    /// How many requests from each address are in hand.
    by_address: Counts<IpAddr>,
    /// How many pieces of work for the store each address has, done or not.
    work_by_address: Counts<IpAddr>,
}

/// How many requests of each key (a session's token, an address) hold a place.
type Counts<K> = Arc<Mutex<HashMap<K, usize>>>;

impl Door {
    pub fn new(limits: Limits) -> Door {
        let at_once = limits.at_once.max(1);
        Door {
            request: limits.request,
            in_hand: Arc::new(Semaphore::new(at_once)),
            at_store: Arc::new(Semaphore::new(at_once)),
            per_device: limits.per_device.max(1),
            by_session: Arc::default(),
            per_address: Door::per_address(at_once),
            by_address: Arc::default(),
            work_by_address: Arc::default(),
        }
    }

    /// How many of `at_once` places one address may hold: all but a quarter, rounded down, kept
    /// for the others (none kept out of fewer than four).
    pub fn per_address(at_once: usize) -> usize {
        at_once - at_once / 4
    }

    /// A place among the requests of the session `token`, held until dropped; `None` when it
    /// has its share being answered.
    fn session_share(&self, token: &str) -> Option<Share<String>> {
        Share::take(&self.by_session, token.to_owned(), self.per_device)
    }

    /// A place among the requests from `address`, held until dropped; `None` when it holds its
    /// share.
    fn address_share(&self, address: IpAddr) -> Option<Share<IpAddr>> {
        Share::take(&self.by_address, address, self.per_address)
    }

    /// Room for one more piece of work for the store, held until the work is done; `None` when
    /// the server has as much as it may, or the request's address has its share of it. The
    /// address is the one [`admit`] let in: the work is asked for while its request is answered.
    pub fn store_work(&self) -> Option<StoreRoom> {
        let from = match WORK_FROM.try_with(|from| *from).ok().flatten() {
            Some(address) => Some(Share::take(&self.work_by_address, address, self.per_address)?),
            None => None,
        };
        let permit = self.at_store.clone().try_acquire_owned().ok()?;
        Some(StoreRoom { _permit: permit, _from: from })
    }
}

/// One piece of work's place among the store's and among its address's, held until dropped.
pub struct StoreRoom {
    _permit: OwnedSemaphorePermit,
    _from: Option<Share<IpAddr>>,
}

tokio::task_local! {
    /// The address of the request being answered, as [`admit`] shared it (`None` on a router
    /// served without the peer's address), read when its work for the store takes its place. A
    /// value of the request's own task rather than an argument, because the work is asked for
    /// deep in every route (`routes::with_store`), which does not see the request.
    static WORK_FROM: Option<IpAddr>;
}

/// One request's place among its session's or its address's (`Door::session_share`,
/// `Door::address_share`).
struct Share<K: Eq + Hash> {
    counts: Counts<K>,
    key: K,
}

impl<K: Eq + Hash + Clone> Share<K> {
    fn take(counts: &Counts<K>, key: K, most: usize) -> Option<Share<K>> {
        let mut held = counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = held.entry(key.clone()).or_default();
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(Share { counts: counts.clone(), key })
    }
}

impl<K: Eq + Hash> Drop for Share<K> {
    fn drop(&mut self) {
        let mut held = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// What a request the server has no room for is told.
pub const BUSY: &str = "the server is busy with other devices; the sync tries again by itself in a moment";

/// What a request of a session that has its share being answered is told.
pub const SESSION_BUSY: &str =
    "the server is answering this device's other requests; the sync tries again by itself in a moment";

fn busy() -> Response {
    refusal(StatusCode::SERVICE_UNAVAILABLE, RefusalCode::Unavailable, BUSY.into())
}

/// Lets a request in if the server has room for it, and reads its body whole within the
/// deadline before any route sees it, so that no route waits on a device's link while it
/// holds the store.
pub async fn admit(State(door): State<Door>, request: Request, next: Next) -> Response {
    // The peer's address, where the server was started with it (`main.rs`; a router served
    // without it, in a test, has no share per address).
    let address = request.extensions().get::<ConnectInfo<Peer>>().map(|c| sharer(c.0.0.ip()));
    let _from = match address.map(|a| door.address_share(a)) {
        Some(None) => return busy(),
        share => share.flatten(),
    };
    let Ok(_in_hand) = door.in_hand.clone().try_acquire_owned() else { return busy() };
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(door.request, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => bytes,
        // The body was larger than any request may be, or its connection broke (then no one
        // reads this answer).
        Ok(Err(_)) => {
            return refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                RefusalCode::TooLarge,
                format!(
                    "the request is larger than {MAX_BODY_BYTES} bytes or was cut off; send smaller batches"
                ),
            );
        }
        Err(_) => {
            return refusal(
                StatusCode::REQUEST_TIMEOUT,
                RefusalCode::Unavailable,
                format!(
                    "the request took longer than {} seconds to arrive; the sync tries again with smaller batches",
                    door.request.as_secs()
                ),
            );
        }
    };
    // The session's share is taken once its request has arrived whole. A body stalled on a 2G
    // link holds its place among all requests until its deadline, long after the laptop gave
    // up on it and sent it again: counted in the share, a few stalled tries would fill it, and
    // the laptop's own sync would be told the server is busy.
    let token = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let _share = match token.map(|t| door.session_share(t)) {
        Some(None) => {
            return refusal(StatusCode::SERVICE_UNAVAILABLE, RefusalCode::Unavailable, SESSION_BUSY.into());
        }
        share => share.flatten(),
    };
    WORK_FROM.scope(address, next.run(Request::from_parts(parts, Body::from(bytes)))).await
}

fn refusal(status: StatusCode, code: RefusalCode, message: String) -> Response {
    (status, Json(Refusal { code, message })).into_response()
}

/// Who holds a share for a connection from `ip`: the address itself, an IPv4 address written as
/// IPv6 as the IPv4 one, and an IPv6 address by its network's first 64 bits, which one host may
/// fill with as many addresses as it likes.
fn sharer(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

/// The address a request came from, as the server keeps it for each connection
/// (`into_make_service_with_connect_info::<Peer>` in `main.rs`).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, Bounded>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, Bounded>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

/// A TCP listener that keeps at most [`Limits::connections`] open and closes those idle for
/// [`Limits::idle`], or sent bytes and answering nothing for longer than a request may take.
pub struct Bounded {
    tcp: TcpListener,
    open: Arc<Semaphore>,
    idle: Duration,
    unanswered: Duration,
    /// How many connections each address holds, and how many it may.
    by_address: Counts<IpAddr>,
    per_address: usize,
}

impl Bounded {
    pub fn new(tcp: TcpListener, limits: Limits) -> Bounded {
        let connections = limits.connections.max(1);
        Bounded {
            tcp,
            open: Arc::new(Semaphore::new(connections)),
            idle: limits.idle,
            unanswered: limits.request + limits.idle,
            by_address: Arc::default(),
            per_address: Door::per_address(connections),
        }
    }

    /// The next connection, once there is room for it. One from an address that holds its
    /// share of the open connections (three quarters, as of the requests in hand) is closed at
    /// once, before its TLS handshake: connections that send nothing, or a handshake dribbled,
    /// from one address would otherwise fill them all for minutes at a time.
    pub async fn next(&mut self) -> (Idle<TcpStream>, SocketAddr) {
        // The semaphore is never closed, so acquiring only waits.
        let Ok(room) = self.open.clone().acquire_owned().await else {
            return std::future::pending().await;
        };
        loop {
            match self.tcp.accept().await {
                Ok((stream, peer)) => {
                    let Some(from) = Share::take(&self.by_address, sharer(peer.ip()), self.per_address)
                    else {
                        drop(stream);
                        continue;
                    };
                    return (Idle::new(stream, self.idle, self.unanswered, room, from), peer);
                }
                Err(e) => {
                    // Out of file descriptors, most often: wait for some to free up.
                    eprintln!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

impl axum::serve::Listener for Bounded {
    type Io = Idle<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        self.next().await
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A connection that fails with `TimedOut` once it has moved no byte, either way, for its idle
/// time while the server waited on it; it frees its room among the open ones when dropped.
pub struct Idle<S> {
    inner: S,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    /// How long the connection may be sent bytes and write none back, and since when it has.
    unanswered: Duration,
    answer_by: Option<Pin<Box<Sleep>>>,
    _room: OwnedSemaphorePermit,
    _from: Share<IpAddr>,
}

/// Which way a wait on the device moved bytes, if it did.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Moved {
    Nothing,
    In,
    Out,
}

impl<S> Idle<S> {
    fn new(
        inner: S,
        idle: Duration,
        unanswered: Duration,
        room: OwnedSemaphorePermit,
        from: Share<IpAddr>,
    ) -> Idle<S> {
        Idle {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
            unanswered,
            answer_by: None,
            _room: room,
            _from: from,
        }
    }

    /// What a wait on the device gives: its result with the deadlines moved if it moved bytes,
    /// or the end of the connection if it has waited too long.
    fn waited<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
        moved: Moved,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Pending => {
                if self.deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(timed_out(format!(
                        "no byte moved for {} seconds",
                        self.idle.as_secs()
                    ))));
                }
                if let Some(answer_by) = self.answer_by.as_mut()
                    && answer_by.as_mut().poll(cx).is_ready()
                {
                    let secs = self.unanswered.as_secs();
                    return Poll::Ready(Err(timed_out(format!(
                        "sent bytes and answered nothing for {secs} seconds"
                    ))));
                }
                Poll::Pending
            }
            ready => {
                if moved != Moved::Nothing {
                    let next = Instant::now() + self.idle;
                    self.deadline.as_mut().reset(next);
                }
                match moved {
                    Moved::In if self.answer_by.is_none() => {
                        self.answer_by = Some(Box::pin(tokio::time::sleep(self.unanswered)));
                    }
                    Moved::Out => self.answer_by = None,
                    Moved::In | Moved::Nothing => {}
                }
                ready
            }
        }
    }
}

fn timed_out(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what)
}

impl<S: AsyncRead + Unpin> AsyncRead for Idle<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let moved = if buf.filled().len() > before { Moved::In } else { Moved::Nothing };
        self.waited(cx, polled, moved)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Idle<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        let moved = if matches!(polled, Poll::Ready(Ok(n)) if n > 0) { Moved::Out } else { Moved::Nothing };
        self.waited(cx, polled, moved)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.waited(cx, polled, Moved::Nothing)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.waited(cx, polled, Moved::Nothing)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        let moved = if matches!(polled, Poll::Ready(Ok(n)) if n > 0) { Moved::Out } else { Moved::Nothing };
        self.waited(cx, polled, moved)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use super::*;

    /// Sends `request` on a new connection and returns it, to read its answer from.
    fn send(addr: SocketAddr, request: &str) -> TcpStream {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        stream
    }

    fn answer(mut stream: TcpStream) -> String {
        let mut got = String::new();
        let _ = stream.read_to_string(&mut got);
        got
    }

    fn slow(token: &str) -> String {
        format!(
            "GET /slow HTTP/1.1\r\nHost: block\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
    }

    /// One session has at most its share of requests answered at once, on a real server on
    /// 127.0.0.1 whose one route waits until the test lets it answer: its next is told the
    /// device's other requests are being answered, while another session's is taken. A body
    /// still arriving (stalled on a 2G link, its laptop trying again) counts for no session.
    #[test]
    fn a_session_has_only_its_share_of_requests_answered_at_once() {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (open, opened) = tokio::sync::watch::channel(false);
        let door = Door::new(Limits {
            at_once: 8,
            per_device: 2,
            request: Duration::from_secs(5),
            ..Limits::default()
        });
        let app = axum::Router::new()
            .route(
                "/slow",
                axum::routing::get(move || {
                    let mut opened = opened.clone();
                    async move {
                        let _ = opened.wait_for(|open| *open).await;
                        "answered"
                    }
                }),
            )
            .layer(axum::middleware::from_fn_with_state(door, admit));
        let tcp = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = tcp.local_addr().unwrap();
        runtime.spawn(async move { axum::serve(tcp, app).await });

        // Two bodies of the same session stalled halfway, as on a link that stopped.
        let stalled =
            "POST /slow HTTP/1.1\r\nHost: block\r\nAuthorization: Bearer a\r\nContent-Length: 100\r\n\r\nx";
        let _stalled = [send(addr, stalled), send(addr, stalled)];
        let held = [send(addr, &slow("a")), send(addr, &slow("a"))];
        std::thread::sleep(Duration::from_millis(500));
        let third = answer(send(addr, &slow("a")));
        assert!(third.starts_with("HTTP/1.1 503"), "{third}");
        assert!(third.contains("this device's other requests"), "{third}");
        let other = send(addr, &slow("b"));
        std::thread::sleep(Duration::from_millis(200));
        open.send(true).unwrap();
        assert!(answer(other).starts_with("HTTP/1.1 200"), "another session is answered");
        for request in held {
            assert!(answer(request).starts_with("HTTP/1.1 200"));
        }
        assert!(answer(send(addr, &slow("a"))).starts_with("HTTP/1.1 200"), "its share is free again");
    }

    /// Sends `request` from the loopback address `from` (all of 127.0.0.0/8 is this machine's).
    fn send_from(
        runtime: &tokio::runtime::Runtime,
        from: &str,
        addr: SocketAddr,
        request: &str,
    ) -> TcpStream {
        let stream = runtime.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
            socket.connect(addr).await.unwrap().into_std().unwrap()
        });
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        (&stream).write_all(request.as_bytes()).unwrap();
        stream
    }

    /// One address holds at most three quarters of the places, from the moment its requests
    /// come, sessions or none: bodies trickling in from one address (a broken or hostile
    /// device, enrolling or under made-up tokens) leave room for the others, on a real server
    /// on 127.0.0.1 served as `main.rs` serves it. Before, four such bodies took every place.
    #[test]
    fn one_address_leaves_a_quarter_of_the_places_to_the_others() {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let limits =
            Limits { at_once: 4, per_device: 2, request: Duration::from_secs(20), ..Limits::default() };
        assert_eq!(Door::per_address(4), 3);
        let app = axum::Router::new()
            .route("/slow", axum::routing::post(|| async { "answered" }))
            .route("/health", axum::routing::get(|| async { "answered" }))
            .layer(axum::middleware::from_fn_with_state(Door::new(limits), admit));
        let tcp = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = Bounded::new(tcp, limits);
        runtime.spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<Peer>()).await
        });
        let health = "GET /health HTTP/1.1\r\nHost: block\r\nConnection: close\r\n\r\n";
        // Bodies stalled halfway from one address, each under a token of its own, and one under
        // none (enrolling, starting a session).
        let stalled = |token: &str| {
            let authorization =
                if token.is_empty() { String::new() } else { format!("Authorization: Bearer {token}\r\n") };
            format!("POST /slow HTTP/1.1\r\nHost: block\r\n{authorization}Content-Length: 100\r\n\r\nx")
        };
        let _held = ["a", "b", ""].map(|t| send_from(&runtime, "127.0.0.1", addr, &stalled(t)));
        std::thread::sleep(Duration::from_millis(1000));
        let fourth = answer(send_from(&runtime, "127.0.0.1", addr, health));
        assert!(fourth.starts_with("HTTP/1.1 503") && fourth.contains("busy with other devices"), "{fourth}");
        let other = answer(send_from(&runtime, "127.0.0.2", addr, health));
        assert!(other.starts_with("HTTP/1.1 200"), "another address is answered: {other}");
    }

    /// One address's work for the store keeps its share after its device has hung up: a device
    /// sending and hanging up again and again from one address leaves a quarter of the places of
    /// work to the others, on a real server on 127.0.0.1 served as `main.rs` serves it, whose
    /// one route works for the store (off the async threads, as `routes::with_store` does) until
    /// the test lets it end. Before, the work of three requests whose devices had gone, and a
    /// fourth from the same address, took every place.
    #[test]
    fn one_address_leaves_a_quarter_of_the_store_work_to_the_others_though_it_hangs_up() {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let limits = Limits { at_once: 4, ..Limits::default() };
        let door = Door::new(limits);
        let open = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // The work ends when the test does, passed or failed: the runtime waits for it when
        // dropped.
        struct Ends(Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Ends {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let _ends = Ends(open.clone());
        // How many pieces of work have begun: a request its device hung up on before the route
        // ran took no place, and the test waits for each to have begun.
        let begun = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let work = {
            let (door, open, begun) = (door.clone(), open.clone(), begun.clone());
            move || {
                let (door, open, begun) = (door.clone(), open.clone(), begun.clone());
                async move {
                    // Its own words, so that the test tells this refusal from `admit`'s.
                    let Some(room) = door.store_work() else {
                        return (StatusCode::SERVICE_UNAVAILABLE, "no room for work");
                    };
                    begun.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let _ = tokio::task::spawn_blocking(move || {
                        let _room = room;
                        while !open.load(std::sync::atomic::Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    })
                    .await;
                    (StatusCode::OK, "worked")
                }
            }
        };
        let app = axum::Router::new()
            .route("/work", axum::routing::get(work))
            .layer(axum::middleware::from_fn_with_state(door.clone(), admit));
        let tcp = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = Bounded::new(tcp, limits);
        runtime.spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<Peer>()).await
        });
        let request = "GET /work HTTP/1.1\r\nHost: block\r\nConnection: close\r\n\r\n";
        let waited = |what: &str, done: &dyn Fn() -> bool| {
            let until = std::time::Instant::now() + Duration::from_secs(20);
            while !done() {
                assert!(std::time::Instant::now() < until, "{what} never happened");
                std::thread::sleep(Duration::from_millis(10));
            }
        };
        for n in 1..=3 {
            let gone = send_from(&runtime, "127.0.0.1", addr, request);
            waited("the work began", &|| begun.load(std::sync::atomic::Ordering::SeqCst) == n);
            drop(gone);
        }
        // Its devices gone, the address holds no request in hand, only the work.
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        waited("the requests were let go", &|| {
            !door.by_address.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains_key(&ip)
        });
        let fourth = answer(send_from(&runtime, "127.0.0.1", addr, request));
        assert!(fourth.starts_with("HTTP/1.1 503") && fourth.contains("no room for work"), "{fourth}");
        let other = send_from(&runtime, "127.0.0.2", addr, request);
        waited("the other address's work began", &|| begun.load(std::sync::atomic::Ordering::SeqCst) == 4);
        open.store(true, std::sync::atomic::Ordering::SeqCst);
        let other = answer(other);
        assert!(
            other.starts_with("HTTP/1.1 200") && other.contains("worked"),
            "another address works: {other}"
        );
        waited("the work was done", &|| {
            !door.work_by_address.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains_key(&ip)
        });
        let again = answer(send_from(&runtime, "127.0.0.1", addr, request));
        assert!(again.starts_with("HTTP/1.1 200"), "its share is free once the work is done: {again}");
    }

    /// One address holds at most three quarters of the open connections: its next is closed at
    /// once with nothing said, while another address's is answered. Before, connections that
    /// sent nothing from one address held every one for the idle time.
    #[test]
    fn one_address_leaves_a_quarter_of_the_connections_to_the_others() {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let limits = Limits { connections: 4, ..Limits::default() };
        assert_eq!(sharer("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.3".parse::<IpAddr>().unwrap());
        assert_eq!(
            sharer("2001:db8:1:2:aa::1".parse().unwrap()),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        let app = axum::Router::new().route("/health", axum::routing::get(|| async { "answered" }));
        let tcp = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = Bounded::new(tcp, limits);
        runtime.spawn(async move { axum::serve(listener, app).await });
        let health = "GET /health HTTP/1.1\r\nHost: block\r\nConnection: close\r\n\r\n";
        // Three connections from one address that send nothing.
        let _silent = [(); 3].map(|()| send_from(&runtime, "127.0.0.1", addr, ""));
        std::thread::sleep(Duration::from_millis(1000));
        let fourth = answer(send_from(&runtime, "127.0.0.1", addr, health));
        assert_eq!(fourth, "", "closed with nothing said");
        let other = answer(send_from(&runtime, "127.0.0.2", addr, health));
        assert!(other.starts_with("HTTP/1.1 200"), "another address is answered: {other}");
    }
}
