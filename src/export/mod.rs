//! Exporters of discovered programs, one file per target format.

pub mod dot;
