use super::HOUR_MS;
use crate::engine::Trade;

/// Trade counts, averages and the per-trade report. A trade wins when its PnL (net of both
/// fees) is above 0; a PnL of exactly 0 counts as a loss, as the spec says. A trade's
/// return is its PnL over its entry notional; its duration runs from entry fill to exit fill.
///
/// Edge cases: no trades give a win rate of 0 and averages of 0; `profit_factor` (gross
/// profit / gross loss) is `None` when the gross loss is 0; the per-trade report is `None`
/// without trades (the streaks 0), `sqn` with fewer than two trades or PnLs all equal,
/// `kelly` without a win or without a loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeStats {
    pub total: u32,
    pub winning: u32,
    pub losing: u32,
    pub win_rate: f64,
    pub profit_factor: Option<f64>,
    pub avg_win: f64,
    pub avg_loss: f64,
    pub best_trade: Option<f64>,
    pub worst_trade: Option<f64>,
    pub expectancy: Option<f64>,
    pub avg_trade_duration_hours: Option<f64>,
    pub max_trade_duration_hours: Option<f64>,
    pub max_consecutive_wins: u32,
    pub max_consecutive_losses: u32,
    pub sqn: Option<f64>,
    pub kelly: Option<f64>,
}

impl TradeStats {
    pub fn from_trades(trades: &[Trade]) -> Self {
        let mut tally = TradeTally::default();
        trades
            .iter()
            .for_each(|t| tally.add(t.pnl, t.units * t.entry_price, t.exit_time - t.entry_time));
        tally.stats()
    }
}

/// The running sums behind [`TradeStats`], fed once per closed trade, so a sweep gets the
/// statistics without keeping the trade list.
#[derive(Debug, Clone, Copy)]
pub struct TradeTally {
    total: u32,
    winning: u32,
    gross_profit: f64,
    gross_loss: f64,
    pnl_squares: f64,
    return_sum: f64,
    best: f64,
    worst: f64,
    duration_sum: i64,
    longest: i64,
    /// The current run: wins above 0, losses below.
    streak: i32,
    max_wins: u32,
    max_losses: u32,
}

impl Default for TradeTally {
    fn default() -> Self {
        Self {
            total: 0,
            winning: 0,
            gross_profit: 0.0,
            gross_loss: 0.0,
            pnl_squares: 0.0,
            return_sum: 0.0,
            best: f64::NEG_INFINITY,
            worst: f64::INFINITY,
            duration_sum: 0,
            longest: 0,
            streak: 0,
            max_wins: 0,
            max_losses: 0,
        }
    }
}

impl TradeTally {
    /// One closed trade: its PnL, entry notional and duration in milliseconds.
    #[inline]
    pub fn add(&mut self, pnl: f64, notional: f64, duration_ms: i64) {
        self.total += 1;
        if pnl > 0.0 {
            self.winning += 1;
            self.gross_profit += pnl;
            self.streak = self.streak.max(0) + 1;
            self.max_wins = self.max_wins.max(self.streak as u32);
        } else {
            self.gross_loss -= pnl;
            self.streak = self.streak.min(0) - 1;
            self.max_losses = self.max_losses.max(self.streak.unsigned_abs());
        }
        self.pnl_squares += pnl * pnl;
        let r = pnl / notional;
        self.return_sum += r;
        self.best = self.best.max(r);
        self.worst = self.worst.min(r);
        self.duration_sum += duration_ms;
        self.longest = self.longest.max(duration_ms);
    }

    pub fn stats(&self) -> TradeStats {
        let Self {
            total,
            winning,
            gross_profit,
            gross_loss,
            ..
        } = *self;
        let losing = total - winning;
        let mean = |sum: f64, n: u32| if n == 0 { 0.0 } else { sum / f64::from(n) };
        let (win_rate, avg_win, avg_loss) = (
            mean(f64::from(winning), total),
            mean(gross_profit, winning),
            0.0 - mean(gross_loss, losing),
        );
        let any = total > 0;
        let n = f64::from(total);
        TradeStats {
            total,
            winning,
            losing,
            win_rate,
            profit_factor: (gross_loss > 0.0).then(|| gross_profit / gross_loss),
            avg_win,
            avg_loss,
            best_trade: any.then_some(self.best),
            worst_trade: any.then_some(self.worst),
            expectancy: any.then(|| self.return_sum / n),
            avg_trade_duration_hours: any.then(|| self.duration_sum as f64 / n / HOUR_MS),
            max_trade_duration_hours: any.then(|| self.longest as f64 / HOUR_MS),
            max_consecutive_wins: self.max_wins,
            max_consecutive_losses: self.max_losses,
            sqn: sqn(total, gross_profit - gross_loss, self.pnl_squares),
            kelly: kelly(win_rate, avg_win, avg_loss),
        }
    }
}

/// System quality number: `sqrt(n) * mean(PnL) / std(PnL, ddof=1)`, from the count, sum and
/// sum of squares of the PnLs. `None` with fewer than two trades or no spread.
pub fn sqn(n: u32, pnl_sum: f64, pnl_squares: f64) -> Option<f64> {
    let count = f64::from(n);
    let variance = (pnl_squares - pnl_sum * (pnl_sum / count)) / (count - 1.0);
    (n >= 2 && variance > 0.0).then(|| count.sqrt() * (pnl_sum / count) / variance.sqrt())
}

/// The Kelly fraction `win_rate - (1 - win_rate) / (avg_win / -avg_loss)`. `None` without a
/// loss (`avg_loss` 0) or without a win (`avg_win` 0).
pub fn kelly(win_rate: f64, avg_win: f64, avg_loss: f64) -> Option<f64> {
    (avg_loss < 0.0 && avg_win > 0.0).then(|| win_rate - (1.0 - win_rate) / (avg_win / -avg_loss))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ExitReason, Side};

    /// A trade of one unit entered at 100, held `hours`.
    fn held(pnl: f64, hours: i64) -> Trade {
        Trade {
            side: Side::Long,
            entry_time: 0,
            entry_price: 100.0,
            exit_time: hours * 3_600_000,
            exit_price: 100.0 + pnl,
            units: 1.0,
            pnl,
            return_pct: 0.0,
            exit_reason: ExitReason::Signal,
        }
    }

    fn trade(pnl: f64) -> Trade {
        held(pnl, 1)
    }

    #[test]
    fn counts_averages_and_edge_cases() {
        let s = TradeStats::from_trades(&[trade(30.0), trade(-10.0), trade(10.0), trade(0.0)]);
        assert_eq!((s.total, s.winning, s.losing), (4, 2, 2));
        assert_eq!(s.win_rate, 0.5);
        assert_eq!(s.profit_factor, Some(4.0));
        assert_eq!((s.avg_win, s.avg_loss), (20.0, -5.0));

        let none = TradeStats::from_trades(&[]);
        assert_eq!(
            (
                none.total,
                none.win_rate,
                none.avg_win,
                none.avg_loss,
                none.profit_factor
            ),
            (0, 0.0, 0.0, 0.0, None)
        );
        assert_eq!(TradeStats::from_trades(&[trade(5.0)]).profit_factor, None);
        assert_eq!(TradeStats::from_trades(&[trade(0.0)]).profit_factor, None);
        assert_eq!(TradeStats::from_trades(&[trade(-0.0)]).avg_loss, 0.0);
    }

    #[test]
    fn the_per_trade_report_by_hand() {
        // Returns on a notional of 100: +20%, -10%, -5%, +10%, +10%, +10%.
        let trades = [
            held(20.0, 2),
            held(-10.0, 4),
            held(-5.0, 1),
            held(10.0, 1),
            held(10.0, 3),
            held(10.0, 1),
        ];
        let s = TradeStats::from_trades(&trades);
        assert_eq!((s.best_trade, s.worst_trade), (Some(0.2), Some(-0.1)));
        assert!((s.expectancy.unwrap() - 0.35 / 6.0).abs() < 1e-15);
        assert_eq!(
            (s.avg_trade_duration_hours, s.max_trade_duration_hours),
            (Some(2.0), Some(4.0))
        );
        assert_eq!((s.max_consecutive_wins, s.max_consecutive_losses), (3, 2));
        // PnLs 20, -10, -5, 10, 10, 10: mean 35/6, sample std from the sum of squares 825.
        let mean = 35.0 / 6.0;
        let std = ((825.0 - 6.0 * mean * mean) / 5.0f64).sqrt();
        assert!((s.sqn.unwrap() - 6f64.sqrt() * mean / std).abs() < 1e-12);
        // win rate 4/6, avg win 12.5, avg loss -7.5: 2/3 - (1/3) / (12.5 / 7.5).
        assert!((s.kelly.unwrap() - (2.0 / 3.0 - (1.0 / 3.0) / (12.5 / 7.5))).abs() < 1e-15);

        let none = TradeStats::from_trades(&[]);
        assert_eq!(
            (none.best_trade, none.expectancy, none.sqn, none.kelly),
            (None, None, None, None)
        );
        assert_eq!((none.max_consecutive_wins, none.max_consecutive_losses), (0, 0));
        let one = TradeStats::from_trades(&[held(5.0, 1)]);
        assert_eq!((one.sqn, one.kelly, one.best_trade), (None, None, Some(0.05)));
        assert_eq!(TradeStats::from_trades(&[trade(5.0), trade(5.0)]).sqn, None);
        assert_eq!(TradeStats::from_trades(&[trade(-5.0), trade(-2.0)]).kelly, None);
    }
}
