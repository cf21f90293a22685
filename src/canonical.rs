//! Canonical JSON, the input of the config hash: keys sorted, no whitespace, numbers in
//! shortest round-trip form as JavaScript prints them (RFC 8785), so `20`, `20.0` and
//! `2e1` are one number and every face writes the same bytes.

use serde_json::Value;

pub fn to_canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => out.push_str(&value.to_string()),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => out.push_str(&i.to_string()),
            (None, Some(u)) => out.push_str(&u.to_string()),
            _ => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                out.push_str(ryu_js::Buffer::new().format(f));
            }
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
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
