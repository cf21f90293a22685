use super::*;

fn errors(source: &str) -> Vec<String> {
    match compile(source) {
        Ok(_) => vec![],
        Err(d) => d.iter().map(ToString::to_string).collect(),
    }
}

/// Every error class of the spec's limits, with its line and column.
#[test]
fn each_bad_definition_gets_its_message_at_its_place() {
    let cases = [
        (
            "name: t\nlong_entry: emma(close, 3) > close\n",
            "line 2, column 13: unknown function `emma` (did you mean `ema`?)",
        ),
        (
            "name: t\nlong_entry: clsoe > 3\n",
            "line 2, column 13: unknown name `clsoe` (did you mean `close`?)",
        ),
        (
            "name: t\nlong_entry: close + 3\n",
            "line 2, column 13: `long_entry` must be a bool (a condition), got a number",
        ),
        (
            "name: t\nlong_entry: close > 3 and 4\n",
            "line 2, column 13: `and` needs bools on both sides, got bool and number",
        ),
        (
            "name: t\nlong_entry: sma(close) > 3\n",
            "line 2, column 13: `sma` takes 2 arguments, got 1",
        ),
        (
            "name: t\nlong_entry: sma(close, 2.5) > 3\n",
            "line 2, column 24: the `sma` period must be an integer, got 2.5",
        ),
        (
            "name: t\nlong_entry: rsi(close, 1) > 3\n",
            "line 2, column 24: the `rsi` period must be in [2, 100000], got 1",
        ),
        (
            "name: t\nlet:\n  a: b + 1\n  b: close\nlong_entry: a > 3\n",
            "line 3, column 6: `b` is used before its `let` (a `let` may use only the ones above it)",
        ),
        (
            "name: t\nlet:\n  a: a + 1\nlong_entry: a > 3\n",
            "line 3, column 6: `a` is defined in terms of itself (a cycle)",
        ),
        (
            "name: t\nlong_entry: close > (3\n",
            "line 2, column 23: unexpected end of the expression, expected `)`",
        ),
        (
            "name: t\nlong_entry: close >\n",
            "line 2, column 20: unexpected end of the expression, expected an expression",
        ),
        (
            "name: t\nlong_entry: 1 < 2 < 3\n",
            "line 2, column 21: comparisons do not chain: write `a < b and b < c`",
        ),
        (
            "name: t\nlong_entry: macd(close, 12, 26, 9) > 0\n",
            "line 2, column 13: `>` needs numbers on both sides, got the outputs of `macd` (pick one: .line, .signal, .hist) and number",
        ),
        (
            "name: t\nlong_entry: macd(close, 12, 26, 9).lines > 0\n",
            "line 2, column 13: `macd` has no output `.lines` (its outputs: .line, .signal, .hist)",
        ),
        (
            "name: t\nlong_entry: close[-1] > 0\n",
            "line 2, column 19: the `[ ]` offset must be in [0, 100000], got -1",
        ),
        (
            "name: t\nlong_entry: close[close] > 0\n",
            "line 2, column 19: the `[ ]` offset must be a number or a param known before the run",
        ),
        (
            "name: sma\nlong_entry: close > 0\n",
            "line 1, column 1: `sma` is a built-in strategy; give the definition another name",
        ),
        (
            "name: Bad\nlong_entry: close > 0\n",
            "line 1, column 1: the name `Bad` must be a lower-case letter then up to 39 of a-z, 0-9, _",
        ),
        (
            "name: t\nparams:\n  close: {type: int, default: 1, min: 1, max: 2}\nlong_entry: close > 0\n",
            "line 3, column 3: param `close` is a price series; choose another name",
        ),
        (
            "name: t\nparams:\n  n: {type: float, default: 1, min: 1, max: 2}\nlong_entry: sma(close, n) > 0\n",
            "line 4, column 24: the `sma` period must be an integer: `n` is a float param (make it `type: int`)",
        ),
        (
            "name: t\nparams:\n  n: {type: int, default: 5, min: 1, max: 2}\nlong_entry: close > 0\n",
            "line 3, column 3: param `n`: needs min <= default <= max, got 1, 5, 2",
        ),
        (
            "name: t\nparams:\n  n: {type: intt, default: 5, min: 1, max: 9}\nlong_entry: close > 0\n",
            "line 3, column 3: param `n`: unknown type `intt` (int, float or choice)",
        ),
        (
            "name: t\nparams:\n  ma: {type: choice, default: ema, values: [ema, rsi]}\nlong_entry: close > 0\n",
            "line 3, column 3: param `ma`: `rsi` is not a moving average (choices are of: sma, ema, wma, dema, tema, trima, kama)",
        ),
        (
            "name: t\nlong_entry: close > 0\nlong_exitt: true\n",
            "line 3, column 1: unknown field `long_exitt`, expected one of `name`, `description`, `params`, `constraints`, `let`, `long_entry`, `long_exit`, `short_entry`, `short_exit`",
        ),
        (
            "name: t\nlong_entry: if(close, 1, 0) > 0\n",
            "line 2, column 16: the condition of `if` must be a bool, got number",
        ),
        (
            "name: t\nlong_entry: not close\n",
            "line 2, column 13: `not` needs a bool, got number",
        ),
        (
            "name: t\nconstraints: [fast + 1 < slow]\nlong_entry: close > 0\n",
            "line 2, column 15: a constraint compares params and numbers only",
        ),
        (
            "name: t\nconstraints: [fats < 3]\nparams:\n  fast: {type: int, default: 1, min: 1, max: 2}\nlong_entry: close > 0\n",
            "line 2, column 15: unknown param `fats` (did you mean `fast`?)",
        ),
        (
            "name: t\nlong_entry: close > 0 )\n",
            "line 2, column 23: unexpected `)`, expected an operator or the end of the expression",
        ),
        (
            "name: t\nlong_entry: close > 0\n  extra: 1\n",
            "line 3, column 8: mapping values are not allowed in this context",
        ),
        (
            "name: t\nlong_entry: ema > 0\n",
            "line 2, column 13: `ema` is a function: call it, as in `ema(...)`",
        ),
        (
            "name: t\nparams:\n  ma: {type: choice, default: ema, values: [ema, sma]}\nlong_entry: ma > 0\n",
            "line 4, column 13: `ma` is a choice of moving averages: call it, as in `ma(close, 20)`",
        ),
        // A folded expression: the error is found on its second line.
        (
            "name: t\nlet:\n  v: sign(close)\n    + sgn(open)\nlong_entry: v > 0\n",
            "line 4, column 7: unknown function `sgn` (did you mean `sign`?)",
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(errors(source), vec![expected.to_owned()], "{source:?}");
    }
}

#[test]
fn syntax_errors_of_every_rule_are_reported_together() {
    let e = errors("name: t\nlong_entry: close >\nlong_exit: (open\n");
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[1].starts_with("line 3, column 17"), "{e:?}");
}

#[test]
fn the_limits_of_size_nesting_and_nodes_are_refused_quickly() {
    let big = format!(
        "name: t\ndescription: {}\nlong_entry: close > 0\n",
        "x".repeat(MAX_FILE_BYTES)
    );
    assert!(errors(&big)[0].contains("at most 65536"), "{:?}", errors(&big));
    // 64 KiB of parentheses, of minus signs and of `not`: an error, never a stack overflow.
    for (open, close) in [("(", ")"), ("-", ""), ("not ", "")] {
        let depth = (MAX_FILE_BYTES - 100) / (open.len() + close.len());
        let expression = format!("{}close{}", open.repeat(depth), close.repeat(depth));
        let source = format!("name: t\nlong_entry: {expression} > 0\n");
        let start = std::time::Instant::now();
        let e = errors(&source[..source.len().min(MAX_FILE_BYTES)]);
        assert!(e[0].contains("nests deeper than 64"), "{open}: {e:?}");
        assert!(start.elapsed().as_secs() < 5);
    }
    let deep_ok = format!("name: t\nlong_entry: {}close{} > 0\n", "(".repeat(60), ")".repeat(60));
    assert_eq!(errors(&deep_ok), Vec::<String>::new());
    let many = format!("name: t\nlong_entry: close > 0{}\n", " + 1".repeat(6000));
    assert!(
        errors(&many)[0].contains("expression nodes; at most 10000"),
        "{:?}",
        errors(&many)
    );
}

fn hash(source: &str) -> String {
    compile(source).unwrap().hash
}

#[test]
fn formatting_never_changes_the_hash_and_meaning_always_does() {
    let plain = "name: x\nparams:\n  n: {type: int, default: 14, min: 2, max: 50}\n  k: {type: float, default: 2, min: 1, max: 3}\nlet:\n  b: bbands(close, n, k)\nlong_entry: close < b.lower and rsi(close, n) < 30\nlong_exit: close > b.middle\n";
    let reformatted = "# a comment\nlong_exit:   close>b.middle   # another\nname:   x\nlet: {b: \"bbands( close , n , k )\"}\nparams:\n  k: {max: 3, min: 1.0, default: 2.0, type: float}\n  n:\n    type: int\n    default: 14\n    min: 2\n    max: 50\nlong_entry: >-\n  ((close < b.lower))\n  and rsi(close, n) < 3e1\nshort_exit: false\n";
    assert_eq!(hash(plain), hash(reformatted));
    for changed in [
        plain.replace("< 30", "< 31"),
        plain.replace("default: 14", "default: 15"),
        plain.replace("close > b.middle", "close >= b.middle"),
        plain.replace("bbands(close, n, k)", "bbands(open, n, k)"),
        format!("{plain}short_entry: close > b.upper\n"),
    ] {
        assert_ne!(hash(plain), hash(&changed), "{changed}");
    }
}

fn market(closes: &[f64]) -> Indicators {
    let candles = crate::Candles {
        open_time: (0..closes.len() as i64).map(|i| i * 3_600_000).collect(),
        open: closes.to_vec(),
        high: closes.iter().map(|c| c + 1.0).collect(),
        low: closes.iter().map(|c| c - 1.0).collect(),
        close: closes.to_vec(),
        volume: vec![1.0; closes.len()],
    };
    Indicators::of_candles(&candles, Timeframe::H1)
}

#[test]
fn no_value_yet_is_nan_and_every_comparison_with_it_is_false() {
    let ind = market(&[1.0, 2.0, 3.0, 2.0, 1.0]);
    let at = |e: &str| evaluate(e, &ind).unwrap();
    let nan_eq = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| x == y || x.is_nan() && y.is_nan());
    assert!(nan_eq(&at("close[2]"), &[f64::NAN, f64::NAN, 1.0, 2.0, 3.0]));
    assert!(nan_eq(&at("change(close, 1)"), &[f64::NAN, 1.0, 1.0, -1.0, -1.0]));
    assert_eq!(at("close[2] < 100"), [0.0, 0.0, 1.0, 1.0, 1.0]);
    assert_eq!(at("close[2] != 100"), [0.0, 0.0, 1.0, 1.0, 1.0]);
    assert_eq!(at("not (close[2] > 100)"), [1.0, 1.0, 1.0, 1.0, 1.0]);
    assert!(nan_eq(
        &at("if(close > 1, close[3], 0)"),
        &[0.0, f64::NAN, f64::NAN, 1.0, 0.0]
    ));
    // `crossover(a, b)`: a > b now and a[1] <= b[1]; false where either lacks a value.
    assert_eq!(at("crossover(close, 1.5)"), [0.0, 1.0, 0.0, 0.0, 0.0]);
    assert_eq!(at("crossunder(close, 2.5)"), [0.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(at("crossover(sma(close, 2), 1.6)"), [0.0, 0.0, 1.0, 0.0, 0.0]);
    assert!(nan_eq(
        &at("sign(close - 2) + abs(-2) * max(1, 3) % 4"),
        &[1.0, 2.0, 3.0, 2.0, 1.0]
    ));
    // An SMA of the close (kept as the built-ins keep it) against one config's own series.
    assert_eq!(at("close * 1 <= sma(close, 2)"), [0.0, 0.0, 0.0, 1.0, 1.0]);
    assert_eq!(at("crossunder(close + 0, sma(close, 2))"), [0.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(at("hour"), [0.0, 1.0, 2.0, 3.0, 4.0]);
    assert_eq!(at("weekday"), [3.0; 5]); // 1970-01-01 was a Thursday
    assert_eq!(at("hl2 == close and hlc3 == close and ohlc4 == close"), [1.0; 5]);
}

#[test]
fn positions_follow_the_spec_rules() {
    let ind = market(&[1.0, 5.0, 1.0, 5.0, 5.0, 1.0, 1.0]);
    let run = |rules: &str, allow_short: bool| {
        let definition = Defined::from(compile(&format!("name: t\n{rules}")).unwrap());
        let (values, _) = strategy::validate_params(&definition, &Map::new()).unwrap();
        let mut out = vec![9; ind.len()];
        definition.targets(&values, &ind, allow_short, &mut out);
        out
    };
    // An exit and the opposite entry on one candle are one reversal.
    let rules = "long_entry: close > 3\nlong_exit: close < 3\nshort_entry: close < 3\nshort_exit: close > 3\n";
    assert_eq!(run(rules, true), [-1, 1, -1, 1, 1, -1, -1]);
    assert_eq!(run(rules, false), [0, 1, 0, 1, 1, 0, 0]);
    // An exit and a re-entry in the same direction cancel: the position is kept.
    assert_eq!(run("long_entry: true\nlong_exit: close > 3\n", false), [1; 7]);
    // Without exits, a position never leaves.
    assert_eq!(run("long_entry: close > 3\n", false), [0, 1, 1, 1, 1, 1, 1]);
}

#[test]
fn params_are_checked_against_the_functions_they_feed() {
    let source = "name: t\nparams:\n  n: {type: int, default: 14, min: 1, max: 50}\n  ma: {type: choice, default: ema, values: [ema, kama]}\nconstraints: [n >= 2, n != 7]\nlong_entry: rsi(close, n) < 30 and ma(close, n) > 0\n";
    let defined = define(source).unwrap();
    let check = |params: Value| {
        strategy::validate_params(defined, params.as_object().unwrap())
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert_eq!(check(serde_json::json!({"n": 14, "ma": "kama"})), Ok(()));
    assert_eq!(
        check(serde_json::json!({"n": 1, "ma": "ema"})).unwrap_err(),
        "strategy `t`, parameter `n`: n (1) must be >= 2"
    );
    assert_eq!(
        check(serde_json::json!({"n": 7, "ma": "ema"})).unwrap_err(),
        "strategy `t`, parameter `n`: n (7) must be != 7"
    );
    assert_eq!(
        check(serde_json::json!({"n": 3, "ma": "wma"})).unwrap_err(),
        "strategy `t`, parameter `ma`: expected one of ema, kama, got \"wma\""
    );
    // The definition's own bounds allow 1, but `rsi` needs 2: named with both.
    let loose = define(&source.replace("constraints: [n >= 2, n != 7]\n", "")).unwrap();
    let e =
        strategy::validate_params(loose, serde_json::json!({"n": 1, "ma": "ema"}).as_object().unwrap()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "strategy `t`, parameter `n`: 1 is outside the `rsi` period's bounds [2, 100000]"
    );
}

#[test]
fn a_definition_is_kept_once_and_found_by_hash_and_name() {
    let source = "name: kept_once\nlong_entry: close > open\n";
    let a = define(source).unwrap();
    let b = define(&format!("# same meaning\n{source}")).unwrap();
    assert!(std::ptr::eq(a, b));
    assert!(std::ptr::eq(defined(a.hash()).unwrap(), a));
    assert!(std::ptr::eq(defined_named("kept_once").unwrap(), a));
    let newer = define("name: kept_once\nlong_entry: close < open\n").unwrap();
    assert!(std::ptr::eq(defined_named("kept_once").unwrap(), newer));
    assert!(std::ptr::eq(defined(a.hash()).unwrap(), a));
}

#[test]
fn every_shipped_definition_is_embedded_and_compiles() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/strategies");
    let mut files: Vec<String> = Vec::new();
    for sub in ["", "builtins/"] {
        for entry in std::fs::read_dir(format!("{folder}/{sub}")).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".yaml") {
                files.push(format!("{sub}{name}"));
            }
        }
    }
    files.sort();
    let mut embedded: Vec<String> = EXAMPLES.iter().map(|(f, _)| (*f).to_owned()).collect();
    embedded.sort();
    assert_eq!(files, embedded);
    for (file, source) in EXAMPLES {
        let definition = compile(source).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(definition.catalog_entry()["definition"], definition.hash.as_str());
    }
}

/// 15m candles from midnight UTC: candle i opens at i x 15 minutes and closes at `closes[i]`.
fn quarter_hours(closes: &[f64]) -> Indicators {
    let candles = crate::Candles {
        open_time: (0..closes.len() as i64).map(|i| i * 900_000).collect(),
        open: closes.to_vec(),
        high: closes.iter().map(|c| c + 0.5).collect(),
        low: closes.iter().map(|c| c - 0.5).collect(),
        close: closes.to_vec(),
        volume: vec![1.0; closes.len()],
    };
    Indicators::of_candles(&candles, Timeframe::M15)
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y || x.is_nan() && y.is_nan())
}

#[test]
fn a_higher_timeframe_reads_its_last_closed_candle() {
    // Three days of 15m candles, each closing at its own index.
    let closes: Vec<f64> = (0..288).map(f64::from).collect();
    let ind = quarter_hours(&closes);
    let at = |e: &str| evaluate(e, &ind).unwrap();
    let close_4h = at("close@4h");
    // The candle opening at 10:00 closes at 10:15: the 4h candle of 04:00-08:00 is the last
    // closed (its close is the 07:45 candle's, index 31), never the 08:00 one still forming.
    assert_eq!(close_4h[40], 31.0);
    // The 08:00 candle closes with the 11:45 candle (index 47), and is read from its close.
    assert_eq!(close_4h[46], 31.0);
    assert_eq!(close_4h[47], 47.0);
    // Nothing before the first 4h candle closes at 04:00 (with the 03:45 candle).
    assert!(close_4h[14].is_nan());
    assert_eq!(close_4h[15], 15.0);
    // `x@4h[1]` is the 4h candle before the last closed; the 4h high is the bucket's max.
    assert_eq!(at("close@4h[1]")[47], 31.0);
    assert_eq!(at("high@4h")[47], 47.5);
    assert_eq!(at("low@4h")[47], 31.5);
    // An indicator at 4h runs over 4h candles: `sma(close, 2)@4h` and `sma(close@4h, 2)`
    // are one series, the mean of the last two closed 4h closes.
    assert_eq!(at("sma(close@4h, 2)")[47], (31.0 + 47.0) / 2.0);
    assert!(same(&at("sma(close, 2)@4h"), &at("sma(close@4h, 2)")));
    assert!(same(&at("(close > open)@4h"), &at("close@4h > open@4h")));
    // A day closes with the 23:45 candle (index 95).
    let close_1d = at("close@1d");
    assert!(close_1d[94].is_nan());
    assert_eq!(close_1d[95], 95.0);
    assert_eq!(close_1d[200], 191.0);
    // Timeframes meet at the smaller: 1d at 4h, then at the market's own 15m.
    assert_eq!(at("close@4h - close@1d")[200], 191.0 - 191.0);
    assert_eq!(at("close@4h - close@1d")[208], 207.0 - 191.0);
    assert_eq!(at("close - close@4h")[40], 40.0 - 31.0);
    // A bool at 4h holds over the 15m candles until the next 4h candle closes.
    let rising = at("crossover(close@4h, 40)");
    assert_eq!(rising[46..=64], [&[0.0][..], &[1.0; 16], &[0.0; 2]].concat());
}

#[test]
fn a_let_read_at_a_timeframe_is_computed_there() {
    let closes: Vec<f64> = (0..288).map(|i| f64::from(i % 37) + f64::from(i) / 10.0).collect();
    let ind = quarter_hours(&closes);
    let source = "name: htf\nlet:\n  trend: ema(close, 3)\n  up: close > trend\nlong_entry: up@4h and close > trend\n";
    let definition = compile(source).unwrap();
    let inline = compile("name: htf\nlong_entry: close@4h > ema(close@4h, 3) and close > ema(close, 3)\n").unwrap();
    let run = |d: Definition| {
        let defined = Defined::from(d);
        let (values, _) = strategy::validate_params(&defined, &Map::new()).unwrap();
        let mut out = vec![9; ind.len()];
        defined.targets(&values, &ind, false, &mut out);
        out
    };
    let targets = run(definition);
    assert!(targets.contains(&1) && targets.contains(&0));
    assert_eq!(targets, run(inline));
}

#[test]
fn timeframes_are_part_of_the_identity_and_checked() {
    let hash = |s: &str| compile(s).unwrap().hash;
    let base = "name: t\nlong_entry: close > ema(close@4h, 20)\n";
    assert_eq!(hash(base), hash("name: t\nlong_entry: close > ema(close @4h, 20)\n"));
    assert_ne!(hash(base), hash(&base.replace("@4h", "@1d")));
    assert_ne!(hash(base), hash(&base.replace("@4h", "")));
    let error = compile("name: t\nlong_entry: close > close@7m\n").unwrap_err();
    assert!(
        error[0].message.contains("unknown timeframe `7m`"),
        "{}",
        error[0].message
    );
    assert_eq!((error[0].line, error[0].column), (2, 27));
    let error = compile("name: t\nlong_entry: close > close@\n").unwrap_err();
    assert!(error[0].message.contains("a timeframe"), "{}", error[0].message);
    let definition = compile(base).unwrap();
    assert!(definition.check_timeframe(Timeframe::M15).is_ok());
    assert!(definition.check_timeframe(Timeframe::H4).is_ok());
    let refused = definition.check_timeframe(Timeframe::D1).unwrap_err();
    assert!(refused.contains("`@4h`") && refused.contains("1d candles"), "{refused}");
    let odd = compile("name: t\nlong_entry: close > close@8h\n").unwrap();
    assert!(odd.check_timeframe(Timeframe::H6).is_err());
    // On a chart of 1d candles an expression at 4h is an error, not a panic.
    let daily = crate::Candles {
        open_time: (0..5).map(|i| i * 86_400_000).collect(),
        open: vec![1.0; 5],
        high: vec![1.0; 5],
        low: vec![1.0; 5],
        close: vec![1.0; 5],
        volume: vec![1.0; 5],
    };
    let daily = Indicators::of_candles(&daily, Timeframe::D1);
    assert!(evaluate("close@4h", &daily).is_err());
    assert_eq!(evaluate("close@1d", &daily).unwrap(), vec![1.0; 5]);
}

mod no_look_ahead {
    use super::*;
    use proptest::prelude::*;

    const EXPRESSIONS: [&str; 6] = [
        "close@4h",
        "ema(close@1d, 3)",
        "high@4h - low@4h[1]",
        "rsi(close, 3)@4h",
        "atr(2)@4h > 3",
        "crossover(close@4h, sma(close@1d, 2))",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Changing base candle k changes no higher-timeframe value before the candle of that
        /// timeframe holding k has closed.
        #[test]
        fn changing_a_candle_changes_nothing_before_its_higher_candle_closes(
            closes in proptest::collection::vec(1.0f64..100.0, 200..400),
            k_share in 0.0f64..1.0,
            bump in 1.0f64..50.0,
        ) {
            let k = (k_share * (closes.len() - 1) as f64) as usize;
            let mut changed = closes.clone();
            changed[k] += bump;
            let (before, after) = (quarter_hours(&closes), quarter_hours(&changed));
            for expression in EXPRESSIONS {
                // The shortest higher timeframe in the expression is the first to see k.
                let bucket = if expression.contains("@4h") { 14_400_000 } else { 86_400_000 };
                // The 15m candles closing before k's higher candle does.
                let k_closes_at = (k as i64 * 900_000).div_euclid(bucket) * bucket + bucket;
                let unaffected = (0..closes.len()).take_while(|&i| i as i64 * 900_000 + 900_000 < k_closes_at).count();
                let (a, b) = (evaluate(expression, &before).unwrap(), evaluate(expression, &after).unwrap());
                prop_assert!(same(&a[..unaffected], &b[..unaffected]), "{expression}: k = {k}");
            }
        }
    }
}
