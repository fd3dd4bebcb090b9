//! Reading a finished (or running) campaign back: its progress curves, its hall of fame (best
//! program per size), plots of both, the statistics of comparisons and ablations, and which
//! known algorithms (shipped seed programs) a campaign reached, and the Markdown report that
//! gathers them (`gevo report`).

pub mod ablation;
pub mod history;
pub mod known;
pub mod pareto;
pub mod plot;
pub mod reevaluation;
pub mod report;
pub mod stats;
