//! lmcap-core: capture readers, protocol decoders and Arrow table builders.
//!
//! Pure Rust with no Python in it: the `lmcap-py` crate wraps it for Python. The pipeline is
//! [`capture`] (pcap/pcapng framing, compression, time-ordered merge) → [`decode`] (a lax
//! layer walker over the zero-copy views in [`wire`]) → [`tables`] (Arrow builders for the
//! schemas declared once in [`tables::schema`]), driven by [`scan::Scanner`].
//!
//! ```no_run
//! let mut scanner = lmcap_core::scan::Scanner::open(&["trace.pcap".into()], 65_536);
//! let frames: usize = scanner.by_ref().map(|b| b.packets.num_rows()).sum();
//! ```

pub mod capture;
pub mod decode;
pub mod error;
pub mod evidence;
pub mod filter;
pub mod flows;
pub mod frame;
pub mod scan;
pub mod stream;
pub mod tables;
pub mod wire;

pub use error::{CaptureError, ErrorKind};
pub use scan::{ScanBatch, Scanner};
