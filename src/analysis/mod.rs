//! Reading a finished (or running) campaign back: its progress curves, its hall of fame (best
//! program per size), and plots of both.

pub mod history;
pub mod pareto;
pub mod plot;
pub mod stats;
