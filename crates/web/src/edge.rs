//! The edge worker's HTTP API. Routing, validation, limits and running are all here; the
//! JS shim (`edge/worker.js`) only reads the body, fetches the candles a request needs
//! and writes the response. A request is handled in two steps: [`edge_prepare`] answers it
//! or says which candles it needs; [`edge_finish`] runs it on them.

use std::collections::BTreeMap;

use btlab::robustness::{MonteCarloOptions, monte_carlo, trade_returns};
use btlab::store::CURVE_POINTS;
use btlab::strategy::catalog;
use btlab::{BacktestConfig, BacktestResult, Candles, Detail, Market, synthetic};
use js_sys::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

use crate::{candles_from_columns, to_js};

/// Bodies above this are refused with 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 8 << 20;
/// Configs in one `/batch-backtest`.
pub const MAX_BATCH: usize = 2000;
/// Candles one config may span: about two years of 1m candles, 28 of 15m. Ten years of
/// 1m took 9 s, 1.3 GB and a 21 MB reply, and blocked the isolate's other requests.
pub const MAX_CANDLES: i64 = 1_000_000;
/// Candles a whole batch may span, summed over its configs: what bounds its running time.
pub const MAX_BATCH_CANDLES: i64 = 20_000_000;

/// The Monte Carlo of a `/backtest` reply's trades: `btlab experiments montecarlo`'s
/// defaults, without the sample paths (the fan and the bands say it in less).
const EDGE_MONTE_CARLO: MonteCarloOptions = MonteCarloOptions {
    runs: 1000,
    seed: 1,
    ruin_drawdown: 0.5,
    sample_paths: 0,
};

/// How many candles `[start, end)` holds at the config's timeframe, at most.
fn span(config: &BacktestConfig) -> i64 {
    (config.end.0 - config.start.0).max(0) / config.timeframe.millis()
}

/// A config whose range is over [`MAX_CANDLES`] is refused before any candle is fetched.
fn check_span(config: &BacktestConfig) -> Result<(), String> {
    let candles = span(config);
    if candles > MAX_CANDLES {
        return Err(format!(
            "[{}, {}) at {} is {candles} candles; the limit is {MAX_CANDLES} per config (a shorter range or a \
             larger timeframe; see /openapi.json)",
            config.start, config.end, config.timeframe
        ));
    }
    Ok(())
}

const OPENAPI: &str = include_str!("openapi.json");

#[derive(Serialize)]
struct Reply {
    status: u16,
    body: String,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        body: body.to_string(),
    }
}

fn error(status: u16, message: impl Into<String>) -> Reply {
    reply(status, json!({ "error": message.into() }))
}

/// Candles a request needs from the klines source, `[start, end)` at `interval`.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Need {
    key: String,
    symbol: String,
    interval: String,
    start: i64,
    end: i64,
}

#[derive(Serialize, Deserialize)]
enum Kind {
    Backtest,
    Batch,
}

/// A parsed request waiting for its candles.
#[derive(Serialize, Deserialize)]
struct Job {
    kind: Kind,
    /// Each config, or why it cannot run.
    items: Vec<Result<BacktestConfig, String>>,
    /// Candles sent in the body (Binance klines arrays), for every config of the request.
    inline: Option<Value>,
    /// The strategy definitions of the request (`strategy_def`), defined again before the
    /// run so the job needs nothing of the step that planned it.
    #[serde(default)]
    definitions: Vec<String>,
}

fn need_of(config: &BacktestConfig) -> Need {
    Need {
        key: format!(
            "{}/{}/{}/{}",
            config.symbol, config.timeframe, config.start.0, config.end.0
        ),
        symbol: config.symbol.clone(),
        interval: config.timeframe.to_string(),
        start: config.start.0,
        end: config.end.0,
    }
}

/// A config from a request body, the field at fault named in the error. A
/// `"strategy_def": "<yaml>"` field (or the batch's, `shared`) is a strategy definition:
/// compiled, and the config runs it (`strategy` may be left out; given, it must match).
fn parse_config(
    mut value: Value,
    shared: Option<&str>,
    definitions: &mut Vec<String>,
) -> Result<(BacktestConfig, Option<Value>), String> {
    let inline = value.as_object_mut().and_then(|o| o.remove("candles"));
    let own = value.as_object_mut().and_then(|o| o.remove("strategy_def"));
    let source = match &own {
        Some(Value::String(text)) => Some(text.as_str()),
        Some(_) => return Err("strategy_def: expected the definition's YAML as a string".into()),
        None => shared.filter(|_| value.get("definition").is_none()),
    };
    if let (Some(source), Some(fields)) = (source, value.as_object_mut()) {
        let defined = btlab::lang::define(source).map_err(|e| format!("strategy_def: {e}"))?;
        let name = defined.definition().name.clone();
        match fields.get("strategy").and_then(Value::as_str) {
            Some(given) if given != name && own.is_some() => {
                return Err(format!(
                    "strategy: `{given}` does not match strategy_def, which defines `{name}`"
                ));
            }
            // A batch's shared definition serves the configs that name it.
            Some(given) if given != name => {}
            _ => {
                fields.insert("strategy".into(), name.into());
                fields.insert("definition".into(), defined.hash().into());
                if !definitions.iter().any(|d| d == source) {
                    definitions.push(source.to_owned());
                }
            }
        }
    }
    let config: BacktestConfig = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.inner().to_string()
        } else {
            format!("{path}: {}", e.inner())
        }
    })?;
    config.validate().map_err(|e| e.to_string())?;
    Ok((config, inline))
}

/// Step one: answers `method path` with `body`, or returns the candles it needs
/// (`{fetch: [...], job}`) for [`edge_finish`].
#[wasm_bindgen(js_name = edgePrepare)]
pub fn edge_prepare(method: &str, path: &str, body: &[u8]) -> Result<JsValue, Error> {
    let routes: [(&str, &str); 5] = [
        ("GET", "/health"),
        ("GET", "/strategies"),
        ("GET", "/openapi.json"),
        ("POST", "/backtest"),
        ("POST", "/batch-backtest"),
    ];
    let reply = match (method, path) {
        ("GET", "/health") => reply(200, json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})),
        ("GET", "/strategies") => reply(200, serde_json::to_value(catalog()).unwrap_or(Value::Null)),
        ("GET", "/openapi.json") => Reply {
            status: 200,
            body: OPENAPI.to_owned(),
        },
        ("POST", "/backtest" | "/batch-backtest") if body.len() > MAX_BODY_BYTES => error(
            413,
            format!("the body is {} bytes; the limit is {MAX_BODY_BYTES}", body.len()),
        ),
        ("POST", "/backtest") => match serde_json::from_slice::<Value>(body) {
            Err(e) => error(400, format!("malformed JSON: {e}")),
            Ok(value) if !value.is_object() => error(400, "the body must be a JSON object (a backtest config)"),
            Ok(value) => {
                let mut definitions = Vec::new();
                match parse_config(value, None, &mut definitions) {
                    Err(message) => error(400, message),
                    Ok((config, _)) if let Err(message) = check_span(&config) => error(422, message),
                    Ok((config, inline)) => return plan(Kind::Backtest, vec![Ok(config)], inline, definitions),
                }
            }
        },
        ("POST", "/batch-backtest") => match serde_json::from_slice::<Value>(body) {
            Err(e) => error(400, format!("malformed JSON: {e}")),
            Ok(mut value) => match value.get_mut("configs").map(Value::take) {
                Some(Value::Array(configs)) if configs.len() > MAX_BATCH => error(
                    413,
                    format!("a batch holds at most {MAX_BATCH} configs, got {}", configs.len()),
                ),
                Some(Value::Array(configs)) => {
                    let shared = value.get("strategy_def").and_then(Value::as_str).map(str::to_owned);
                    let mut definitions = Vec::new();
                    let items: Vec<Result<BacktestConfig, String>> = configs
                        .into_iter()
                        .map(|c| {
                            parse_config(c, shared.as_deref(), &mut definitions)
                                .and_then(|(config, _)| check_span(&config).map(|()| config))
                        })
                        .collect();
                    let total: i64 = items.iter().flatten().map(span).sum();
                    if total > MAX_BATCH_CANDLES {
                        error(
                            413,
                            format!(
                                "the batch's configs span {total} candles in all; the limit is {MAX_BATCH_CANDLES} \
                                 per batch (split it; see /openapi.json)"
                            ),
                        )
                    } else {
                        let inline = value.get_mut("candles").map(Value::take);
                        return plan(Kind::Batch, items, inline, definitions);
                    }
                }
                _ => error(400, "configs: expected an array of backtest configs"),
            },
        },
        _ => match routes
            .iter()
            .filter(|(_, p)| *p == path)
            .map(|(m, _)| *m)
            .collect::<Vec<_>>()
        {
            allowed if !allowed.is_empty() => reply(
                405,
                json!({"error": format!("{method} is not allowed on {path}"), "allow": allowed.join(", ")}),
            ),
            _ => error(404, format!("no route {path} (see /openapi.json)")),
        },
    };
    to_js(&reply)
}

fn plan(
    kind: Kind,
    items: Vec<Result<BacktestConfig, String>>,
    inline: Option<Value>,
    definitions: Vec<String>,
) -> Result<JsValue, Error> {
    let mut fetch: Vec<Need> = Vec::new();
    if inline.is_none() {
        for config in items.iter().flatten() {
            let need = need_of(config);
            if config.symbol != synthetic::SYMBOL && !fetch.contains(&need) {
                fetch.push(need);
            }
        }
    }
    let job = Job {
        kind,
        items,
        inline,
        definitions,
    };
    to_js(&json!({ "fetch": fetch, "job": serde_json::to_string(&job).map_err(crate::into_error)? }))
}

/// Step two: runs the job on the fetched candles (`{key: columns | {error}}`) and returns
/// the reply.
#[wasm_bindgen(js_name = edgeFinish)]
pub fn edge_finish(job: &str, fetched: JsValue) -> Result<JsValue, Error> {
    let job: Job = serde_json::from_str(job).map_err(crate::into_error)?;
    for source in &job.definitions {
        btlab::lang::define(source).map_err(crate::into_error)?;
    }
    let mut series: BTreeMap<String, Result<Candles, String>> = BTreeMap::new();
    let inline = job
        .inline
        .as_ref()
        .map(|value| btlab::parse_candles(value.to_string().as_bytes()).map_err(|e| format!("candles: {e}")));
    let mut markets: BTreeMap<String, Result<Market, String>> = BTreeMap::new();
    let detail = match job.kind {
        Kind::Backtest => Detail::curve_at_most(1000),
        Kind::Batch => Detail::summary(CURVE_POINTS),
    };
    let mut outcomes: Vec<Result<BacktestResult, (u16, String)>> = Vec::with_capacity(job.items.len());
    for item in job.items {
        let config = match item {
            Ok(c) => c,
            Err(message) => {
                outcomes.push(Err((400, message)));
                continue;
            }
        };
        let key = need_of(&config).key;
        if !markets.contains_key(&key) {
            let candles = match &inline {
                Some(parsed) => parsed.clone(),
                None if config.symbol == synthetic::SYMBOL => {
                    synthetic::generate(config.timeframe, config.start.0, config.end.0, synthetic::DEFAULT_SEED)
                        .map_err(|e| e.to_string())
                }
                None => series
                    .entry(key.clone())
                    .or_insert_with(|| fetched_candles(&fetched, &key))
                    .clone(),
            };
            let market = candles.and_then(|c| {
                let c = c.at_timeframe(config.timeframe).map_err(|e| e.to_string())?;
                Market::for_config(&c, &config).map_err(|e| e.to_string())
            });
            markets.insert(key.clone(), market);
        }
        outcomes.push(match &markets[&key] {
            Ok(market) => {
                let valid = config.validate().map_err(|e| (400, e.to_string()));
                valid.map(|v| market.run(&v, detail, &mut Vec::new()))
            }
            Err(message) => Err((
                if message.starts_with("candle source") { 502 } else { 400 },
                message.clone(),
            )),
        });
    }
    let reply = match job.kind {
        Kind::Backtest => match outcomes.pop() {
            Some(Ok(result)) => {
                let mut body = serde_json::to_value(&result).map_err(crate::into_error)?;
                body["monte_carlo"] = monte_carlo(&trade_returns(&result.trades), &EDGE_MONTE_CARLO)
                    .ok()
                    .and_then(|mc| serde_json::to_value(mc).ok())
                    .unwrap_or(Value::Null);
                reply(200, body)
            }
            Some(Err((status, message))) => error(status, message),
            None => error(500, "no config"),
        },
        Kind::Batch => {
            let results: Vec<Value> = outcomes
                .into_iter()
                .map(|o| match o {
                    Ok(result) => json!({"ok": true, "result": result}),
                    Err((_, message)) => json!({"ok": false, "error": message}),
                })
                .collect();
            reply(200, json!({ "results": results }))
        }
    };
    to_js(&reply)
}

fn fetched_candles(fetched: &JsValue, key: &str) -> Result<Candles, String> {
    let value = js_sys::Reflect::get(fetched, &JsValue::from_str(key))
        .map_err(|_| format!("candle source: nothing for {key}"))?;
    if value.is_undefined() {
        return Err(format!("candle source: nothing fetched for {key}"));
    }
    if let Some(error) = js_sys::Reflect::get(&value, &JsValue::from_str("error"))
        .ok()
        .and_then(|e| e.as_string())
    {
        return Err(format!("candle source: {error}"));
    }
    candles_from_columns(&value).map_err(|e| format!("candle source: {}", String::from(e.message())))
}
