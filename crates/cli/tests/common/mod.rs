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
