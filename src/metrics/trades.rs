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
        let (mut winning, mut gross_profit, mut gross_loss) = (0u32, 0.0, 0.0);
        for t in trades {
            if t.pnl > 0.0 {
                winning += 1;
                gross_profit += t.pnl;
            } else {
                gross_loss -= t.pnl;
            }
        }
        let total = trades.len() as u32;
        let losing = total - winning;
        let mean = |sum: f64, n: u32| if n == 0 { 0.0 } else { sum / f64::from(n) };
        Self {
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
