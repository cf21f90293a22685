//! Helpers shared by the binary's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) const DATA_15M: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/BTCUSDT-15m-2025.csv");

pub(crate) fn btlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_btlab"))
        .args(args)
        .output()
        .expect("btlab runs")
}

pub(crate) fn ok(args: &[&str]) -> String {
    let out = btlab(args);
    assert!(
        out.status.success(),
        "btlab {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail cleanly (exit 1, one `error:` line, no panic) and returns stderr.
pub(crate) fn refused(args: &[&str]) -> String {
    let out = btlab(args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "btlab {args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// One HTTP request as a fake server on 127.0.0.1 reads it.
pub(crate) struct Request {
    /// `GET /path?query HTTP/1.1`
    pub line: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Serves on a free port of 127.0.0.1, one request a connection: `answer` gets the
/// request's number and text and writes the reply, or returns false to stop serving (every
/// later connection is refused). Returns the server's root URL.
pub(crate) fn fake_server(
    mut answer: impl FnMut(usize, Request, &mut std::net::TcpStream) -> bool + Send + 'static,
) -> String {
    use std::io::{BufRead, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut headers = Vec::new();
            let mut header = String::new();
            while reader.read_line(&mut header).unwrap_or(0) > 0 && header != "\r\n" {
                if let Some((name, value)) = header.split_once(':') {
                    headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
                }
                header.clear();
            }
            let length = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let request = Request {
                line: line.trim_end().to_owned(),
                headers,
                body: String::from_utf8(body).unwrap(),
            };
            if !answer(n, request, &mut stream) {
                return;
            }
        }
    });
    url
}

/// The JSON array a command prints.
pub(crate) fn json_rows(args: &[&str]) -> Vec<serde_json::Value> {
    match serde_json::from_str(&ok(args)).unwrap() {
        serde_json::Value::Array(rows) => rows,
        other => panic!("btlab {args:?} printed {other}, not an array"),
    }
}

/// A store in `dir` holding the predefined SMA grid swept on the DEMO market, and every
/// experiment of it as `experiments list --json` prints them.
pub(crate) fn sma_grid_store(dir: &Path) -> (String, Vec<serde_json::Value>) {
    let db = dir.join("e.sqlite").to_str().unwrap().to_owned();
    ok(&["sweep", "--strategy", "sma", "--db", &db]);
    let all = json_rows(&["experiments", "list", "--json", "--limit", "1000", "--db", &db]);
    (db, all)
}

/// A store in `dir` of an SMA `grid` (`param_grids` YAML) swept on the real 15m candles
/// over 2025-01-01..2025-11-01, with `extra` sweep flags.
pub(crate) fn sma_15m_store(dir: &Path, grid: &str, extra: &[&str]) -> String {
    let db = dir.join("e.sqlite").to_str().unwrap().to_owned();
    let grid = write(dir, "grid.yaml", grid);
    let mut args = vec![
        "sweep",
        "--strategy",
        "sma",
        "--data",
        DATA_15M,
        "--symbol",
        "BTCUSDT",
        "--timeframe",
        "15m",
        "--start",
        "2025-01-01",
        "--end",
        "2025-11-01",
        "--db",
        &db,
        "--grids",
        grid.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args);
    db
}
