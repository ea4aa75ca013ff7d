//! A hostile HTTP server on raw TCP, for the fault matrix.
//!
//! The scripted sandbox is built on axum, which always speaks correct HTTP. Real networks and
//! broken servers do not: they cut a body short of its `Content-Length`, reset the connection
//! mid-body, drip one byte a second, accept a connection and never answer, send 100 MB of JSON,
//! or redirect to `file:`. This server does exactly what its script says, byte for byte.
//!
//! A script is a function from the request (and how many times that path was asked for) to an
//! [`Action`]. The server listens on 127.0.0.1 only, logs every request, counts every byte it
//! writes (so a test can prove the client stopped reading), and stops when dropped: connections
//! it is holding open or dripping into are cut at once.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use easel_testkit::hostile::{Action, Hostile};
//! let server = Hostile::start(|req| match req.path.as_str() {
//!     "/api/v6/images/text2img" => Action::truncated(200, "application/json", b"{\"status\":", 1000),
//!     _ => Action::status(404),
//! })
//! .await?;
//! println!("{}", server.base_url());
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

/// Largest request head read (request line and headers).
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest request body read; the rest is ignored.
const MAX_REQUEST_BODY: usize = 4 * 1024 * 1024;

/// One request as the hostile server read it.
#[derive(Clone, Debug)]
pub struct HostileRequest {
    /// When it arrived (after its body was read).
    pub at: Instant,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// Header names in lower case, values lossily decoded.
    pub headers: Vec<(String, String)>,
    /// The body (at most 4 MiB of it).
    pub body: Vec<u8>,
    /// How many requests for this same path came before this one (0 for the first).
    pub nth: usize,
    /// The server's own base URL (`http://127.0.0.1:port`, or `https://…` behind TLS), so a
    /// script can hand out addresses that point back at itself.
    pub base: String,
}

impl HostileRequest {
    /// The body as JSON, or `Null`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    /// The value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What the server does with one request. Every action ends by closing the connection
/// (no keep-alive), except [`Action::Silent`], which holds it until the server stops.
#[derive(Clone, Debug)]
pub enum Action {
    /// Write these bytes exactly (status line, headers, body: whatever they are), then close.
    Raw(Vec<u8>),
    /// Write these bytes, then reset the connection (TCP RST via `SO_LINGER` 0) instead of
    /// closing it cleanly. Over a wrapped stream (TLS) this degrades to an abrupt close.
    RawThenReset(Vec<u8>),
    /// Write `head` at once, then `body` one byte at a time, `every` apart.
    Drip { head: Vec<u8>, body: Vec<u8>, every: Duration },
    /// Write `head`, then `chunk` repeated `times` times, then `tail`, without ever holding the
    /// whole body in memory. Stops as soon as the client stops reading.
    Stream { head: Vec<u8>, chunk: Vec<u8>, times: u64, tail: Vec<u8> },
    /// Accept, read the request, and never answer.
    Silent,
    /// Close at once without writing a byte.
    Close,
    /// Reset at once (RST) without writing a byte.
    Reset,
}

impl Action {
    /// A whole response with a correct `Content-Length` and `Connection: close`.
    pub fn respond(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Self {
        let body = body.into();
        let mut out = head(status, headers, Some(body.len() as u64));
        out.extend_from_slice(&body);
        Action::Raw(out)
    }
    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::respond(status, &[("content-type", "application/json")], value.to_string())
    }
    /// A JSON response with extra headers.
    pub fn json_with(status: u16, headers: &[(&str, &str)], value: &serde_json::Value) -> Self {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        Self::respond(status, &all, value.to_string())
    }
    /// A body of any bytes with a content type.
    pub fn body(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::respond(status, &[("content-type", content_type)], body)
    }
    /// An empty response with this status.
    pub fn status(status: u16) -> Self {
        Self::respond(status, &[], Vec::new())
    }
    /// A redirect to `location` (any scheme: the point is to see what the client does).
    pub fn redirect(status: u16, location: &str) -> Self {
        Self::respond(status, &[("location", location)], Vec::new())
    }
    /// Headers declaring `declared` bytes of body, then only `body`, then a clean close.
    pub fn truncated(status: u16, content_type: &str, body: &[u8], declared: u64) -> Self {
        let mut out = head(status, &[("content-type", content_type)], Some(declared));
        out.extend_from_slice(body);
        Action::Raw(out)
    }
    /// Headers declaring `declared` bytes of body, then only `body`, then a reset.
    pub fn reset_mid_body(status: u16, content_type: &str, body: &[u8], declared: u64) -> Self {
        let mut out = head(status, &[("content-type", content_type)], Some(declared));
        out.extend_from_slice(body);
        Action::RawThenReset(out)
    }
    /// A correct head for `body`, then the body dripped one byte per `every`.
    pub fn drip(status: u16, content_type: &str, body: impl Into<Vec<u8>>, every: Duration) -> Self {
        let body = body.into();
        Action::Drip { head: head(status, &[("content-type", content_type)], Some(body.len() as u64)), body, every }
    }
    /// `prefix`, then `filler` repeated `times`, then `suffix`, as one body with (or without,
    /// when `content_length` is false) its true `Content-Length`.
    pub fn stream(status: u16, content_type: &str, prefix: &[u8], filler: &[u8], times: u64, suffix: &[u8], content_length: bool) -> Self {
        let total = prefix.len() as u64 + filler.len() as u64 * times + suffix.len() as u64;
        let mut out = head(status, &[("content-type", content_type)], content_length.then_some(total));
        out.extend_from_slice(prefix);
        Action::Stream { head: out, chunk: filler.to_vec(), times, tail: suffix.to_vec() }
    }
}

/// `HTTP/1.1 <status> <reason>` with the headers, `Connection: close`, and a `Content-Length`
/// when given; ends with the blank line.
pub fn head(status: u16, headers: &[(&str, &str)], content_length: Option<u64>) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(n) = content_length {
        out.push_str(&format!("content-length: {n}\r\n"));
    }
    out.push_str("connection: close\r\n\r\n");
    out.into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// A byte stream the server can speak HTTP over (plain TCP, or TLS wrapped by a test).
pub trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

/// Turns an accepted TCP connection into the stream to speak over (a TLS handshake, say).
pub type Wrap = Arc<dyn Fn(TcpStream) -> Pin<Box<dyn Future<Output = io::Result<Box<dyn Conn>>> + Send>> + Send + Sync>;

type Script = Arc<dyn Fn(&HostileRequest) -> Action + Send + Sync>;

struct Shared {
    base: String,
    script: Script,
    log: Mutex<Vec<HostileRequest>>,
    per_path: Mutex<HashMap<String, usize>>,
    written: AtomicU64,
    connections: AtomicU64,
    /// Woken whenever a request is logged.
    arrived: Notify,
    stopped: watch::Receiver<()>,
}

/// A running hostile server. Dropping it stops it and cuts every connection it holds.
pub struct Hostile {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _stop: watch::Sender<()>,
}

impl fmt::Debug for Hostile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hostile").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Hostile {
    /// Listen on 127.0.0.1 (any free port) over plain TCP and serve `script`.
    pub async fn start(script: impl Fn(&HostileRequest) -> Action + Send + Sync + 'static) -> io::Result<Hostile> {
        Self::start_wrapped(script, "http", None).await
    }

    /// Like [`Hostile::start`], but every accepted connection goes through `wrap` first
    /// (a TLS acceptor, for instance); `scheme` is what [`Hostile::base_url`] says.
    pub async fn start_wrapped(
        script: impl Fn(&HostileRequest) -> Action + Send + Sync + 'static,
        scheme: &str,
        wrap: Option<Wrap>,
    ) -> io::Result<Hostile> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(());
        let shared = Arc::new(Shared {
            base: format!("{scheme}://{addr}"),
            script: Arc::new(script),
            log: Mutex::default(),
            per_path: Mutex::default(),
            written: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            arrived: Notify::new(),
            stopped: stopped.clone(),
        });
        let accept_shared = Arc::clone(&shared);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    () = wait_for_stop(stopped.clone()) => return,
                };
                let Ok((tcp, _)) = accepted else { continue };
                accept_shared.connections.fetch_add(1, Ordering::Relaxed);
                let shared = Arc::clone(&accept_shared);
                let wrap = wrap.clone();
                tokio::spawn(async move {
                    let stop = wait_for_stop(shared.stopped.clone());
                    tokio::select! {
                        () = serve(tcp, wrap, Arc::clone(&shared)) => {}
                        () = stop => {}
                    }
                });
            }
        });
        Ok(Hostile { addr, shared, _stop: stop })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port` (or `https://…` when wrapped in TLS).
    pub fn base_url(&self) -> String {
        self.shared.base.clone()
    }

    /// Every request read so far, in arrival order.
    pub fn requests(&self) -> Vec<HostileRequest> {
        lock(&self.shared.log).clone()
    }

    /// How many requests for `path` were read.
    pub fn count(&self, path: &str) -> usize {
        lock(&self.shared.per_path).get(path).copied().unwrap_or(0)
    }

    /// How many requests whose path starts with `prefix` were read.
    pub fn count_prefix(&self, prefix: &str) -> usize {
        lock(&self.shared.log).iter().filter(|r| r.path.starts_with(prefix)).count()
    }

    /// Total bytes the server managed to write, over every connection.
    pub fn bytes_written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    /// Connections accepted (including ones that never sent a request).
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Wait until at least `n` requests have been read (an event, not a poll loop).
    pub async fn wait_for_requests(&self, n: usize) {
        loop {
            let notified = self.shared.arrived.notified();
            if lock(&self.shared.log).len() >= n {
                return;
            }
            notified.await;
        }
    }
}

async fn wait_for_stop(mut stopped: watch::Receiver<()>) {
    while stopped.changed().await.is_ok() {}
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn serve(tcp: TcpStream, wrap: Option<Wrap>, shared: Arc<Shared>) {
    let _ = tcp.set_nodelay(true);
    match wrap {
        None => serve_on(tcp, &shared).await,
        Some(wrap) => {
            if let Ok(conn) = wrap(tcp).await {
                serve_on(conn, &shared).await;
            }
        }
    }
}

async fn serve_on<S: AsyncRead + AsyncWrite + Unpin + MaybeTcp>(mut conn: S, shared: &Shared) {
    let Some(request) = read_request(&mut conn, shared).await else { return };
    let action = (shared.script)(&request);
    act(&mut conn, action, shared).await;
}

/// Reads one request and logs it; `None` when the client sent nothing usable.
async fn read_request<S: AsyncRead + Unpin + ?Sized>(conn: &mut S, shared: &Shared) -> Option<HostileRequest> {
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return None;
        }
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let path = target.split('?').next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned())).collect();
    let length =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse::<usize>().ok()).unwrap_or(0).min(MAX_REQUEST_BODY);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; (length - body.len()).min(64 * 1024)];
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let nth = {
        let mut per_path = lock(&shared.per_path);
        let n = per_path.entry(path.clone()).or_insert(0);
        *n += 1;
        *n - 1
    };
    let request = HostileRequest { at: Instant::now(), method, path, headers, body, nth, base: shared.base.clone() };
    lock(&shared.log).push(request.clone());
    shared.arrived.notify_waiters();
    Some(request)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Write `bytes`, counting what got out; false once the client is gone.
async fn write_counted<S: AsyncWrite + Unpin + ?Sized>(conn: &mut S, bytes: &[u8], shared: &Shared) -> bool {
    let mut rest = bytes;
    while !rest.is_empty() {
        match conn.write(rest).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => {
                shared.written.fetch_add(n as u64, Ordering::Relaxed);
                rest = &rest[n..];
            }
        }
    }
    conn.flush().await.is_ok()
}

/// Streams that can be reset (TCP); others just close.
trait MaybeTcp {
    fn zero_linger(&self) {}
}
impl MaybeTcp for TcpStream {
    fn zero_linger(&self) {
        let _ = self.set_zero_linger();
    }
}
impl MaybeTcp for Box<dyn Conn> {}

async fn act<S: AsyncWrite + Unpin + MaybeTcp>(conn: &mut S, action: Action, shared: &Shared) {
    match action {
        Action::Raw(bytes) => {
            write_counted(conn, &bytes, shared).await;
            let _ = conn.shutdown().await;
        }
        Action::RawThenReset(bytes) => {
            write_counted(conn, &bytes, shared).await;
            conn.zero_linger();
        }
        Action::Drip { head, body, every } => {
            if !write_counted(conn, &head, shared).await {
                return;
            }
            for byte in body {
                if !write_counted(conn, &[byte], shared).await {
                    return;
                }
                tokio::time::sleep(every).await;
            }
            let _ = conn.shutdown().await;
        }
        Action::Stream { head, chunk, times, tail } => {
            if !write_counted(conn, &head, shared).await {
                return;
            }
            if !chunk.is_empty() && times > 0 {
                // Write in blocks of whole chunks, about 64 KiB each.
                let per_block = (64 * 1024 / chunk.len()).max(1) as u64;
                let block: Vec<u8> = chunk.iter().copied().cycle().take(chunk.len() * per_block as usize).collect();
                let mut left = times;
                while left > 0 {
                    let n = left.min(per_block);
                    if !write_counted(conn, &block[..chunk.len() * n as usize], shared).await {
                        return;
                    }
                    left -= n;
                }
            }
            write_counted(conn, &tail, shared).await;
            let _ = conn.shutdown().await;
        }
        Action::Silent => std::future::pending::<()>().await,
        Action::Close => {}
        Action::Reset => conn.zero_linger(),
    }
}
