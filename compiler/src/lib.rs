//! `spikec`: a compiler for spiking neural networks.
//!
//! This crate holds the front end (`front`: parse, lower), the diagnostics
//! (`diag`), the driver that runs the pipeline (`driver`), the formatter
//! (`fmt`) and the command line (`cli`). The IR lives in `spikec-ir`.

pub mod build_sfq;
pub mod build_spinnaker;
pub mod cli;
pub mod diag;
pub mod diff;
pub mod driver;
pub mod fmt;
pub mod front;
pub mod golden;
pub mod outdir;
pub mod passes;
pub mod sim_out;
