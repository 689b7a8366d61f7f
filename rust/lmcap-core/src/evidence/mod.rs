//! Evidence: compact tables built while the frames pass, at the grain of the questions
//! `lmcap analyze` asks, so its diagnostics read them instead of every packet again. Each is
//! specified by a SQL query over `packets` (in `python/lmcap/queries`) that a test proves it
//! equal to, and each bounds the state it keeps open (see each module).

pub mod claims;
pub mod detail;
pub mod tcp;
pub mod timestamps;
pub mod traffic;
