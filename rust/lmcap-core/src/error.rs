//! File-level errors. A frame that cannot be decoded is never an error: it gets a
//! [`crate::decode::StopReason`] in its row. Only what stops a whole file is here, and it always
//! names the file, the byte offset where reading stopped and why.

use std::fmt;
use std::path::PathBuf;

/// Why a capture file could not be read (further).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be opened or read (permission, missing, I/O error).
    Io(String),
    /// The first bytes are neither pcap, pcapng, gzip nor zstd.
    UnknownFormat { magic: [u8; 4] },
    /// A header field holds a value the format does not allow (bad version, bad byte-order magic, ...).
    BadHeader(String),
    /// A record or block says it is longer than the reader accepts or than the file holds.
    BadLength(String),
    /// The file ends inside a header, record or block.
    CutShort(String),
    /// The compressed stream is corrupt.
    Decompress(String),
    /// The file changed while it was being read (it shrank: truncated or rewritten).
    FileChanged(String),
}

/// A capture file that stopped being readable at `offset` (bytes from the start of the
/// uncompressed stream) for `kind`. Frames before `offset` were returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureError {
    pub path: PathBuf,
    pub offset: u64,
    pub kind: ErrorKind,
}

impl ErrorKind {
    /// A stable snake_case name for the kind, used in reports and the `capture_files` table.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Io(_) => "io_error",
            ErrorKind::UnknownFormat { .. } => "unknown_format",
            ErrorKind::BadHeader(_) => "bad_header",
            ErrorKind::BadLength(_) => "bad_length",
            ErrorKind::CutShort(_) => "cut_short",
            ErrorKind::Decompress(_) => "decompress_error",
            ErrorKind::FileChanged(_) => "file_changed",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(m) => write!(f, "I/O error: {m}"),
            ErrorKind::UnknownFormat { magic } => write!(
                f,
                "not a pcap, pcapng, gzip or zstd file (first bytes {:02x}{:02x}{:02x}{:02x})",
                magic[0], magic[1], magic[2], magic[3]
            ),
            ErrorKind::BadHeader(m) => write!(f, "bad header: {m}"),
            ErrorKind::BadLength(m) => write!(f, "bad length: {m}"),
            ErrorKind::CutShort(m) => write!(f, "file cut short: {m}"),
            ErrorKind::Decompress(m) => write!(f, "decompression failed: {m}"),
            ErrorKind::FileChanged(m) => write!(f, "file changed: {m}"),
        }
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: at byte offset {}: {}",
            self.path.display(),
            self.offset,
            self.kind
        )
    }
}

impl std::error::Error for CaptureError {}
