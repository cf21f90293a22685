//! The native driver of the core's experiment store: rusqlite (SQLite compiled in), in WAL
//! mode so a viewer can read while a sweep writes.

use std::path::Path;

use anyhow::{Context, Result};
use btlab::store::{Sql, SqlValue, Store};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags, params_from_iter};

pub struct Sqlite(Connection);

/// Opens (creating it and its folder if needed) the store at `path`, schema up to date.
pub fn open_store(path: &Path) -> Result<Store<Sqlite>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let connection = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    // A 64 MiB page cache: a big store's indexes take random inserts.
    connection
        .execute_batch("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536;")
        .with_context(|| format!("{} is not a usable SQLite database", path.display()))?;
    let mut store = Store::open(Sqlite(connection)).with_context(|| format!("in {}", path.display()))?;
    // WAL only once the file is known to be ours and current: switching a file's journal
    // mode rewrites its header, and a refused file is left exactly as it was.
    // The switch takes the file's exclusive lock, and SQLite answers BUSY at once (without
    // the busy handler) while another connection opening the same new file holds it: the
    // switch is tried again for up to the busy timeout.
    let mut tries = 0;
    loop {
        match store
            .driver()
            .0
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        {
            Ok(()) => break,
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) && tries < 250 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => anyhow::bail!("{}: switching to WAL: {e}", path.display()),
        }
    }
    Ok(store)
}

/// A store in memory, schema up to date: for tests of the core's steps.
pub fn open_memory() -> Result<Store<Sqlite>> {
    Ok(Store::open(Sqlite(Connection::open_in_memory()?))?)
}

/// Opens an existing store to read it, writing nothing to it or beside it: a missing or
/// empty file is an error, not a new database, and a store in a read-only folder (or on
/// read-only media) can be viewed.
pub fn open_read_only(path: &Path) -> Result<Store<Sqlite>> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow::anyhow!(
            "no experiment database at {} (run a sweep first, or pass --db FILE)",
            path.display()
        ),
        _ => anyhow::anyhow!("reading {}: {e}", path.display()),
    })?;
    anyhow::ensure!(
        meta.len() > 0,
        "{} is empty (0 bytes): not an experiment database",
        path.display()
    );
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connect = |uri: &str| -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(uri, flags)?;
        connection.execute_batch("PRAGMA busy_timeout = 5000;")?;
        // The first read maps a WAL file's shared memory: where that cannot be, it fails here.
        connection.query_row("PRAGMA user_version", [], |_| Ok(()))?;
        Ok(connection)
    };
    let uri = format!("file:{}", uri_path(path));
    let connection = match connect(&format!("{uri}?mode=ro")) {
        Ok(connection) => Ok(connection),
        // A read-only folder cannot hold the shared-memory file; nobody can be writing
        // there, so the file is read as immutable.
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
            ) =>
        {
            connect(&format!("{uri}?immutable=1"))
        }
        Err(e) => Err(e),
    }
    .with_context(|| format!("opening {}", path.display()))?;
    Store::open_read_only(Sqlite(connection)).with_context(|| format!("opening {}", path.display()))
}

/// A path as a `file:` URI path: `?`, `#` and `%` escaped.
fn uri_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
    out
}

fn to_sql(v: &SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Int(i) => Value::Integer(*i),
        SqlValue::Real(f) => Value::Real(*f),
        SqlValue::Text(s) => Value::Text(s.clone()),
        SqlValue::Blob(b) => Value::Blob(b.clone()),
    }
}

fn from_sql(v: ValueRef<'_>) -> SqlValue {
    match v {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Int(i),
        ValueRef::Real(f) => SqlValue::Real(f),
        ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
    }
}

impl Sql for Sqlite {
    fn execute_batch(&mut self, sql: &str) -> Result<(), String> {
        self.0.execute_batch(sql).map_err(|e| e.to_string())
    }

    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize, String> {
        let mut statement = self.0.prepare_cached(sql).map_err(|e| e.to_string())?;
        statement
            .execute(params_from_iter(params.iter().map(to_sql)))
            .map_err(|e| e.to_string())
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, String> {
        let mut statement = self.0.prepare_cached(sql).map_err(|e| e.to_string())?;
        let columns = statement.column_count();
        let mut rows = statement
            .query(params_from_iter(params.iter().map(to_sql)))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            out.push((0..columns).map(|i| from_sql(row.get_ref_unwrap(i))).collect());
        }
        Ok(out)
    }
}
