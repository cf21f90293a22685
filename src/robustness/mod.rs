//! How much a result can be trusted beyond its one number: the same trades in other orders
//! and draws (Monte Carlo), whether a config sits on a plateau or a spike of its grid
//! (stability scores), and which configs are best when goals conflict (Pareto fronts).
//! Pure functions, shown the same by every face.

pub mod monte_carlo;
pub mod pareto;
pub mod plateau;

pub use monte_carlo::{Bands, MonteCarlo, MonteCarloOptions, Resampled, monte_carlo, trade_returns};
pub use pareto::{dominates, objectives, pareto_front};
pub use plateau::{Stability, stability};
