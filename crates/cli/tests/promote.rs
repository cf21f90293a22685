//! `btlab promote` against real temporary git repositories and real sweeps.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::DATA_15M;

const HAND_KEPT: &str = "# Profiles the desk trades. Edited by hand too.\n\
    \n\
    keep:\n  promoted_at: '2025-01-01T00:00:00Z'\n  experiment_id: 1\n  config_hash: aaaa\n  strategy: sma\n  \
    symbol: ETHUSDT\n  timeframe: 1h\n  params: {fast_period: 10, slow_period: 30}  # do not touch\n  \
    performance: {}\n  validation_criteria: {}\n  data_fingerprint: x\n  start: '2025-01-01'\n  end: '2025-02-01'\n  \
    initial_capital: 10000.0\n  fee_bps: 10.0\n  slippage_bps: 0.0\n  allow_short: false\n";

/// Thresholds that experiments 1 and 4 pass (RSI 28/35/70 and 21/35/75: Sharpe 1.40 and
/// 1.28, drawdowns 23% and 24%, out-of-sample Sharpes -0.4 and -0.6).
const LENIENT: [&str; 4] = ["--max-drawdown", "0.3", "--min-oos-sharpe", "-1"];

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// A repository with one commit holding the hand-kept profiles file, and a store of four
    /// RSI experiments on the real 15m series, untracked.
    fn new() -> Repo {
        let repo = Repo::bare();
        repo.git(&["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(repo.path().join("config")).unwrap();
        std::fs::write(repo.profiles(), HAND_KEPT).unwrap();
        repo.git(&["add", "config"]);
        repo.git(&["commit", "-q", "-m", "profiles"]);
        repo
    }

    /// A folder with the store but no repository.
    fn bare() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(
            repo.path().join("spec.yaml"),
            "symbol: BTCUSDT\ntimeframe: 15m\nstart: 2025-01-01\nend: 2025-06-01\nstrategies: [rsi]\n\
             param_grids: {rsi: {period: [28, 21], oversold: [35], overbought: [70, 75]}}\n",
        )
        .unwrap();
        let out = repo.btlab(&["sweep", "spec.yaml", "--data", DATA_15M, "--db", "exp.sqlite"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn profiles(&self) -> PathBuf {
        self.path().join("config/strategy_profiles.yaml")
    }

    fn profiles_text(&self) -> String {
        std::fs::read_to_string(self.profiles()).unwrap_or_default()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .envs(identity())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn btlab(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_btlab"))
            .args(args)
            .current_dir(self.path())
            .envs(identity())
            .output()
            .unwrap()
    }

    /// `btlab promote ...` on the repo's store and the real data.
    fn promote(&self, args: &[&str]) -> Output {
        let mut all = vec!["promote"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--db", "exp.sqlite", "--data", DATA_15M]);
        self.btlab(&all)
    }
}

fn identity() -> [(&'static str, &'static str); 4] {
    [
        ("GIT_AUTHOR_NAME", "btlab test"),
        ("GIT_AUTHOR_EMAIL", "test@btlab.invalid"),
        ("GIT_COMMITTER_NAME", "btlab test"),
        ("GIT_COMMITTER_EMAIL", "test@btlab.invalid"),
    ]
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn experiment(repo: &Repo, id: &str) -> serde_json::Value {
    let out = repo.btlab(&["experiments", "show", id, "--db", "exp.sqlite", "--json"]);
    assert!(out.status.success(), "{}", text(&out).1);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_failed_validation_reports_each_check_and_changes_nothing() {
    let repo = Repo::new();
    let out = repo.promote(&["#1", "scalp"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("validation failed (max_drawdown"), "{stderr}");
    assert!(stderr.contains("left unchanged"), "{stderr}");
    for check in [
        "sharpe_ratio",
        "max_drawdown",
        "total_trades",
        "total_return",
        "oos_sharpe_ratio",
        "deflated_sharpe",
        "git_clean",
    ] {
        assert!(stdout.contains(check), "{check} missing from\n{stdout}");
    }
    assert!(
        stdout.contains("FAIL") && stdout.contains("best of 4 trials"),
        "{stdout}"
    );
    assert_eq!(repo.profiles_text(), HAND_KEPT);
    // a required deflated Sharpe that four lucky-looking trials cannot reach
    let out = repo.promote(
        &["#1", "scalp", "--min-dsr", "0.99"]
            .iter()
            .chain(&LENIENT)
            .copied()
            .collect::<Vec<_>>(),
    );
    assert!(text(&out).1.contains("deflated_sharpe"), "{}", text(&out).1);
    assert_eq!(repo.profiles_text(), HAND_KEPT);
}

#[test]
fn promotion_writes_the_profile_keeps_the_rest_and_commits_only_that_file() {
    let repo = Repo::new();
    let stored = experiment(&repo, "#1");
    let hash = stored["config_hash"].as_str().unwrap();
    let mut args = vec!["promote", &hash[..10], "scalp", "--auto-commit"];
    args.extend_from_slice(&LENIENT);
    let out = repo.promote(&args); // the seed's `promote promote ID NAME`, named by hash prefix
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("committed"), "{stdout}");

    let written = repo.profiles_text();
    assert!(written.starts_with(HAND_KEPT), "the hand-kept part changed:\n{written}");
    let profiles: serde_yaml_ng::Value = serde_yaml_ng::from_str(&written).unwrap();
    let scalp = &profiles["scalp"];
    assert_eq!(scalp["config_hash"].as_str(), Some(hash));
    assert_eq!(scalp["experiment_id"].as_i64(), Some(1));
    assert_eq!(scalp["strategy"].as_str(), Some("rsi"));
    let params: serde_json::Value = serde_json::to_value(&scalp["params"]).unwrap();
    assert_eq!(params, stored["config"]["params"]);
    assert_eq!(
        scalp["performance"]["sharpe_ratio"].as_f64(),
        stored["metrics"]["sharpe_ratio"].as_f64()
    );
    assert!(scalp["performance"]["oos_sharpe_ratio"].as_f64().is_some());
    assert_eq!(scalp["validation_criteria"]["max_drawdown"].as_f64(), Some(0.3));

    let log = repo.git(&["log", "-1", "--format=%s%n%b", "--name-only"]);
    assert!(log.starts_with("Promote experiment #1 to profile scalp"), "{log}");
    assert!(log.contains("sharpe_ratio") && log.contains(hash), "{log}");
    assert!(
        log.trim_end().ends_with("config/strategy_profiles.yaml"),
        "only the profiles file: {log}"
    );
    assert_eq!(repo.git(&["status", "--porcelain", "--untracked-files=no"]), "");
}

#[test]
fn every_version_is_kept_and_rollback_brings_the_previous_back() {
    let repo = Repo::new();
    for id in ["#1", "#4"] {
        let mut args = vec![id, "scalp", "--auto-commit"];
        args.extend_from_slice(&LENIENT);
        let out = repo.promote(&args);
        assert!(out.status.success(), "{}", text(&out).1);
    }
    let current = |repo: &Repo| {
        let p: serde_yaml_ng::Value = serde_yaml_ng::from_str(&repo.profiles_text()).unwrap();
        (
            p["scalp"]["experiment_id"].as_i64(),
            p["scalp"]["history"].as_sequence().map_or(0, Vec::len),
        )
    };
    assert_eq!(current(&repo), (Some(4), 1));
    let list = text(&repo.btlab(&["promote", "list"])).0;
    assert!(list.contains("scalp") && list.contains("keep"), "{list}");

    let out = repo.btlab(&["promote", "rollback", "scalp", "--auto-commit"]);
    assert!(out.status.success(), "{}", text(&out).1);
    assert_eq!(current(&repo), (Some(1), 1), "experiment 1 back, 4 kept in the history");
    assert!(repo.profiles_text().starts_with(HAND_KEPT));
    assert!(
        repo.git(&["log", "-1", "--format=%s"])
            .starts_with("Roll back profile scalp")
    );
    let show = text(&repo.btlab(&["promote", "show", "scalp"])).0;
    assert!(show.contains("restored_at") && show.contains("history"), "{show}");

    let out = repo.btlab(&["promote", "rollback", "keep"]);
    assert!(text(&out).1.contains("nothing to roll back to"), "{}", text(&out).1);
}

#[test]
fn auto_commit_is_refused_on_a_dirty_tree_a_detached_head_or_outside_a_repository() {
    let mut args = vec!["#1", "scalp", "--auto-commit"];
    args.extend_from_slice(&LENIENT);

    let repo = Repo::new();
    std::fs::write(repo.profiles(), format!("{HAND_KEPT}# an edit in progress\n")).unwrap();
    let (_, stderr) = text(&repo.promote(&args));
    assert!(
        stderr.contains("uncommitted changes (config/strategy_profiles.yaml)"),
        "{stderr}"
    );
    assert_eq!(repo.profiles_text(), format!("{HAND_KEPT}# an edit in progress\n"));

    let repo = Repo::new();
    repo.git(&["checkout", "-q", "--detach"]);
    let (_, stderr) = text(&repo.promote(&args));
    assert!(stderr.contains("HEAD is detached"), "{stderr}");
    assert_eq!(repo.profiles_text(), HAND_KEPT);

    let outside = Repo::bare();
    let (_, stderr) = text(&outside.promote(&args));
    assert!(stderr.contains("not inside a git repository"), "{stderr}");
    assert!(!outside.profiles().exists());
    // without --auto-commit the promotion goes ahead outside a repository
    let out = outside.promote(&args[..2].iter().chain(&LENIENT).copied().collect::<Vec<_>>());
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(text(&out).0.contains("not a git repository"));
    assert!(outside.profiles().exists());
}

#[test]
fn other_candles_than_the_experiments_are_refused() {
    let repo = Repo::new();
    // the same file with one candle of the experiment's range missing
    let real = std::fs::read_to_string(DATA_15M).unwrap();
    let altered: String = real
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 5_000)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(repo.path().join("altered.csv"), altered).unwrap();
    let out = repo.btlab(&["promote", "#1", "scalp", "--db", "exp.sqlite", "--data", "altered.csv"]);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("are not those experiment #1 ran on"), "{stderr}");
    let (_, stderr) = text(&repo.promote(&["#99", "scalp"]));
    assert!(stderr.contains("no experiment `#99`"), "{stderr}");
    let (_, stderr) = text(&repo.promote(&["#1", "bad name"]));
    assert!(stderr.contains("profile name"), "{stderr}");
    assert_eq!(repo.profiles_text(), HAND_KEPT);
}

#[test]
fn a_bundle_that_is_not_one_is_refused_and_nothing_changes() {
    let repo = Repo::new();
    std::fs::write(repo.path().join("junk.json"), "{\"experiment\": 3}").unwrap();
    std::fs::write(
        repo.path().join("future.json"),
        r#"{"format": "btlab-promotion-bundle", "version": 9, "experiment": null, "trial_sharpes": []}"#,
    )
    .unwrap();
    let (_, stderr) = text(&repo.promote(&["--bundle", "junk.json", "scalp"]));
    assert!(stderr.contains("junk.json is not a btlab promotion bundle"), "{stderr}");
    let (_, stderr) = text(&repo.promote(&["--bundle", "future.json", "scalp"]));
    assert!(
        stderr.contains("future.json is not a btlab promotion bundle"),
        "{stderr}"
    );
    let (_, stderr) = text(&repo.promote(&["--bundle", "missing.json", "scalp"]));
    assert!(stderr.contains("reading missing.json"), "{stderr}");
    assert_eq!(repo.profiles_text(), HAND_KEPT);
}

#[test]
fn a_refused_auto_commit_leaves_the_file_and_the_index_as_they_were() {
    let repo = Repo::new();
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho 'hook: no' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut args = vec!["#1", "scalp", "--auto-commit"];
    args.extend_from_slice(&LENIENT);
    let out = repo.promote(&args);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("hook: no"), "{}", text(&out).1);
    assert_eq!(repo.profiles_text(), HAND_KEPT);
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=no"]),
        "",
        "nothing staged, nothing modified"
    );
}

#[test]
fn the_profiles_file_is_written_through_a_symlink_keeping_its_mode_and_nothing_else_is_replaced() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let repo = Repo::bare();
    let real = repo.path().join("real-profiles.yaml");
    std::fs::write(&real, HAND_KEPT).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o664)).unwrap();
    let link = repo.path().join("profiles.yaml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let promote_into = |profiles: &Path| {
        let mut args = vec!["#1", "scalp", "--profiles", profiles.to_str().unwrap()];
        args.extend_from_slice(&LENIENT);
        repo.promote(&args)
    };
    let out = promote_into(&link);
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    let promoted = std::fs::read_to_string(&real).unwrap();
    assert!(
        promoted.starts_with(HAND_KEPT.lines().next().unwrap()) && promoted.contains("scalp:"),
        "{promoted}"
    );
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o664);

    let fifo = repo.path().join("fifo.yaml");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for target in [Path::new("/dev/null"), fifo.as_path()] {
        let (_, stderr) = text(&promote_into(target));
        assert!(stderr.contains("is not a regular file"), "{target:?}: {stderr}");
    }
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}
