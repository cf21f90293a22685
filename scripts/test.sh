#!/usr/bin/env bash
# Every test of the project, with the set-up it needs (idempotent: skips what is there).
set -euo pipefail
cd "$(dirname "$0")/.."

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

echo "== format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== the core builds for wasm32 (no I/O, no platform code)"
cargo build --locked --lib --target wasm32-unknown-unknown

echo "== tests"
cargo test --workspace --locked
