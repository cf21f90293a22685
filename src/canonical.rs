//! Canonical JSON, the input of the config hash: keys sorted, no whitespace, numbers in
//! shortest round-trip form as JavaScript prints them (RFC 8785), so `20`, `20.0` and
//! `2e1` are one number and every face writes the same bytes.

use std::io::Write;

use serde_json::Value;

pub fn to_canonical_json(value: &Value) -> String {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out);
    String::from_utf8(out).expect("JSON text is UTF-8")
}

/// Written straight into one buffer: every sweep result hashes its config, so this runs
/// once per backtest. (Writes into a `Vec` cannot fail.)
fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::String(s) => write_string(s, out),
        Value::Number(n) => {
            let _ = match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => write!(out, "{i}"),
                (None, Some(u)) => write!(out, "{u}"),
                _ => out.write_all(ryu_js::Buffer::new().format(n.as_f64().unwrap_or(f64::NAN)).as_bytes()),
            };
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_value(item, out);
            }
            out.push(b'}');
        }
    }
}

/// A JSON string with serde_json's escaping (the same as JavaScript's `JSON.stringify`).
fn write_string(s: &str, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(out, s);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sorted_compact_and_js_numbers() {
        let v = json!({"b": 20.0, "a": [1, 0.1, 1e21, -0.5, 1e-7], "c": {"z": "x\"y", "y": null}});
        assert_eq!(
            to_canonical_json(&v),
            r#"{"a":[1,0.1,1e+21,-0.5,1e-7],"b":20,"c":{"y":null,"z":"x\"y"}}"#
        );
        assert_eq!(to_canonical_json(&json!(20)), to_canonical_json(&json!(20.0)));
    }
}
