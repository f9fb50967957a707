//! A fault-injecting TCP proxy on 127.0.0.1 for the sync stories. It stands between a laptop and
//! its server and, on command, loses the server's answer to a push after the server received it,
//! flips a bit of a push on its way up, holds every chunk back for a while, passes bytes no
//! faster than a 2G link, stalls a push for good (a TCP connection stuck under packet loss: the
//! laptop must give up on it and try a fresh one), or cuts a push in the middle of its body: the
//! ways a 2G link fails. It loses the answer to an enrollment, too. It counts the faults it really injected, so that a story can check that
//! they happened.
//!
//! It can also lose a share of all requests at random (`loss_percent`, from a seed so that a run
//! can be repeated): this machine's kernel has no `netem` to drop real packets, so packet loss is
//! modelled at the level a proxy sees, the request: a lost request is stalled (what a TCP
//! connection does when its packets keep being lost: nothing moves until the laptop gives up),
//! cut a few bytes into its body, or its answer is lost after the server acted on it.
//!
//! Over HTTPS the proxy cannot read the requests, but TLS frames its records in the clear: a
//! request is then the first application-data record the laptop sends after the server last
//! spoke (HTTP/1.1 answers each request before the next), and its loss is dealt the same way.
//! The delay and the rate work on HTTPS as on HTTP, and so does `loss_percent`; the faults aimed
//! at pushes (lost answers, damaged, stalled and cut pushes) need to read them, and do nothing
//! over HTTPS.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What the proxy does from now on.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Lose the answers to this many pushes: the server stored the batch, and the connection
    /// drops before the laptop hears so.
    pub lose_push_answers: usize,
    /// Flip one bit in the body of this many pushes on the way up.
    pub corrupt_pushes: usize,
    /// Hold every byte back this long, both ways: the link's latency, which bytes in flight
    /// spend together.
    pub delay: Duration,
    /// Pass at most this many bytes a second each way (50 kbit/s is 6,250); 0 for no limit.
    pub bytes_per_second: u32,
    /// Stall this many pushes: their bytes go nowhere and no answer comes, until the laptop
    /// closes the connection. With answers to lose as well, the stalls come after them: the
    /// pushes after a lost answer stall, and the laptop gives up not knowing it arrived.
    pub stall_pushes: usize,
    /// Cut this many pushes half-way through their body: both sides see the connection drop.
    pub cut_pushes: usize,
    /// Stall this many sessions, as `stall_pushes` does pushes: the first request of a sync.
    pub stall_sessions: usize,
    /// Lose the answers to this many enrollments: the server enrolled the device, and the
    /// connection drops before the device hears so.
    pub lose_enroll_answers: usize,
    /// Lose this share (in percent) of every request (session, push, pull), each lost one
    /// stalled, cut or its answer lost, as the dice say.
    pub loss_percent: u32,
    /// The dice's seed for `loss_percent`.
    pub seed: u64,
}

/// Faults actually injected so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Injected {
    pub lost_answers: usize,
    pub corrupted: usize,
    pub stalled: usize,
    pub cut: usize,
    /// Requests of any kind that reached the proxy.
    pub requests: usize,
}

#[derive(Default)]
struct State {
    faults: Faults,
    injected: Injected,
    /// The dice of `loss_percent` (splitmix64).
    dice: u64,
}

impl State {
    /// The next number of the dice.
    fn roll(&mut self) -> u64 {
        self.dice = self.dice.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.dice;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

type Shared = Arc<Mutex<State>>;

/// A running proxy; it stops taking connections when dropped.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`, to give the laptop instead of the server's address.
    pub url: String,
    state: Shared,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// A proxy in front of `target` (`host:port`), passing everything through until told otherwise.
    pub fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the proxy");
        listener.set_nonblocking(true).expect("a non-blocking listener");
        let url = format!("http://{}", listener.local_addr().expect("the proxy's address"));
        let state = Shared::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (target, shared, stopping) = (target.to_owned(), state.clone(), stop.clone());
        thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        let (target, shared) = (target.clone(), shared.clone());
                        thread::spawn(move || connection(client, &target, &shared));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Proxy { url, state, stop }
    }

    /// Injects `faults` from now on.
    pub fn set(&self, faults: Faults) {
        let mut s = self.state.lock().expect("the proxy's state");
        s.dice = faults.seed;
        s.faults = faults;
    }

    pub fn injected(&self) -> Injected {
        self.state.lock().expect("the proxy's state").injected
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn connection(client: TcpStream, target: &str, state: &Shared) {
    let Ok(server) = TcpStream::connect(target) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    // Set by the upward pump once a push has gone up on this connection: HTTP/1.1 answers in
    // order, so whatever the server sends after that is the push's answer.
    let pushed = Arc::new(AtomicBool::new(false));
    // Set by the upward pump when the dice lose the answer of the request it just passed up.
    let lose = Arc::new(AtomicBool::new(false));
    // Set by the downward pump whenever the server sends: over TLS the laptop's next record
    // after that begins a new request.
    let answered = Arc::new(AtomicBool::new(false));
    let (client_r, server_w) =
        (client.try_clone().expect("a second handle"), server.try_clone().expect("a second handle"));
    let pumps = Pumps { pushed: pushed.clone(), lose: lose.clone(), answered: answered.clone() };
    let up_state = state.clone();
    let upward = thread::spawn(move || upward(client_r, server_w, &up_state, &pumps));
    downward(server, client, state, &Pumps { pushed, lose, answered });
    let _ = upward.join();
}

fn delay(state: &Shared) -> Duration {
    state.lock().expect("the proxy's state").faults.delay
}

/// One direction of the link. What a pump passes on leaves `delay` after it was read, and no
/// faster than the rate: the delay is the link's latency, which every byte in flight spends at
/// the same time, and the rate its bandwidth, which they share in turn. The first proxy slept the
/// delay before each read it passed on, one after the other, so 300 ms came on top of every 4 KB
/// (a 50 kbit/s link carried about 35) and every separate write of a TLS handshake paid it
/// again: a session over HTTPS took 2.0 s where two round trips are 1.2.
struct Line {
    pieces: mpsc::Sender<Piece>,
    writer: JoinHandle<()>,
}

/// Bytes on their way: when they are due at the other side, and a flag to raise once they are
/// there (a request whose answer the dice lose: the answer is lost only after the server has
/// the request, or the server would never act on it).
struct Piece {
    due: Instant,
    bytes: Vec<u8>,
    then: Option<Arc<AtomicBool>>,
}

impl Line {
    /// The line to `to`, which it closes once everything passed on has arrived.
    fn open(mut to: TcpStream, state: &Shared) -> Line {
        let (pieces, queue) = mpsc::channel::<Piece>();
        let state = state.clone();
        let writer = thread::spawn(move || {
            for Piece { due, bytes, then } in queue {
                thread::sleep(due.saturating_duration_since(Instant::now()));
                if send(&mut to, &bytes, &state).is_err() {
                    break;
                }
                if let Some(flag) = then {
                    flag.store(true, Ordering::SeqCst);
                }
            }
            let _ = to.shutdown(Shutdown::Both);
        });
        Line { pieces, writer }
    }

    /// Sends `bytes`, read at `read_at`, on their way, raising `then` once they have arrived; an
    /// error once the other side is gone.
    fn pass(
        &self,
        read_at: Instant,
        bytes: &[u8],
        state: &Shared,
        then: Option<Arc<AtomicBool>>,
    ) -> Result<(), ()> {
        let piece = Piece { due: read_at + delay(state), bytes: bytes.to_vec(), then };
        self.pieces.send(piece).map_err(drop)
    }

    /// Waits until everything passed on has arrived (or the other side went away), and closes.
    fn close(self) {
        drop(self.pieces);
        let _ = self.writer.join();
    }
}

/// Writes `bytes` no faster than the rate the faults say, in pieces of a few hundred bytes.
fn send(to: &mut TcpStream, bytes: &[u8], state: &Shared) -> std::io::Result<()> {
    let rate = state.lock().expect("the proxy's state").faults.bytes_per_second;
    if rate == 0 {
        return to.write_all(bytes);
    }
    for piece in bytes.chunks(256) {
        thread::sleep(Duration::from_secs_f64(piece.len() as f64 / f64::from(rate)));
        to.write_all(piece)?;
    }
    Ok(())
}

/// What the upward pump does with a push it just found.
enum PushFate {
    Pass,
    Stall,
    /// Forward the bytes up to this index of the buffer, then drop the connection.
    Cut(usize),
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Where the next request of the protocol starts in `hay`, and whether it is a POST (it has a
/// body).
fn next_request(hay: &[u8]) -> Option<(usize, bool)> {
    let post = find(hay, b"POST /v1/");
    let get = find(hay, b"GET /v1/");
    match (post, get) {
        (Some(p), Some(g)) if g < p => Some((g, false)),
        (Some(p), _) => Some((p, true)),
        (None, Some(g)) => Some((g, false)),
        (None, None) => None,
    }
}

/// What the two pumps of a connection tell each other.
struct Pumps {
    pushed: Arc<AtomicBool>,
    lose: Arc<AtomicBool>,
    answered: Arc<AtomicBool>,
}

/// The TLS record type of application data.
const TLS_APPLICATION_DATA: u8 = 0x17;
/// The TLS record type of a handshake message, the first byte of a TLS connection.
const TLS_HANDSHAKE: u8 = 0x16;

/// Whether the dice lose a request just found, and how. `Pass` means its answer is lost (`lose`
/// is set), which the downward pump sees to once the request has reached the server. The
/// request's body (or its record's) starts at byte `body` of what came up so far, and this
/// read's `n` bytes start at `start`: only a request whose body starts in this read can be cut.
fn deal_loss(
    s: &mut State,
    body: usize,
    start: usize,
    n: usize,
    can_cut: bool,
    lose: &mut bool,
) -> Option<PushFate> {
    if s.faults.loss_percent == 0 || s.roll() % 100 >= u64::from(s.faults.loss_percent) {
        return None;
    }
    Some(match s.roll() % 3 {
        0 => {
            s.injected.stalled += 1;
            PushFate::Stall
        }
        1 if can_cut && body >= start => {
            s.injected.cut += 1;
            PushFate::Cut((body - start + 8).min(n))
        }
        _ => {
            s.injected.lost_answers += 1;
            *lose = true;
            PushFate::Pass
        }
    })
}

/// Laptop to server: passes requests up, flipping a bit in a push's body when asked.
fn upward(mut from: TcpStream, to: TcpStream, state: &Shared, pumps: &Pumps) {
    let pushed = &*pumps.pushed;
    let line = Line::open(to, state);
    let mut buf = [0u8; 4096];
    let mut all = Vec::new();
    // Where the search for the next push starts: pushes before it were handled.
    let mut scan = 0usize;
    let mut fate = PushFate::Pass;
    // Over TLS: where the next record starts, whether the laptop's encrypted `Finished` (its
    // first record typed as application data in TLS 1.3) has gone up, and whether a request has.
    let mut tls = None;
    let mut record = 0usize;
    let mut finished = false;
    let mut requested = false;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if matches!(fate, PushFate::Stall) {
            // The stalled connection swallows what the laptop sends until it gives up.
            continue;
        }
        let read_at = Instant::now();
        // Whether the dice lost the answer of a request in this read.
        let mut lose = false;
        let start = all.len();
        all.extend_from_slice(&buf[..n]);
        if *tls.get_or_insert(all[0] == TLS_HANDSHAKE) {
            while all.len() >= record + 5 {
                let (kind, at) = (all[record], record);
                record += 5 + usize::from(u16::from_be_bytes([all[record + 3], all[record + 4]]));
                if kind != TLS_APPLICATION_DATA {
                    continue;
                }
                // The laptop's `Finished` ends the handshake; it is no request. The swap clears
                // what the server's handshake left.
                let answered = pumps.answered.swap(false, Ordering::SeqCst);
                if !finished {
                    finished = true;
                    continue;
                }
                // A session ticket the server sends after the handshake counts as an answer, so
                // one request's later records can count as a second: loss per request is a model.
                let fresh = answered || !requested;
                requested = true;
                if !fresh {
                    continue;
                }
                let mut s = state.lock().expect("the proxy's state");
                s.injected.requests += 1;
                if let Some(dealt) = deal_loss(&mut s, at + 5, start, n, true, &mut lose)
                    && !matches!(dealt, PushFate::Pass)
                {
                    fate = dealt;
                }
            }
            // Nothing of a TLS connection reads as a request: the search below is skipped.
            scan = all.len();
        }
        while let Some((m, post)) = next_request(&all[scan..]).map(|(m, post)| (scan + m, post)) {
            let Some(end) = find(&all[m..], b"\r\n\r\n") else { break };
            let body = m + end + 4;
            // A POST's fate is decided once the first byte of its body is here.
            if post && body >= all.len() {
                break;
            }
            let mut s = state.lock().expect("the proxy's state");
            s.injected.requests += 1;
            scan = body;
            if let Some(dealt) = deal_loss(&mut s, body, start, n, post, &mut lose) {
                // A lost answer leaves what an earlier request of this read was dealt.
                if !matches!(dealt, PushFate::Pass) {
                    fate = dealt;
                }
                continue;
            }
            if all[m..].starts_with(b"POST /v1/enroll") && s.faults.lose_enroll_answers > 0 {
                s.faults.lose_enroll_answers -= 1;
                s.injected.lost_answers += 1;
                lose = true;
                continue;
            }
            if all[m..].starts_with(b"POST /v1/session") && s.faults.stall_sessions > 0 {
                s.faults.stall_sessions -= 1;
                s.injected.stalled += 1;
                fate = PushFate::Stall;
                continue;
            }
            if !all[m..].starts_with(b"POST /v1/push") {
                continue;
            }
            pushed.store(true, Ordering::SeqCst);
            if s.faults.corrupt_pushes > 0 && body >= start {
                s.faults.corrupt_pushes -= 1;
                s.injected.corrupted += 1;
                buf[body - start] ^= 0x01;
            } else if s.faults.stall_pushes > 0 && s.faults.lose_push_answers == 0 {
                s.faults.stall_pushes -= 1;
                s.injected.stalled += 1;
                fate = PushFate::Stall;
            } else if s.faults.cut_pushes > 0 && body >= start {
                s.faults.cut_pushes -= 1;
                s.injected.cut += 1;
                // A few bytes of the body go up, then the link drops.
                fate = PushFate::Cut((body - start + 8).min(n));
            }
        }
        match fate {
            PushFate::Pass => {}
            PushFate::Stall => continue,
            PushFate::Cut(upto) => {
                let _ = line.pass(read_at, &buf[..upto], state, None);
                break;
            }
        }
        if line.pass(read_at, &buf[..n], state, lose.then(|| pumps.lose.clone())).is_err() {
            break;
        }
    }
    line.close();
    let _ = from.shutdown(Shutdown::Both);
}

/// Server to laptop: passes answers down, dropping the connection instead of a push's answer when
/// asked.
fn downward(mut from: TcpStream, to: TcpStream, state: &Shared, pumps: &Pumps) {
    let (pushed, lose) = (&*pumps.pushed, &*pumps.lose);
    let line = Line::open(to, state);
    let mut buf = [0u8; 4096];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let read_at = Instant::now();
        // The dice lost this answer: the server acted on the request, the laptop never hears.
        if lose.swap(false, Ordering::SeqCst) {
            break;
        }
        if pushed.swap(false, Ordering::SeqCst) {
            let mut s = state.lock().expect("the proxy's state");
            if s.faults.lose_push_answers > 0 {
                s.faults.lose_push_answers -= 1;
                s.injected.lost_answers += 1;
                break;
            }
        }
        pumps.answered.store(true, Ordering::SeqCst);
        if line.pass(read_at, &buf[..n], state, None).is_err() {
            break;
        }
    }
    line.close();
    let _ = from.shutdown(Shutdown::Both);
}
