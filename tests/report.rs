//! The self-contained report: what it holds, that it escapes what users wrote, that it
//! stays small for a year of 15-minute candles, and that it is the same bytes every time.

mod common;

use btlab::Market;
use btlab::report::{Evidence, SweepEvidence, SweepPbo, experiment_report, render};
use btlab::robustness::{MonteCarloOptions, monte_carlo, trade_returns};
use common::{DATA_15M, load, sma_config};

fn year_report(evidence: &Evidence) -> (btlab::BacktestResult, String) {
    let series = load(DATA_15M);
    let valid = sma_config(12, 48).validate().unwrap();
    let market = Market::for_config(&series, &valid.config).unwrap();
    let result = market.run(&valid, btlab::Detail::FULL, &mut Vec::new());
    (result, experiment_report(&market, &valid, evidence))
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn a_year_of_15m_candles_reports_every_section_in_under_2_mb() {
    let evidence = Evidence {
        experiment: Some(7),
        trial_sharpes: vec![0.1, -0.3, 0.5, 1.2],
        sweep: Some(SweepEvidence {
            id: 3,
            configs: 4,
            pbo: Ok(SweepPbo {
                pbo: 0.25,
                probability_of_loss: 0.5,
                combinations: 70,
            }),
        }),
        ..Evidence::default()
    };
    let (result, html) = year_report(&evidence);
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    assert!(result.trades.len() > 100, "a real trade list: {}", result.trades.len());
    for id in ["equity-chart", "drawdown-chart", "monte-carlo-chart"] {
        assert_eq!(count(&html, &format!("<svg id=\"{id}\"")), 1, "{id}");
    }
    assert!(html.contains(&result.config_hash) && html.contains(&result.data_fingerprint));
    assert!(html.contains("experiment #7"));
    // every trade listed, one row each, with its exit reason
    assert_eq!(
        count(&html, "<td>signal</td>") + count(&html, "<td>end</td>"),
        result.trades.len()
    );
    // the series' eleven months of 2025 (to 2025-11-09), each a cell with a figure
    let monthly = &html[html.find("<table class=\"monthly\">").unwrap()..];
    let monthly = &monthly[..monthly.find("</table>").unwrap()];
    assert_eq!(count(monthly, "<tr>"), 2, "a header and 2025");
    assert_eq!(count(monthly, "<td style="), 12, "11 months and the year");
    assert!(html.contains("4 configs tried"), "the trial count");
    assert!(html.contains("0.2500 (sweep 3, 4 configs, 70 combinations"), "the PBO");
    let mc = monte_carlo(&trade_returns(&result.trades), &MonteCarloOptions::default()).unwrap();
    let p50 = format!("{:.2}%", mc.shuffle.max_drawdown.p50 * 100.0);
    assert!(html.contains(&p50), "the Monte Carlo median drawdown {p50}");
    // no script, nothing fetched: the policy forbids both
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
    assert!(html.contains("default-src 'none'"));
}

#[test]
fn the_same_experiment_gives_the_same_bytes() {
    let evidence = Evidence::default();
    assert_eq!(year_report(&evidence).1, year_report(&evidence).1);
}

#[test]
fn every_user_string_is_escaped() {
    let (mut result, _) = year_report(&Evidence::default());
    result.config.symbol = "<script>alert('symbol')</script>".into();
    result
        .config
        .params
        .insert("note".into(), "\"><img src=x onerror=alert(1)>".into());
    let evidence = Evidence {
        definition_source: Some("name: x</pre><script>alert('source')</script>\n# & more".into()),
        sweep: Some(SweepEvidence {
            id: 1,
            configs: 2,
            pbo: Err("<b>too few</b> periods".into()),
        }),
        ..Evidence::default()
    };
    let html = render(&result, &Err("<i>no trades</i>".into()), None, &evidence);
    for raw in ["<script", "<img", "<b>too", "<i>no", "</pre><script"] {
        assert!(!html.contains(raw), "{raw} left unescaped");
    }
    assert!(html.contains("&lt;script&gt;alert('symbol')&lt;/script&gt;"));
    assert!(html.contains("&lt;/pre&gt;&lt;script&gt;alert('source')") && html.contains("&amp; more"));
    assert!(html.contains("&lt;b&gt;too few&lt;/b&gt; periods") && html.contains("&lt;i&gt;no trades&lt;/i&gt;"));
}

#[test]
fn a_result_without_trades_says_so_and_still_draws_equity() {
    let series = load(DATA_15M);
    // a slow average longer than the range never forms: no trade
    let mut config = sma_config(10, 20);
    config.end = btlab::Timestamp::parse("2025-01-02").unwrap();
    config.params.insert("slow_period".into(), 190.into());
    let valid = config.validate().unwrap();
    let market = Market::for_config(&series, &valid.config).unwrap();
    let html = experiment_report(&market, &valid, &Evidence::default());
    assert!(
        html.contains("Trades (0)") && html.contains("<p class=\"empty\">no trades</p>"),
        "the trades section"
    );
    assert!(html.contains("has no trades to resample"), "the Monte Carlo section");
    assert!(html.contains("not known (no trials stored"));
    assert!(html.contains("not known (the config is in no sweep"));
    assert!(html.contains("<svg id=\"equity-chart\""));
}

#[test]
fn a_full_year_of_15m_candles_with_thousands_of_trades_stays_under_2_mb() {
    let (start, end) = (
        btlab::Timestamp::parse("2024-01-01").unwrap(),
        btlab::Timestamp::parse("2025-01-01").unwrap(),
    );
    let series =
        btlab::synthetic::generate(btlab::Timeframe::M15, start.0, end.0, btlab::synthetic::DEFAULT_SEED).unwrap();
    let mut config = sma_config(3, 8);
    (config.symbol, config.start, config.end) = (btlab::synthetic::SYMBOL.into(), start, end);
    let valid = config.validate().unwrap();
    let market = Market::for_config(&series, &valid.config).unwrap();
    let trades = market.run(&valid, btlab::Detail::FULL, &mut Vec::new()).trades.len();
    let html = experiment_report(&market, &valid, &Evidence::default());
    assert!(trades > 2000, "a trade-heavy year: {trades} trades");
    assert!(html.len() < 2_000_000, "{} bytes for {trades} trades", html.len());
    let monthly = &html[html.find("<table class=\"monthly\">").unwrap()..];
    assert_eq!(
        count(&monthly[..monthly.find("</table>").unwrap()], "<td style="),
        13,
        "12 months and the year"
    );
}
