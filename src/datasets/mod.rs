//! Datasets shipped with gevo (`tasks/data/`), shared by the domains that train networks.

pub mod digits;
