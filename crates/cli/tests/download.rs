//! `btlab data download` against a fake Binance klines server on 127.0.0.1. The server's
//! pages are made from the real ETH 1h candles of `tests/data/` in Binance's reply format
//! (this machine has no network to record real ones), and it can answer a request with a
//! 429, a 418, a 5xx, a body cut off, a malformed page, or stop serving altogether.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

const ETH_1H: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/ETHUSDT-1h-2020-2025.csv");
const HOUR: i64 = 3_600_000;
/// 2020-01-01 and 2020-04-01: three pages of hourly candles (2,184 hours, less the gaps).
const JAN: i64 = 1_577_836_800_000;
const APR: i64 = 1_585_699_200_000;

/// The candles as the file holds them: open time and the five numbers' text.
fn eth_rows() -> Vec<(i64, Vec<String>)> {
    std::fs::read_to_string(ETH_1H)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let mut fields = line.split(',');
            let open_time = fields.next().unwrap().parse().unwrap();
            (open_time, fields.map(str::to_owned).collect())
        })
        .collect()
}

/// How many candles the file holds in `[start, end)` (the real series has gaps).
fn count(start: i64, end: i64) -> usize {
    eth_rows().iter().filter(|(t, _)| (start..end).contains(t)).count()
}

/// How the server answers one request, in the order they arrive (the last one repeats).
#[derive(Clone)]
enum Reply {
    Klines,
    /// This status with a `Retry-After` of so many seconds, when given.
    Status(u16, Option<u64>),
    /// Promises a whole page, sends the start of it, and hangs up.
    CutOff,
    Malformed(&'static str),
    /// Closes the listener: every later request is refused.
    Stop,
}

/// A query string's parameters (`symbol=ETHUSDT&startTime=0`).
type Query = HashMap<String, String>;

struct FakeBinance {
    url: String,
    /// The query of each request.
    requests: Arc<Mutex<Vec<Query>>>,
}

impl FakeBinance {
    fn requests(&self) -> Vec<Query> {
        self.requests.lock().unwrap().clone()
    }
}

/// A query's integer parameter.
fn number(query: &Query, name: &str) -> i64 {
    query[name].parse().unwrap()
}

/// Serves klines of `rows` as `GET /api/v3/klines` does (open times in
/// `[startTime, endTime]`, at most `limit`), after `delay`, following `script`.
fn serve(rows: Vec<(i64, Vec<String>)>, script: Vec<Reply>, delay: Duration) -> FakeBinance {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    let url = common::fake_server(move |n, request, stream| {
        let target = request.line.split(' ').nth(1).unwrap_or_default();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        assert_eq!(path, "/api/v3/klines", "{}", request.line);
        let query: Query = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        log.lock().unwrap().push(query.clone());
        std::thread::sleep(delay);
        let page = || {
            assert_eq!(
                (query["symbol"].as_str(), query["interval"].as_str()),
                ("ETHUSDT", "1h")
            );
            assert_eq!(number(&query, "limit"), 1000);
            let (from, to) = (number(&query, "startTime"), number(&query, "endTime"));
            let klines: Vec<String> = rows
                .iter()
                .filter(|(t, _)| (from..=to).contains(t))
                .take(1000)
                .map(|(t, v)| {
                    format!(
                        r#"[{t},"{}","{}","{}","{}","{}",{},"0.0",1,"0.0","0.0","0"]"#,
                        v[0],
                        v[1],
                        v[2],
                        v[3],
                        v[4],
                        t + HOUR - 1
                    )
                })
                .collect();
            format!("[{}]", klines.join(","))
        };
        let (status, retry_after, body) = match script[n.min(script.len() - 1)].clone() {
            Reply::Klines => (200, None, page()),
            Reply::Status(code, retry_after) => (code, retry_after, r#"{"code":-1003,"msg":"fake"}"#.to_owned()),
            Reply::Malformed(text) => (200, None, text.to_owned()),
            Reply::CutOff => {
                let body = page();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                    body.len(),
                    &body[..body.len() / 3]
                );
                return true;
            }
            Reply::Stop => return false,
        };
        let header = retry_after.map_or(String::new(), |s| format!("Retry-After: {s}\r\n"));
        let _ = write!(
            stream,
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{header}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        true
    });
    FakeBinance { url, requests }
}

fn download_command(server: &FakeBinance, out: &Path, start: i64, end: i64) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_btlab"));
    command
        .args(["data", "download", "--symbol", "ETHUSDT", "--timeframe", "1h"])
        .args(["--start", &start.to_string(), "--end", &end.to_string()])
        .args([
            "--base-url",
            &server.url,
            "--retries",
            "3",
            "--backoff-ms",
            "1",
            "--timeout",
            "5",
        ])
        .arg("--out")
        .arg(out);
    command
}

fn download(server: &FakeBinance, out: &Path, start: i64, end: i64) -> Output {
    download_command(server, out, start, end).output().unwrap()
}

fn succeeded(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "download failed: {stderr}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn failed(out: &Output) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: ") && !stderr.contains("panicked"), "{stderr}");
    stderr
}

fn target(dir: &Path) -> PathBuf {
    dir.join("ETHUSDT-1h.csv")
}

fn part(dir: &Path) -> PathBuf {
    dir.join(".ETHUSDT-1h.csv.part")
}

/// A folder holding an uninterrupted download of `[start, end)`, and the file's bytes.
fn downloaded(start: i64, end: i64) -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(eth_rows(), vec![Reply::Klines], Duration::ZERO);
    succeeded(&download(&server, dir.path(), start, end));
    let bytes = std::fs::read(target(dir.path())).unwrap();
    (dir, bytes)
}

fn reference(start: i64, end: i64) -> Vec<u8> {
    downloaded(start, end).1
}

#[test]
fn a_download_holds_every_candle_served_in_range_through_retried_failures() {
    let dir = tempfile::tempdir().unwrap();
    let script = vec![
        Reply::Status(429, Some(0)),
        Reply::Klines,
        Reply::Status(503, None),
        Reply::CutOff,
        Reply::Status(418, Some(1)),
        Reply::Klines,
    ];
    let server = serve(eth_rows(), script, Duration::ZERO);
    let out = download(&server, dir.path(), JAN, APR);
    let stdout = succeeded(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for said in ["HTTP 429", "HTTP 503", "cut off", "HTTP 418", "retrying in 1.0s"] {
        assert!(stderr.contains(said), "{said}: {stderr}");
    }
    let expected: Vec<_> = eth_rows().into_iter().filter(|(t, _)| (JAN..APR).contains(t)).collect();
    assert!(expected.len() > 2000, "three pages");
    let n = expected.len();
    assert!(stdout.contains(&format!(": {n} new candles; {n} in all")), "{stdout}");
    let text = std::fs::read_to_string(target(dir.path())).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("open_time,open,high,low,close,volume"));
    for ((open_time, values), line) in expected.iter().zip(lines.by_ref()) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[0], open_time.to_string());
        for (ours, theirs) in fields[1..].iter().zip(values) {
            assert_eq!(ours.parse::<f64>().unwrap(), theirs.parse::<f64>().unwrap(), "{line}");
        }
    }
    assert_eq!(lines.next(), None);
    assert!(!part(dir.path()).exists());
    // Seven requests: three pages, and the four failures before the second tried again.
    let requests = server.requests();
    assert_eq!(requests.len(), 7);
    assert_eq!(number(&requests[0], "startTime"), JAN);
    assert_eq!(number(&requests[0], "endTime"), APR - 1);
}

#[test]
fn retries_are_bounded_and_a_long_ban_is_not_waited_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(eth_rows(), vec![Reply::Status(502, None)], Duration::ZERO);
    let stderr = failed(&download(&server, dir.path(), JAN, APR));
    assert!(
        stderr.contains("HTTP 502") && stderr.contains("after 4 attempts"),
        "{stderr}"
    );
    assert!(stderr.contains("GET http://127.0.0.1:"), "{stderr}");
    assert_eq!(server.requests().len(), 4);
    assert!(!target(dir.path()).exists());

    let server = serve(eth_rows(), vec![Reply::Status(418, Some(3600))], Duration::ZERO);
    let stderr = failed(&download(&server, dir.path(), JAN, APR));
    assert!(stderr.contains("asks to wait 3600 s"), "{stderr}");
    assert_eq!(server.requests().len(), 1);

    let server = serve(eth_rows(), vec![Reply::Status(400, None)], Duration::ZERO);
    let stderr = failed(&download(&server, dir.path(), JAN, APR));
    assert!(stderr.contains("HTTP 400: {\"code\":-1003"), "{stderr}");
    assert_eq!(server.requests().len(), 1, "a 400 is final");
}

#[test]
fn a_server_that_stops_mid_download_leaves_a_part_the_next_run_completes_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(eth_rows(), vec![Reply::Klines, Reply::Stop], Duration::ZERO);
    let stderr = failed(&download(&server, dir.path(), JAN, APR));
    assert!(stderr.contains("request failed"), "{stderr}");
    assert!(!target(dir.path()).exists(), "no file until the download is whole");
    let kept = std::fs::read_to_string(part(dir.path())).unwrap();
    assert_eq!(kept.lines().count(), 1 + 1000);
    // A write cut off halfway through a line is cut back to the last whole one.
    let mut file = std::fs::OpenOptions::new().append(true).open(part(dir.path())).unwrap();
    file.write_all(b"1581436800000,265.1,26").unwrap();

    let server = serve(eth_rows(), vec![Reply::Klines], Duration::ZERO);
    let out = download(&server, dir.path(), JAN, APR);
    let n = count(JAN, APR);
    assert!(succeeded(&out).contains(&format!(": {} new candles; {n} in all", n - 1000)));
    assert!(String::from_utf8_lossy(&out.stderr).contains("resuming"));
    let last_kept = eth_rows()[999].0;
    assert_eq!(
        number(&server.requests()[0], "startTime"),
        last_kept,
        "from the last candle kept"
    );
    assert_eq!(std::fs::read(target(dir.path())).unwrap(), reference(JAN, APR));
    assert!(!part(dir.path()).exists());
}

#[test]
fn a_download_killed_with_sigkill_and_run_again_is_byte_identical_to_an_uninterrupted_one() {
    let end = JAN + 6_000 * HOUR;
    let dir = tempfile::tempdir().unwrap();
    let slow = serve(eth_rows(), vec![Reply::Klines], Duration::from_millis(150));
    let mut child = download_command(&slow, dir.path(), JAN, end)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let written = |dir: &Path| std::fs::read_to_string(part(dir)).map_or(0, |t| t.lines().count());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while written(dir.path()) < 1 + 2000 {
        assert!(std::time::Instant::now() < deadline, "two pages never arrived");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the download ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!target(dir.path()).exists());
    assert!(written(dir.path()) < 1 + 6000, "killed before the end");

    succeeded(&download(
        &serve(eth_rows(), vec![Reply::Klines], Duration::ZERO),
        dir.path(),
        JAN,
        end,
    ));
    assert_eq!(std::fs::read(target(dir.path())).unwrap(), reference(JAN, end));
}

#[test]
fn a_second_run_fetches_only_what_is_missing_at_either_end() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(eth_rows(), vec![Reply::Klines], Duration::ZERO);
    let feb = JAN + 31 * 24 * HOUR;
    succeeded(&download(&server, dir.path(), feb, APR));
    let stdout = succeeded(&download(&server, dir.path(), feb, APR));
    assert!(stdout.contains(": 0 new candles"), "{stdout}");
    let after_first = server.requests().len();
    assert_eq!(after_first, 2, "nothing is asked for when nothing is missing");

    let may = APR + 30 * 24 * HOUR;
    let stdout = succeeded(&download(&server, dir.path(), JAN, may));
    let (new, all) = (count(JAN, feb) + count(APR, may), count(JAN, may));
    assert!(
        stdout.contains(&format!(": {new} new candles; {all} in all")),
        "{stdout}"
    );
    let later = &server.requests()[after_first..];
    assert_eq!(number(&later[0], "startTime"), JAN);
    assert_eq!(
        number(&later[0], "endTime"),
        feb + HOUR - 1,
        "earlier candles up to the file's first"
    );
    assert_eq!(
        number(&later[1], "startTime"),
        APR - HOUR,
        "later ones from the file's last"
    );
    assert_eq!(std::fs::read(target(dir.path())).unwrap(), reference(JAN, may));
}

#[test]
fn a_malformed_page_names_the_request_and_leaves_the_file_untouched() {
    let (dir, before) = downloaded(JAN, APR);
    let cases = [
        ("<html>busy</html>", "the reply is not JSON: <html>busy</html>"),
        (r#"{"code":0}"#, "not a list of klines"),
        (
            r#"[[1585699200000,"1","2","0.5"]]"#,
            "kline 0 is not a list of at least 6 fields",
        ),
        (
            r#"[[1585699200000,"1","2","0.5","x","3"]]"#,
            "kline 0: the close \"x\" is not a number",
        ),
        (r#"[[1585699200001,"1","2","0.5","1","3"]]"#, "not a 1h boundary"),
        (r#"[[1585699200000,"1","0.5","2","1","3"]]"#, "kline 0"),
    ];
    for (page, said) in cases {
        let server = serve(eth_rows(), vec![Reply::Malformed(page)], Duration::ZERO);
        let stderr = failed(&download(&server, dir.path(), JAN, APR + 24 * HOUR));
        assert!(stderr.contains(said), "{said}: {stderr}");
        let asked = format!(
            "GET {}/api/v3/klines?symbol=ETHUSDT&interval=1h&startTime={}",
            server.url,
            APR - HOUR
        );
        assert!(stderr.contains(&asked), "{stderr}");
        assert_eq!(std::fs::read(target(dir.path())).unwrap(), before, "{page}");
    }
}

#[test]
fn a_server_whose_candles_disagree_with_the_file_is_refused() {
    let (dir, before) = downloaded(JAN, APR);
    let mut changed = eth_rows();
    let last = changed.iter().position(|(t, _)| *t == APR - HOUR).unwrap();
    changed[last].1[4] = "1.5".to_owned();
    let stderr = failed(&download(
        &serve(changed, vec![Reply::Klines], Duration::ZERO),
        dir.path(),
        JAN,
        APR + 24 * HOUR,
    ));
    assert!(
        stderr.contains("2020-03-31T23:00:00Z") && stderr.contains("differs from the last one"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(target(dir.path())).unwrap(), before);
}

#[test]
fn bad_arguments_and_foreign_files_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(eth_rows(), vec![Reply::Klines], Duration::ZERO);
    let stderr = failed(&download(&server, dir.path(), APR, JAN));
    assert!(
        stderr.contains("--start 2020-04-01T00:00:00Z is not before --end 2020-01-01T00:00:00Z"),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_btlab"))
        .args([
            "data",
            "download",
            "--symbol",
            "ETH/USDT",
            "--timeframe",
            "1h",
            "--start",
            "2020-01-01",
        ])
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(failed(&out).contains("--symbol `ETH/USDT` is not a market name"));
    let out = Command::new(env!("CARGO_BIN_EXE_btlab"))
        .args([
            "data",
            "download",
            "--symbol",
            "ETHUSDT",
            "--timeframe",
            "1h",
            "--start",
            "soon",
        ])
        .output()
        .unwrap();
    assert!(failed(&out).contains("--start `soon` is not a date"));

    // A 15m file where the 1h one belongs is not extended with 1h candles.
    let foreign = "open_time,open,high,low,close,volume\n0,1,1,1,1,1\n900000,1,1,1,1,1\n";
    std::fs::write(target(dir.path()), foreign).unwrap();
    let stderr = failed(&download(&server, dir.path(), JAN, APR));
    assert!(stderr.contains("holds 15m candles, not 1h ones"), "{stderr}");
    assert_eq!(std::fs::read_to_string(target(dir.path())).unwrap(), foreign);
    assert!(!part(dir.path()).exists());
    assert!(server.requests().is_empty());
}
