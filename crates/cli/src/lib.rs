//! The native face's library: the SQLite driver of the store and the sweep loop, used by
//! the `btlab` binary and its benchmarks.

pub mod runner;
pub mod sqlite;
