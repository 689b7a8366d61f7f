//! Capture containers: reading pcap and pcapng (plain, gzip, zstd, stdin) record by record.
//!
//! Why not the `pcap-parser` crate: lmcap needs the byte offset of every stop, must keep going
//! past what a stricter reader refuses (unknown interfaces, odd link types), reads plain files
//! in shared windows (a frame is not copied per frame) and compressed streams through one bounded buffer; the two formats' framing
//! is ~300 lines here, which is less than the glue around a nom-based reader would be.

pub mod file;
pub mod pcap;
pub mod pcapng;
pub mod source;

pub use file::{Compression, FileInfo, FileReader, Format};
