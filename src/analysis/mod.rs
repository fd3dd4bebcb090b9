//! Reading a finished (or running) campaign back: its progress curves, its hall of fame (best
//! program per size), plots of both, and the statistics of comparisons and ablations.

pub mod ablation;
pub mod history;
pub mod pareto;
pub mod plot;
pub mod stats;
