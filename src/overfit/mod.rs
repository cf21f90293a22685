//! How much of a sweep's winner is luck: the deflated Sharpe ratio of the best of many
//! trials. Pure functions of returns and trial statistics, shown the same by every face.

mod deflated_sharpe;
mod moments;

pub use deflated_sharpe::{DeflatedSharpe, TrialSharpes, deflated_sharpe, expected_max_sharpe};
pub use moments::Moments;
