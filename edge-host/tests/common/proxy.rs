//! A failure-injecting HTTP proxy in front of moto's Kinesis API.
//!
//! Everything is forwarded unchanged except `PutRecords` calls while a [`Fault`] is armed:
//!
//! - [`Fault::FailEveryNth`]: the proxy removes every n-th entry from the request, forwards
//!   the rest, and answers with moto's results plus a `ProvisionedThroughputExceededException`
//!   entry for each removed one — a real partial failure: those records were *not* written;
//! - [`Fault::Throttle`]: the whole call is refused with HTTP 400
//!   `ProvisionedThroughputExceededException`, nothing is written.
//!
//! Each armed fault applies to a number of calls, then the proxy passes calls through again.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    FailEveryNth(usize),
    Throttle,
}

#[derive(Debug, Default)]
pub struct State {
    fault: Option<(Fault, usize)>,
    /// PutRecords calls seen, and entries refused.
    pub put_records_calls: usize,
    pub refused_entries: usize,
}

pub struct Proxy {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, &state);
                });
            }
        });
        Proxy { url, state }
    }

    /// Arms `fault` for the next `calls` PutRecords calls.
    pub fn arm(&self, fault: Fault, calls: usize) {
        self.state.lock().unwrap().fault = Some((fault, calls));
    }

    pub fn stats(&self) -> (usize, usize) {
        let s = self.state.lock().unwrap();
        (s.put_records_calls, s.refused_entries)
    }
}

/// An HTTP response: status line, headers, body.
type Response = (String, Vec<(String, String)>, Vec<u8>);

pub struct Request {
    pub head: Vec<(String, String)>,
    pub start_line: String,
    pub body: Vec<u8>,
}

pub fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut start_line = String::new();
    if reader.read_line(&mut start_line)? == 0 {
        return Ok(None);
    }
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            head.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len = header(&head, "content-length").map_or(0, |v| v.parse().unwrap_or(0));
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(Some(Request {
        head,
        start_line: start_line.trim_end().to_string(),
        body,
    }))
}

pub fn header<'a>(head: &'a [(String, String)], name: &str) -> Option<&'a str> {
    head.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Sends a request upstream with `Connection: close` and returns (status line, headers, body).
fn forward(upstream: SocketAddr, req: &Request, body: &[u8]) -> std::io::Result<Response> {
    let mut up = TcpStream::connect(upstream)?;
    let mut out = format!("{}\r\n", req.start_line);
    for (k, v) in &req.head {
        if !k.eq_ignore_ascii_case("connection") && !k.eq_ignore_ascii_case("content-length") {
            out += &format!("{k}: {v}\r\n");
        }
    }
    out += &format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    up.write_all(out.as_bytes())?;
    up.write_all(body)?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end in upstream response"))?;
    let head_text = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head_text.split("\r\n");
    let status = lines
        .next()
        .unwrap_or("HTTP/1.1 502 Bad Gateway")
        .to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok((status, headers, raw[split + 4..].to_vec()))
}

pub fn respond(
    conn: &mut TcpStream,
    status: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut out = format!("{status}\r\n");
    for (k, v) in headers {
        if !["connection", "content-length", "transfer-encoding"]
            .iter()
            .any(|h| k.eq_ignore_ascii_case(h))
        {
            out += &format!("{k}: {v}\r\n");
        }
    }
    out += &format!(
        "Content-Length: {}\r\nConnection: keep-alive\r\n\r\n",
        body.len()
    );
    conn.write_all(out.as_bytes())?;
    conn.write_all(body)
}

fn serve(conn: TcpStream, upstream: SocketAddr, state: &Mutex<State>) -> std::io::Result<()> {
    let mut writer = conn.try_clone()?;
    let mut reader = BufReader::new(conn);
    while let Some(req) = read_request(&mut reader)? {
        let is_put_records =
            header(&req.head, "x-amz-target").is_some_and(|t| t.ends_with(".PutRecords"));
        let fault = if is_put_records {
            let mut s = state.lock().unwrap();
            s.put_records_calls += 1;
            match &mut s.fault {
                Some((fault, calls)) if *calls > 0 => {
                    *calls -= 1;
                    *fault
                }
                _ => Fault::None,
            }
        } else {
            Fault::None
        };
        match fault {
            Fault::None => {
                let (status, headers, body) = forward(upstream, &req, &req.body)?;
                respond(&mut writer, &status, &headers, &body)?;
            }
            Fault::Throttle => {
                let mut request: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
                let n = request["Records"].as_array_mut().map_or(0, |r| r.len());
                state.lock().unwrap().refused_entries += n;
                let body = br#"{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for stream (injected by the test proxy)"}"#;
                respond(
                    &mut writer,
                    "HTTP/1.1 400 Bad Request",
                    &[("Content-Type".into(), "application/x-amz-json-1.1".into())],
                    body,
                )?;
            }
            Fault::FailEveryNth(n) => {
                let mut request: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
                let entries = request["Records"].as_array().cloned().unwrap_or_default();
                let refused: Vec<bool> = (0..entries.len()).map(|i| i % n == 0).collect();
                let kept: Vec<serde_json::Value> = entries
                    .iter()
                    .zip(&refused)
                    .filter(|(_, r)| !**r)
                    .map(|(e, _)| e.clone())
                    .collect();
                let n_refused = refused.iter().filter(|r| **r).count();
                state.lock().unwrap().refused_entries += n_refused;
                let mut results = Vec::new();
                let mut status = "HTTP/1.1 200 OK".to_string();
                let mut headers = vec![(
                    "Content-Type".to_string(),
                    "application/x-amz-json-1.1".to_string(),
                )];
                if !kept.is_empty() {
                    request["Records"] = serde_json::Value::Array(kept);
                    let body = serde_json::to_vec(&request).unwrap();
                    let (s, h, upstream_body) = forward(upstream, &req, &body)?;
                    let response: serde_json::Value =
                        serde_json::from_slice(&upstream_body).unwrap();
                    results = response["Records"].as_array().cloned().unwrap_or_default();
                    status = s;
                    headers = h;
                }
                let mut written = results.into_iter();
                let merged: Vec<serde_json::Value> = refused
                    .iter()
                    .map(|&r| {
                        if r {
                            serde_json::json!({"ErrorCode": "ProvisionedThroughputExceededException",
                                "ErrorMessage": "Rate exceeded for shard (injected by the test proxy)"})
                        } else {
                            written.next().unwrap_or_else(|| serde_json::json!({"ErrorCode": "InternalFailure", "ErrorMessage": "missing"}))
                        }
                    })
                    .collect();
                let failed = merged
                    .iter()
                    .filter(|m| m.get("ErrorCode").is_some())
                    .count();
                let body = serde_json::to_vec(
                    &serde_json::json!({"FailedRecordCount": failed, "Records": merged}),
                )
                .unwrap();
                respond(&mut writer, &status, &headers, &body)?;
            }
        }
    }
    Ok(())
}
