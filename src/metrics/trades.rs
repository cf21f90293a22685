use crate::engine::Trade;

/// Trade counts and averages. A trade wins when its PnL (net of both fees) is above 0;
/// a PnL of exactly 0 counts as a loss, as the spec says.
///
/// Edge cases: no trades give a win rate of 0 and averages of 0; `profit_factor` (gross
/// profit / gross loss) is `None` when the gross loss is 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeStats {
    pub total: u32,
    pub winning: u32,
    pub losing: u32,
    pub win_rate: f64,
    pub profit_factor: Option<f64>,
    pub avg_win: f64,
    pub avg_loss: f64,
}

impl TradeStats {
    pub fn from_trades(trades: &[Trade]) -> Self {
        let mut tally = TradeTally::default();
        trades.iter().for_each(|t| tally.add(t.pnl));
        tally.stats()
    }
}

/// The running sums behind [`TradeStats`], fed one PnL per closed trade, so a sweep gets
/// the statistics without keeping the trade list.
#[derive(Debug, Clone, Copy, Default)]
pub struct TradeTally {
    total: u32,
    winning: u32,
    gross_profit: f64,
    gross_loss: f64,
}

impl TradeTally {
    #[inline]
    pub fn add(&mut self, pnl: f64) {
        self.total += 1;
        if pnl > 0.0 {
            self.winning += 1;
            self.gross_profit += pnl;
        } else {
            self.gross_loss -= pnl;
        }
    }

    pub fn stats(&self) -> TradeStats {
        let Self {
            total,
            winning,
            gross_profit,
            gross_loss,
        } = *self;
        let losing = total - winning;
        let mean = |sum: f64, n: u32| if n == 0 { 0.0 } else { sum / f64::from(n) };
        TradeStats {
            total,
            winning,
            losing,
            win_rate: mean(f64::from(winning), total),
            profit_factor: (gross_loss > 0.0).then(|| gross_profit / gross_loss),
            avg_win: mean(gross_profit, winning),
            avg_loss: 0.0 - mean(gross_loss, losing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Side;

    fn trade(pnl: f64) -> Trade {
        Trade {
            side: Side::Long,
            entry_time: 0,
            entry_price: 1.0,
            exit_time: 1,
            exit_price: 1.0,
            units: 1.0,
            pnl,
            return_pct: 0.0,
        }
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
}
