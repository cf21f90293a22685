//! The store's driver on sql.js: SQLite in a wasm module of its own, reached through its
//! JavaScript API, with prepared statements cached by their SQL.
//!
//! Every value bound is a call from this module into JavaScript and from there into
//! sql.js's module, so a batch of rows ([`Sql::execute_each`]) crosses once: its values
//! packed by kind into typed arrays (texts as one string, each distinct one once) and bound
//! row by row by a JavaScript loop (`Database.runEach`, which the page adds to sql.js).

use std::collections::HashMap;

use btlab::store::{Sql, SqlValue};
use js_sys::{Array, Error, Uint8Array, Uint32Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A sql.js `Database`.
    pub type Database;
    #[wasm_bindgen(method, catch)]
    fn exec(this: &Database, sql: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn prepare(this: &Database, sql: &str) -> Result<Statement, JsValue>;
    #[wasm_bindgen(method, js_name = getRowsModified)]
    fn get_rows_modified(this: &Database) -> f64;
    #[wasm_bindgen(method, js_name = export)]
    fn export(this: &Database) -> Uint8Array;
    /// Binds and runs `statement` once per row of a [`Batch`]; each run's changed rows.
    /// Not sql.js's own: the page adds it (`www/sql_batch.js`).
    #[wasm_bindgen(method, catch, js_name = runEach)]
    #[allow(clippy::too_many_arguments)]
    fn run_each(
        this: &Database,
        statement: &Statement,
        width: usize,
        kinds: &[u8],
        numbers: &[f64],
        text: &str,
        text_ends: &[u32],
        text_refs: &[u32],
        blobs: &[u8],
        blob_ends: &[u32],
    ) -> Result<Uint32Array, JsValue>;

    /// A sql.js prepared `Statement`.
    type Statement;
    #[wasm_bindgen(method, catch)]
    fn bind(this: &Statement, params: &Array) -> Result<bool, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn step(this: &Statement) -> Result<bool, JsValue>;
    #[wasm_bindgen(method)]
    fn get(this: &Statement) -> Array;
    #[wasm_bindgen(method)]
    fn reset(this: &Statement) -> bool;
    #[wasm_bindgen(method)]
    fn free(this: &Statement) -> bool;
}

pub(crate) fn js_message(e: JsValue) -> String {
    e.dyn_ref::<Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

fn to_js_param(v: &SqlValue) -> JsValue {
    match v {
        SqlValue::Null => JsValue::NULL,
        SqlValue::Int(i) => JsValue::from_f64(*i as f64),
        SqlValue::Real(f) => JsValue::from_f64(*f),
        SqlValue::Text(s) => JsValue::from_str(s),
        SqlValue::Blob(b) => Uint8Array::from(b.as_slice()).into(),
    }
}

fn from_js_value(v: JsValue) -> SqlValue {
    if v.is_null() || v.is_undefined() {
        SqlValue::Null
    } else if let Some(f) = v.as_f64() {
        if f.fract() == 0.0 && f.abs() < 9.0e15 {
            SqlValue::Int(f as i64)
        } else {
            SqlValue::Real(f)
        }
    } else if let Some(s) = v.as_string() {
        SqlValue::Text(s)
    } else if let Some(bytes) = v.dyn_ref::<Uint8Array>() {
        SqlValue::Blob(bytes.to_vec())
    } else {
        SqlValue::Null
    }
}

/// A batch of rows packed for `runEach`: each value's kind, and the values of each kind in
/// row order. Texts repeat across rows (a sweep's symbol, fingerprint, strategy): each
/// distinct one is decoded once, the rows refer to it.
#[derive(Default)]
struct Batch<'a> {
    kinds: Vec<u8>,
    numbers: Vec<f64>,
    text: String,
    /// Where each distinct text ends in `text`, in UTF-16 units (JavaScript's `substring`).
    text_ends: Vec<u32>,
    text_refs: Vec<u32>,
    distinct: HashMap<&'a str, u32>,
    text_units: u32,
    blobs: Vec<u8>,
    blob_ends: Vec<u32>,
}

impl<'a> Batch<'a> {
    fn of(rows: &'a [Vec<SqlValue>]) -> Self {
        let mut batch = Batch::default();
        for value in rows.iter().flatten() {
            let kind = match value {
                SqlValue::Null => 0,
                SqlValue::Int(i) => {
                    batch.numbers.push(*i as f64);
                    1
                }
                SqlValue::Real(f) => {
                    batch.numbers.push(*f);
                    1
                }
                SqlValue::Text(s) => {
                    let index = match batch.distinct.get(s.as_str()) {
                        Some(&index) => index,
                        None => {
                            let index = batch.text_ends.len() as u32;
                            batch.text.push_str(s);
                            batch.text_units += s.encode_utf16().count() as u32;
                            batch.text_ends.push(batch.text_units);
                            batch.distinct.insert(s, index);
                            index
                        }
                    };
                    batch.text_refs.push(index);
                    2
                }
                SqlValue::Blob(b) => {
                    batch.blobs.extend_from_slice(b);
                    batch.blob_ends.push(batch.blobs.len() as u32);
                    3
                }
            };
            batch.kinds.push(kind);
        }
        batch
    }
}

pub(crate) struct SqlJs {
    db: Database,
    statements: HashMap<String, Statement>,
}

impl SqlJs {
    pub(crate) fn new(db: Database) -> Result<Self, String> {
        // The rollback journal in SQLite's own memory, not a file in sql.js's JS file
        // system (a JS call per page written): durability is the IndexedDB log's.
        db.exec("PRAGMA journal_mode = MEMORY").map_err(js_message)?;
        Ok(Self {
            db,
            statements: HashMap::new(),
        })
    }

    fn prepared(&mut self, sql: &str) -> Result<&Statement, String> {
        if !self.statements.contains_key(sql) {
            let statement = self.db.prepare(sql).map_err(js_message)?;
            self.statements.insert(sql.to_owned(), statement);
        }
        Ok(&self.statements[sql])
    }

    fn statement(&mut self, sql: &str, params: &[SqlValue]) -> Result<&Statement, String> {
        let statement = self.prepared(sql)?;
        let values: Array = params.iter().map(to_js_param).collect();
        statement.bind(&values).map_err(js_message)?;
        Ok(statement)
    }

    /// The whole database as SQLite file bytes. sql.js invalidates prepared statements
    /// when it exports, so the cached ones are freed first.
    pub(crate) fn export_bytes(&mut self) -> Uint8Array {
        for (_, statement) in self.statements.drain() {
            statement.free();
        }
        self.db.export()
    }
}

impl Sql for SqlJs {
    fn execute_batch(&mut self, sql: &str) -> Result<(), String> {
        self.db.exec(sql).map(drop).map_err(js_message)
    }

    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize, String> {
        let statement = self.statement(sql, params)?;
        let stepped = statement.step().map_err(js_message);
        statement.reset();
        stepped?;
        Ok(self.db.get_rows_modified() as usize)
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, String> {
        let statement = self.statement(sql, params)?;
        let mut rows = Vec::new();
        loop {
            match statement.step() {
                Ok(true) => rows.push(statement.get().iter().map(from_js_value).collect()),
                Ok(false) => break,
                Err(e) => {
                    statement.reset();
                    return Err(js_message(e));
                }
            }
        }
        statement.reset();
        Ok(rows)
    }

    fn execute_each(&mut self, sql: &str, rows: &[Vec<SqlValue>]) -> Result<Vec<usize>, String> {
        let Some(width) = rows.first().map(Vec::len).filter(|&width| width > 0) else {
            return rows.iter().map(|params| self.execute(sql, params)).collect();
        };
        if rows.iter().any(|row| row.len() != width) {
            return Err(format!("rows of different widths for one statement: {sql}"));
        }
        let batch = Batch::of(rows);
        self.prepared(sql)?;
        let changed = self
            .db
            .run_each(
                &self.statements[sql],
                width,
                &batch.kinds,
                &batch.numbers,
                &batch.text,
                &batch.text_ends,
                &batch.text_refs,
                &batch.blobs,
                &batch.blob_ends,
            )
            .map_err(js_message)?;
        Ok(changed.to_vec().into_iter().map(|n| n as usize).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a batch back as `runEach` does: texts cut from the one string by UTF-16
    /// offsets, values taken in row order by kind.
    fn unpack(batch: &Batch, width: usize) -> Vec<Vec<SqlValue>> {
        let units: Vec<u16> = batch.text.encode_utf16().collect();
        let mut from = 0;
        let texts: Vec<String> = batch
            .text_ends
            .iter()
            .map(|&end| {
                let text = String::from_utf16(&units[from..end as usize]).unwrap();
                from = end as usize;
                text
            })
            .collect();
        let (mut numbers, mut refs, mut ends) = (batch.numbers.iter(), batch.text_refs.iter(), batch.blob_ends.iter());
        let mut blob_from = 0;
        let values: Vec<SqlValue> = batch
            .kinds
            .iter()
            .map(|kind| match kind {
                0 => SqlValue::Null,
                1 => SqlValue::Real(*numbers.next().unwrap()),
                2 => SqlValue::Text(texts[*refs.next().unwrap() as usize].clone()),
                _ => {
                    let end = *ends.next().unwrap() as usize;
                    let blob = batch.blobs[blob_from..end].to_vec();
                    blob_from = end;
                    SqlValue::Blob(blob)
                }
            })
            .collect();
        values.chunks(width).map(<[SqlValue]>::to_vec).collect()
    }

    #[test]
    fn a_batch_carries_every_value_in_its_place_and_each_distinct_text_once() {
        let text = |s: &str| SqlValue::Text(s.into());
        let rows = vec![
            vec![
                text("BTCUSDT"),
                SqlValue::Int(3),
                SqlValue::Real(-0.5),
                SqlValue::Null,
                SqlValue::Blob(vec![1, 2]),
            ],
            // Texts beyond ASCII: JavaScript cuts by UTF-16 units, not bytes.
            vec![
                text("é😀x"),
                SqlValue::Int(-7),
                SqlValue::Real(1e300),
                text(""),
                SqlValue::Blob(vec![]),
            ],
            vec![
                text("BTCUSDT"),
                SqlValue::Int(0),
                SqlValue::Real(f64::MIN_POSITIVE),
                text("é😀x"),
                SqlValue::Blob(vec![9]),
            ],
        ];
        let batch = Batch::of(&rows);
        assert_eq!(batch.text_ends.len(), 3, "BTCUSDT, é😀x and the empty text, each once");
        assert_eq!(batch.text_refs, [0, 1, 2, 0, 1]);
        let as_numbers = |row: &[SqlValue]| -> Vec<SqlValue> {
            row.iter()
                .map(|v| match v {
                    SqlValue::Int(i) => SqlValue::Real(*i as f64),
                    other => other.clone(),
                })
                .collect()
        };
        let expected: Vec<Vec<SqlValue>> = rows.iter().map(|row| as_numbers(row)).collect();
        assert_eq!(unpack(&batch, 5), expected);
    }
}
