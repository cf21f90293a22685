//! `btlab optimize` with no key (seeded TPE) and against a local fake DeepSeek server on
//! 127.0.0.1: good answers are used, every kind of failure ends in a retry or the
//! fallback, and the loop always completes. No network.

use std::io::Write;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

mod common;

const KEY: &str = "sk-test-0123456789-secret";

/// How the fake server answers one request.
#[derive(Clone)]
enum Reply {
    /// A chat completion whose message content is this text.
    Content(String),
    Status(u16),
    /// Answers nothing for this long (longer than the client's timeout).
    Hang(Duration),
    /// This status and body, as they are.
    Raw(u16, String),
    /// Promises this many bytes, sends a few, and hangs up.
    CutOff(usize),
}

fn configs(list: &[(i64, i64)]) -> Reply {
    let configs: Vec<Value> = list
        .iter()
        .map(|(f, s)| json!({"fast_period": f, "slow_period": s}))
        .collect();
    Reply::Content(json!({ "configs": configs }).to_string())
}

struct FakeDeepSeek {
    url: String,
    /// (authorization header, body) of each request received.
    requests: Arc<Mutex<Vec<(String, String)>>>,
}

/// Serves `script` in order, one reply per request (the last one repeats).
fn serve(script: Vec<Reply>) -> FakeDeepSeek {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    let url = common::fake_server(move |n, request, stream| {
        assert!(request.line.starts_with("POST /chat/completions"), "{}", request.line);
        let auth = request.header("authorization").unwrap_or_default().to_owned();
        log.lock().unwrap().push((auth, request.body));
        let reply = script[n.min(script.len() - 1)].clone();
        let (status, text) = match reply {
            Reply::Content(content) => (
                200,
                json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).to_string(),
            ),
            Reply::Status(code) => (code, json!({"error": {"message": "fake failure"}}).to_string()),
            Reply::Hang(d) => {
                std::thread::sleep(d);
                return true;
            }
            Reply::Raw(code, body) => (code, body),
            Reply::CutOff(promised) => {
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {promised}\r\n\r\n{{\"choices\": ["
                );
                return true;
            }
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
        true
    });
    FakeDeepSeek { url, requests }
}

fn optimize(db: &std::path::Path, server: Option<&FakeDeepSeek>, extra: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_btlab"));
    command
        .args([
            "optimize",
            "--start",
            "2025-01-01",
            "--end",
            "2025-03-01",
            "--iterations",
            "3",
            "--batch",
            "4",
        ])
        .args([
            "--patience",
            "10",
            "--api-timeout",
            "1",
            "--api-retries",
            "2",
            "--api-backoff-ms",
            "10",
        ])
        .arg("--db")
        .arg(db)
        .args(extra)
        .env_remove("DEEPSEEK_API_KEY")
        .env_remove("DEEPSEEK_BASE_URL");
    if let Some(server) = server {
        command
            .env("DEEPSEEK_API_KEY", KEY)
            .env("DEEPSEEK_BASE_URL", &server.url);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "the loop must complete: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// (fast, slow) of every stored experiment, in order.
fn stored(db: &std::path::Path) -> Vec<(i64, i64)> {
    let out = Command::new(env!("CARGO_BIN_EXE_btlab"))
        .args([
            "experiments",
            "list",
            "--json",
            "--limit",
            "1000",
            "--sort",
            "total_trades",
            "--db",
        ])
        .arg(db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut all: Vec<(i64, i64, i64)> = rows
        .iter()
        .map(|e| {
            let p = &e["config"]["params"];
            (
                e["id"].as_i64().unwrap(),
                p["fast_period"].as_i64().unwrap(),
                p["slow_period"].as_i64().unwrap(),
            )
        })
        .collect();
    all.sort();
    all.into_iter().map(|(_, f, s)| (f, s)).collect()
}

fn no_secret_anywhere(out: &Output, db: &std::path::Path) {
    assert!(!String::from_utf8_lossy(&out.stdout).contains(KEY));
    assert!(!stderr(out).contains(KEY));
    for file in std::fs::read_dir(db.parent().unwrap()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "the key reached a file"
        );
    }
}

#[test]
fn a_good_answer_is_used_and_the_key_goes_only_into_the_header() {
    let server = serve(vec![
        configs(&[(7, 60), (9, 80), (11, 100), (13, 120)]),
        configs(&[(8, 70), (10, 90), (12, 110), (14, 130)]),
        configs(&[(15, 140), (16, 150), (17, 160), (18, 170)]),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let out = optimize(&db, Some(&server), &[]);
    let err = stderr(&out);
    assert!(err.contains("DeepSeek `deepseek-chat`"), "{err}");
    assert_eq!(err.matches("(deepseek)").count(), 3, "{err}");
    assert_eq!(
        stored(&db),
        [
            (7, 60),
            (9, 80),
            (11, 100),
            (13, 120),
            (8, 70),
            (10, 90),
            (12, 110),
            (14, 130),
            (15, 140),
            (16, 150),
            (17, 160),
            (18, 170)
        ]
    );
    let requests = server.requests.lock().unwrap();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].0, format!("Bearer {KEY}"));
    // the prompt carries the schema and, from the second call, the history table
    let second: Value = serde_json::from_str(&requests[1].1).unwrap();
    let prompt = second["messages"][1]["content"].as_str().unwrap();
    assert!(
        prompt.contains("fast_period: integer in [5, 50]") && prompt.contains("fast_period < slow_period"),
        "{prompt}"
    );
    assert!(
        prompt.contains("4 configs tried so far") && prompt.contains("{\"fast_period\":7,\"slow_period\":60}"),
        "{prompt}"
    );
    assert_eq!(second["response_format"]["type"], "json_object");
    drop(requests);
    no_secret_anywhere(&out, &db);
}

#[test]
fn malformed_json_falls_back_and_the_loop_completes() {
    let server = serve(vec![Reply::Content(
        "Sure! Here are some configs: fast 10, slow 50".into(),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let out = optimize(&db, Some(&server), &[]);
    let err = stderr(&out);
    assert!(err.contains("not strict JSON"), "{err}");
    assert_eq!(err.matches("falling back to TPE").count(), 3, "{err}");
    assert_eq!(stored(&db).len(), 12);
    assert_eq!(
        server.requests.lock().unwrap().len(),
        3,
        "a malformed answer is not retried"
    );
}

#[test]
fn out_of_bounds_values_are_refused_and_the_batch_is_topped_up() {
    let server = serve(vec![configs(&[(0, 50), (60, 20), (3, 100_001), (10, 50)])]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let out = optimize(&db, Some(&server), &["--iterations", "1"]);
    let err = stderr(&out);
    assert_eq!(err.matches("deepseek proposed an invalid config").count(), 3, "{err}");
    assert!(
        err.contains("fast_period (60) must be less than slow_period (20)"),
        "{err}"
    );
    assert!(err.contains("(deepseek + 3 tpe)"), "{err}");
    let all = stored(&db);
    assert_eq!(all.len(), 4);
    assert_eq!(all[0], (10, 50), "the one valid proposal ran");
}

#[test]
fn a_429_and_a_500_are_retried_with_backoff() {
    let server = serve(vec![
        Reply::Status(429),
        Reply::Status(500),
        configs(&[(7, 60), (9, 80), (11, 100), (13, 120)]),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let out = optimize(&db, Some(&server), &["--iterations", "1"]);
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 429") && err.contains("HTTP 500") && err.contains("retrying"),
        "{err}"
    );
    assert!(err.contains("(deepseek)"), "{err}");
    assert_eq!(server.requests.lock().unwrap().len(), 3);
    assert_eq!(stored(&db)[0], (7, 60));
}

#[test]
fn persistent_server_errors_exhaust_the_retries_then_fall_back() {
    let server = serve(vec![Reply::Status(500)]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let out = optimize(&db, Some(&server), &["--iterations", "2"]);
    let err = stderr(&out);
    assert!(err.contains("after 3 attempts"), "{err}");
    assert_eq!(err.matches("falling back to TPE").count(), 2, "{err}");
    assert_eq!(
        server.requests.lock().unwrap().len(),
        6,
        "1 try + 2 retries per iteration"
    );
    assert_eq!(stored(&db).len(), 8);
}

#[test]
fn a_timeout_falls_back() {
    let server = serve(vec![Reply::Hang(Duration::from_secs(3))]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let out = optimize(&db, Some(&server), &["--iterations", "1", "--api-retries", "0"]);
    let err = stderr(&out);
    assert!(err.contains("falling back to TPE"), "{err}");
    assert!(
        err.to_ascii_lowercase().contains("timeout") || err.contains("timed out"),
        "{err}"
    );
    assert_eq!(stored(&db).len(), 4);
}

#[test]
fn without_a_key_the_seeded_optimizer_is_reproducible_and_stops_when_converged() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    let run = |db: &std::path::Path| optimize(db, None, &["--iterations", "5", "--seed", "3", "--json"]);
    let (out_a, out_b) = (run(&a), run(&b));
    assert!(stderr(&out_a).contains("heuristic mode: TPE (seed 3"));
    assert_eq!(stored(&a), stored(&b));
    let result: Value = serde_json::from_slice(&out_a.stdout).unwrap();
    let result_b: Value = serde_json::from_slice(&out_b.stdout).unwrap();
    assert_eq!(result["best"]["config_hash"], result_b["best"]["config_hash"]);
    assert_eq!(result["trajectory"], result_b["trajectory"]);
    assert_eq!(result["evaluated"], 20);
    assert_eq!(result["trajectory"].as_array().unwrap().len(), 5);
    let best = result["best"]["metrics"]["sharpe_ratio"].as_f64().unwrap();
    let trajectory_best = result["trajectory"][4]["best"].as_f64().unwrap();
    assert!((best - trajectory_best).abs() < 1e-4);
    // a resumed loop reads the history: nothing is tried twice
    let c = optimize(&a, None, &["--iterations", "2", "--seed", "3"]);
    assert!(stderr(&c).contains("iteration 2/2"));
    let all = stored(&a);
    let distinct: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (28, 28));
    // an improvement threshold nothing reaches stops the loop after `patience` iterations
    let d = dir.path().join("d.sqlite");
    let out = optimize(
        &d,
        None,
        &["--iterations", "9", "--convergence", "1e9", "--patience", "2"],
    );
    assert!(stderr(&out).contains("converged"), "{}", stderr(&out));
    assert_eq!(
        stored(&d).len(),
        12,
        "the first iteration, then two without improvement"
    );
}

#[test]
fn a_bad_target_or_grid_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_btlab"))
            .args(["optimize", "--db"])
            .arg(&db)
            .args(extra)
            .env_remove("DEEPSEEK_API_KEY")
            .output()
            .unwrap()
    };
    let out = run(&["--target", "luck"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unknown metric `luck`"), "{}", stderr(&out));
    let grids = dir.path().join("grids.yaml");
    std::fs::write(&grids, "sma: {fast_period: {type: int, min: 50, max: 5}}\n").unwrap();
    let out = run(&["--grids", grids.to_str().unwrap()]);
    assert!(stderr(&out).contains("param_grids.sma.fast_period"), "{}", stderr(&out));
    assert!(!db.exists(), "nothing was stored");
}

#[test]
fn the_key_is_redacted_from_every_message_a_server_echoes() {
    let echo = json!({"error": {"message": format!("invalid request: Authorization: Bearer {KEY}")}}).to_string();
    let proposal = json!({"configs": [{"fast_period": KEY, "slow_period": 50}]}).to_string();
    let server = serve(vec![Reply::Raw(400, echo), Reply::Content(proposal)]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let out = optimize(&db, Some(&server), &["--iterations", "2"]);
    let err = stderr(&out);
    assert!(err.contains("HTTP 400"), "{err}");
    assert!(err.contains("deepseek proposed an invalid config"), "{err}");
    assert!(err.contains("[redacted]"), "{err}");
    no_secret_anywhere(&out, &db);
}

#[test]
fn quoted_server_text_is_capped() {
    let huge = "x".repeat(100_000);
    let proposal = json!({"configs": [{"fast_period": huge, "slow_period": 50}]}).to_string();
    let server = serve(vec![
        Reply::Raw(400, format!("{{\"error\": \"{huge}\"}}")),
        Reply::Content(proposal),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let out = optimize(&db, Some(&server), &["--iterations", "2"]);
    let err = stderr(&out);
    assert!(err.contains("more characters)"), "{err}");
    let longest = err.lines().map(str::len).max().unwrap();
    assert!(longest < 1_000, "a line of {longest} bytes quotes the server whole");
}

#[test]
fn a_cut_off_or_oversized_reply_says_which() {
    let server = serve(vec![Reply::CutOff(10_000)]);
    let dir = tempfile::tempdir().unwrap();
    let out = optimize(&dir.path().join("a.sqlite"), Some(&server), &["--iterations", "1"]);
    let err = stderr(&out);
    assert!(err.contains("the reply was cut off"), "{err}");
    assert!(!err.contains("not JSON"), "{err}");

    let server = serve(vec![Reply::Raw(200, format!("\"{}\"", "y".repeat(5 << 20)))]);
    let out = optimize(&dir.path().join("b.sqlite"), Some(&server), &["--iterations", "1"]);
    let err = stderr(&out);
    assert!(err.contains("the reply is larger than 4 MiB"), "{err}");
}

#[test]
fn an_order_field_in_the_grid_is_searched_and_stored_with_each_config() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let grids = dir.path().join("grids.yaml");
    std::fs::write(
        &grids,
        "sma: {fast_period: [5, 30], slow_period: [40, 120], stop_loss.pct: {type: float, min: 0.005, max: 0.05}}\n",
    )
    .unwrap();
    let run = || optimize(&db, None, &["--grids", grids.to_str().unwrap(), "--take-profit", "rr2"]);
    run();
    let list = Command::new(env!("CARGO_BIN_EXE_btlab"))
        .args(["experiments", "list", "--json", "--limit", "100", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let rows: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.len(), 12);
    let stops: std::collections::HashSet<String> = rows
        .iter()
        .map(|e| {
            let c = &e["config"];
            assert_eq!(c["take_profit"], json!({"rr": 2.0}), "the fixed order field is kept");
            assert!(c["params"].get("stop_loss.pct").is_none());
            let stop = c["stop_loss"]["pct"].as_f64().unwrap();
            assert!((0.005..=0.05).contains(&stop), "{c}");
            stop.to_string()
        })
        .collect();
    assert!(stops.len() > 6, "the stop is searched, not fixed: {stops:?}");
    // A resumed loop knows what it tried, order fields included.
    run();
    assert_eq!(stored(&db).len(), 24);
}

#[test]
fn nsga2_with_targets_is_seeded_and_its_front_is_the_stores_pareto_front() {
    let dir = tempfile::tempdir().unwrap();
    let data = ["--data", common::DATA_15M, "--symbol", "BTCUSDT", "--timeframe", "15m"];
    let run = |db: &std::path::Path| {
        let mut extra = vec![
            "--targets",
            "sharpe_ratio,max_drawdown",
            "--population",
            "8",
            "--seed",
            "2",
            "--json",
        ];
        extra.extend(data);
        optimize(db, None, &extra)
    };
    let (a, b) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    let out = run(&a);
    assert!(stderr(&out).contains("NSGA-II on sharpe_ratio, max_drawdown (seed 2, population 8)"));
    assert_eq!(stored(&a), {
        run(&b);
        stored(&b)
    });
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["evaluated"], 24, "three generations of 8");
    let steps = result["trajectory"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    let volumes: Vec<f64> = steps.iter().map(|s| s["hypervolume"].as_f64().unwrap()).collect();
    assert!(
        volumes.windows(2).all(|w| w[1] >= w[0]),
        "a front only grows: {volumes:?}"
    );
    let ids = |rows: &Value| -> Vec<i64> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let pareto = Command::new(env!("CARGO_BIN_EXE_btlab"))
        .args([
            "experiments",
            "pareto",
            "--objectives",
            "sharpe_ratio,max_drawdown",
            "--json",
            "--db",
        ])
        .arg(&a)
        .output()
        .unwrap();
    let pareto: Value = serde_json::from_slice(&pareto.stdout).unwrap();
    assert_eq!(ids(&result["front"]), ids(&pareto));
    assert!(!ids(&pareto).is_empty());
}

#[test]
fn bad_targets_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_btlab"))
            .args(["optimize", "--db"])
            .arg(&db)
            .args(extra)
            .env_remove("DEEPSEEK_API_KEY")
            .output()
            .unwrap();
        assert!(!out.status.success());
        stderr(&out)
    };
    assert!(run(&["--targets", "sharpe_ratio"]).contains("give 2 to 4 objectives"));
    assert!(run(&["--targets", "sharpe_ratio,luck"]).contains("unknown metric `luck`"));
    assert!(run(&["--targets", "sharpe_ratio,max_drawdown", "--target", "win_rate"]).contains("cannot be used with"));
    assert!(
        run(&["--targets", "sharpe_ratio,max_drawdown", "--population", "1"])
            .contains("`population`: must be at least 2")
    );
    assert!(!db.exists(), "nothing was stored");
}
