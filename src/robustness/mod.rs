//! How much a result can be trusted beyond its one number: the same trades in other orders
//! and draws (Monte Carlo). Pure functions of a result, shown the same by every face.

pub mod monte_carlo;

pub use monte_carlo::{Bands, MonteCarlo, MonteCarloOptions, Resampled, monte_carlo, trade_returns};
