//! Test support shared by the crates' integration tests (included with `#[path]`): a real
//! moto server (S3 + Kinesis emulator) started as a child process on 127.0.0.1 and killed
//! when dropped.
//!
//! moto is found via `XGOALS_MOTO_SERVER` (path to `moto_server`), else `moto_server` on PATH,
//! else `$HOME/.cache/xgoals/venv/bin/moto_server`. Without it, [`Moto::start`] prints a skip
//! notice and returns `None`, unless `XGOALS_REQUIRE_EMULATORS=1` (as in `.ci/test`), which
//! turns a missing moto into a failure.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const INSTALL_HINT: &str = "install it with: python3 -m venv $HOME/.cache/xgoals/venv && \
     $HOME/.cache/xgoals/venv/bin/pip install 'moto[server]' (or set XGOALS_MOTO_SERVER)";

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn find_moto() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("XGOALS_MOTO_SERVER") {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| {
        let home = std::env::var_os("HOME")?;
        let venv = PathBuf::from(home).join(".cache/xgoals/venv/bin/moto_server");
        venv.is_file().then_some(venv)
    })
}

/// A moto server child process, killed on drop.
pub struct Moto {
    child: Child,
    pub url: String,
    pub addr: SocketAddr,
}

impl Moto {
    /// Starts moto, or returns `None` (after printing why) when it is not installed and
    /// emulators are not required.
    pub fn start() -> Option<Moto> {
        let Some(binary) = find_moto() else {
            if std::env::var("XGOALS_REQUIRE_EMULATORS").as_deref() == Ok("1") {
                panic!("moto_server not found and XGOALS_REQUIRE_EMULATORS=1: {INSTALL_HINT}");
            }
            eprintln!("skipped: moto_server not found ({INSTALL_HINT})");
            return None;
        };
        let port = free_port();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut moto = Moto {
            child,
            url: format!("http://{addr}"),
            addr,
        };
        moto.wait_ready(&binary);
        Some(moto)
    }

    fn wait_ready(&mut self, binary: &std::path::Path) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("{} exited early with {status}", binary.display());
            }
            if http_answers(self.addr) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{} did not answer on {} within 20 s",
                    binary.display(),
                    self.addr
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether an HTTP server at `addr` answers a request with a status line.
pub fn http_answers(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /moto-api/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}
