//! One config across the markets it ran on (`btlab experiments markets`, the page's "Across
//! markets" view): a config that wins on one symbol and one year is the textbook overfit,
//! so configs rank by their worst market first.
//!
//! A config here is everything of a backtest but its market: strategy, definition, params,
//! order fields, costs, range. Two experiments of it differ in `symbol` or `timeframe`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::metrics::Metric;

/// One experiment as the ranking reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketFigure {
    pub symbol: String,
    pub timeframe: String,
    pub config_hash: String,
    /// The ranked metric; `None` where it is null (a profit factor without a loss is
    /// infinite, not null).
    pub value: Option<f64>,
    pub total_return: f64,
    /// `None` in an experiment stored before the report.
    pub buy_hold_return: Option<f64>,
}

impl MarketFigure {
    /// Whether the strategy returned more than holding the market over the same candles.
    pub fn beats_buy_hold(&self) -> bool {
        self.buy_hold_return.is_some_and(|b| self.total_return > b)
    }
}

/// A config and its figure on each market, ranked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigAcrossMarkets {
    pub strategy: String,
    pub params: Map<String, Value>,
    /// The order fields (canonical JSON object), empty when none is set.
    pub orders: Map<String, Value>,
    /// In the order the markets were first stored.
    pub markets: Vec<MarketFigure>,
    /// The worst value over the markets (the lowest, or the highest for a metric better
    /// smaller), `None` if every value is null.
    pub worst: Option<f64>,
    /// The median of the non-null values (the mean of the two middle ones for an even count).
    pub median: Option<f64>,
    /// Markets where the config's return beat buy and hold's.
    pub beat_buy_hold: usize,
}

/// The key that makes experiments one config, and its figure on one market.
pub struct Row {
    pub key: String,
    pub strategy: String,
    pub params: Map<String, Value>,
    pub orders: Map<String, Value>,
    pub figure: MarketFigure,
}

/// The configs of `rows` that ran on at least `min_markets` markets (default: as many as
/// the most any config ran on), best first: by the worst market's value, then the median,
/// then the markets beating buy and hold; ties keep the order of first appearance.
pub fn rank(rows: Vec<Row>, metric: Metric, min_markets: Option<usize>) -> Vec<ConfigAcrossMarkets> {
    let mut configs: Vec<ConfigAcrossMarkets> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for row in rows {
        let at = *index.entry(row.key).or_insert_with(|| {
            configs.push(ConfigAcrossMarkets {
                strategy: row.strategy,
                params: row.params,
                orders: row.orders,
                markets: Vec::new(),
                worst: None,
                median: None,
                beat_buy_hold: 0,
            });
            configs.len() - 1
        });
        configs[at].markets.push(row.figure);
    }
    let least = min_markets.unwrap_or_else(|| configs.iter().map(|c| c.markets.len()).max().unwrap_or(0));
    configs.retain(|c| c.markets.len() >= least);
    for config in &mut configs {
        // Oriented so that higher is better: the worst is the least.
        let mut values: Vec<f64> = config
            .markets
            .iter()
            // A null profit factor is one without a loss: the best there is.
            .filter_map(|m| m.value.or((metric == Metric::ProfitFactor).then_some(f64::INFINITY)))
            .map(|v| metric.oriented(v))
            .collect();
        values.sort_by(f64::total_cmp);
        config.worst = values.first().map(|&v| metric.oriented(v));
        config.median = median(&values).map(|v| metric.oriented(v));
        config.beat_buy_hold = config.markets.iter().filter(|m| m.beats_buy_hold()).count();
    }
    let key = |c: &ConfigAcrossMarkets| {
        (
            c.worst.map_or(f64::NEG_INFINITY, |v| metric.oriented(v)),
            c.median.map_or(f64::NEG_INFINITY, |v| metric.oriented(v)),
            c.beat_buy_hold,
        )
    };
    configs.sort_by(|a, b| {
        let (a, b) = (key(a), key(b));
        b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)).then(b.2.cmp(&a.2))
    });
    configs
}

/// The median of sorted values.
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, market: &str, value: Option<f64>, total_return: f64, buy_hold: Option<f64>) -> Row {
        let (symbol, timeframe) = market.split_once('@').unwrap();
        Row {
            key: key.into(),
            strategy: "sma".into(),
            params: serde_json::from_str(&format!(r#"{{"name": "{key}"}}"#)).unwrap(),
            orders: Map::new(),
            figure: MarketFigure {
                symbol: symbol.into(),
                timeframe: timeframe.into(),
                config_hash: format!("{key}-{market}"),
                value,
                total_return,
                buy_hold_return: buy_hold,
            },
        }
    }

    fn names(ranked: &[ConfigAcrossMarkets]) -> Vec<&str> {
        ranked.iter().map(|c| c.params["name"].as_str().unwrap()).collect()
    }

    #[test]
    fn configs_rank_by_their_worst_market_then_median_then_buy_and_hold() {
        let rows = vec![
            // a: great on one market, poor on another.
            row("a", "BTC@1h", Some(3.0), 0.5, Some(0.1)),
            row("a", "ETH@1h", Some(-1.0), -0.2, Some(0.1)),
            row("a", "SOL@1h", Some(2.0), 0.3, Some(0.1)),
            // b: steady.
            row("b", "BTC@1h", Some(0.5), 0.05, Some(0.1)),
            row("b", "ETH@1h", Some(0.4), 0.2, Some(0.1)),
            row("b", "SOL@1h", Some(0.6), 0.3, Some(0.1)),
            // c: as b at its worst, lower median.
            row("c", "BTC@1h", Some(0.4), 0.0, None),
            row("c", "ETH@1h", Some(0.4), 0.0, None),
            row("c", "SOL@1h", Some(0.45), 0.0, None),
            // d: one market only.
            row("d", "BTC@1h", Some(9.0), 1.0, Some(0.1)),
        ];
        let ranked = rank(rows, Metric::SharpeRatio, None);
        assert_eq!(names(&ranked), ["b", "c", "a"]);
        assert_eq!(ranked[0].worst, Some(0.4));
        assert_eq!(ranked[0].median, Some(0.5));
        assert_eq!(ranked[0].beat_buy_hold, 2);
        assert_eq!(ranked[1].beat_buy_hold, 0, "no buy and hold figure, nothing beaten");
        assert_eq!(ranked[2].worst, Some(-1.0));
        assert_eq!(ranked[2].median, Some(2.0));
        assert_eq!(ranked[2].markets.len(), 3);
        assert_eq!(ranked[2].markets[1].symbol, "ETH");
    }

    #[test]
    fn a_metric_better_smaller_ranks_by_its_highest_value_and_nulls_are_left_out() {
        let rows = vec![
            row("a", "BTC@1h", Some(0.30), 0.0, None),
            row("a", "ETH@1h", Some(0.10), 0.0, None),
            row("b", "BTC@1h", Some(0.20), 0.0, None),
            row("b", "ETH@1h", Some(0.25), 0.0, None),
            row("c", "BTC@1h", None, 0.0, None),
            row("c", "ETH@1h", None, 0.0, None),
            row("e", "BTC@1h", Some(0.05), 0.0, None),
            row("e", "ETH@1h", None, 0.0, None),
        ];
        let ranked = rank(rows, Metric::MaxDrawdown, Some(2));
        assert_eq!(names(&ranked), ["e", "b", "a", "c"]);
        assert_eq!(ranked[1].worst, Some(0.25));
        assert_eq!(ranked[1].median, Some(0.225));
        assert_eq!(ranked[2].worst, Some(0.30));
        assert_eq!((ranked[3].worst, ranked[3].median), (None, None));
        // Asked for, configs of fewer markets come back too.
        let rows = vec![
            row("a", "BTC@1h", Some(1.0), 0.0, None),
            row("a", "ETH@1h", Some(1.0), 0.0, None),
        ];
        assert_eq!(rank(rows, Metric::SharpeRatio, Some(3)).len(), 0);
        assert!(rank(Vec::new(), Metric::SharpeRatio, None).is_empty());
    }
}
