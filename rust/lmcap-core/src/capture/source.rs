//! Byte sources a capture is read from: shared read windows for plain files (frames are handed
//! to decode threads as slices of a window, without a copy per frame) and a bounded, compacting
//! buffer for streams (stdin, gzip, zstd).
//!
//! Both hand out the bytes at the read position through [`ByteSource::fill`] and move on with
//! [`ByteSource::consume`]; a reader never holds more than one record of look-ahead, so memory
//! stays flat however large the capture is.
//!
//! Plain files are read with `read(2)` into windows, not memory-mapped: a mapped file that
//! another process truncates while we read it (a ring-buffer file rewritten, `tcpdump -w`
//! restarted on the same name, a copy still in progress) raises SIGBUS on the next access to a
//! page past the new end, and SIGBUS kills the Python interpreter that hosts lmcap. A read past
//! the end simply returns fewer bytes, which the reader reports as an error naming the file and
//! the offset. The cost is one copy of each byte from the page cache, measured in
//! docs/performance.md.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

/// The largest single record or block a reader accepts. Real frames stop at 256 KiB (BIG TCP
/// super-segments); anything past this is a lying length field, and refusing it keeps a stream
/// buffer from growing without bound.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// Bytes read from a plain file per `read` window: large enough that the syscall cost is lost in
/// the copy, small enough that the windows still referenced by chunks in flight stay a few tens
/// of MB.
const WINDOW_BYTES: usize = 8 << 20;

/// Windows kept for reuse once no chunk refers to them any more: a fresh 8 MiB allocation costs
/// a page fault on every page, a reused one does not (jumbo frames, 2 threads: 2.2 GB/s with 4
/// spares, 3.3 GB/s with 32). Chunks in flight hold up to ~20 windows; the pool holds those
/// and a few free ones, never more than this many.
const SPARE_WINDOWS: usize = 32;

/// A run of a file's bytes, shared by the reader and the decode threads that read frames in it.
pub type Window = Arc<Vec<u8>>;

pub enum ByteSource {
    File(FileSource),
    Stream(StreamSource),
}

impl ByteSource {
    /// Bytes from the read position: at least `n` of them unless the source ends first.
    #[inline]
    pub fn fill(&mut self, n: usize) -> io::Result<&[u8]> {
        match self {
            ByteSource::File(f) => f.fill(n),
            ByteSource::Stream(s) => s.fill(n),
        }
    }

    #[inline]
    pub fn consume(&mut self, n: usize) {
        match self {
            ByteSource::File(f) => f.consume(n),
            ByteSource::Stream(s) => s.consume(n),
        }
    }

    /// Offset of the read position from the start of the (uncompressed) stream.
    #[inline]
    pub fn position(&self) -> u64 {
        match self {
            ByteSource::File(f) => f.base + f.pos as u64,
            ByteSource::Stream(s) => s.position,
        }
    }

    /// The current window and the read position in it, for readers that hand frames to other
    /// threads without copying them.
    #[inline]
    pub fn window(&self) -> Option<(&Window, usize)> {
        match self {
            ByteSource::File(f) => Some((&f.window, f.pos)),
            ByteSource::Stream(_) => None,
        }
    }

    /// When the file ended before the length it had when it was opened: the file was truncated
    /// or rewritten while being read.
    pub fn shrunk(&self) -> Option<Shrunk> {
        match self {
            ByteSource::File(f) => f.shrunk,
            ByteSource::Stream(_) => None,
        }
    }
}

/// A plain file read window by window.
pub struct FileSource {
    file: File,
    /// The file's bytes from offset `base`; the file's read cursor is at `base + window.len()`.
    window: Window,
    base: u64,
    /// Read position inside `window`.
    pos: usize,
    /// The file returned end-of-file: nothing follows `window`.
    eof: bool,
    len_at_open: u64,
    shrunk: Option<Shrunk>,
    spare: Vec<Window>,
}

/// A file that ended before the length it had when it was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shrunk {
    pub len_at_open: u64,
    /// Where reading met the end of the file.
    pub ended_at: u64,
    /// The file's length then (None if it could not be read).
    pub len_now: Option<u64>,
}

impl FileSource {
    pub fn open(file: File) -> io::Result<Self> {
        let len_at_open = file.metadata()?.len();
        Ok(FileSource {
            file,
            window: Arc::new(Vec::new()),
            base: 0,
            pos: 0,
            eof: false,
            len_at_open,
            shrunk: None,
            spare: Vec::new(),
        })
    }

    #[inline]
    fn fill(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.window.len() - self.pos < n && !self.eof {
            self.next_window(n)?;
        }
        let end = self.pos.saturating_add(n).min(self.window.len());
        Ok(&self.window[self.pos..end])
    }

    /// Start a new window at the read position holding at least `n` bytes (unless the file ends
    /// first): the unread tail of the current window is carried over, the rest read from the
    /// file.
    #[cold]
    fn next_window(&mut self, n: usize) -> io::Result<()> {
        let want = n.max(WINDOW_BYTES);
        let mut next = self.spare_buffer(want);
        next.extend_from_slice(&self.window[self.pos..]);
        while next.len() < want {
            let room = (want - next.len()) as u64;
            match (&self.file).take(room).read_to_end(&mut next) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.base += self.pos as u64;
        self.pos = 0;
        let old = std::mem::replace(&mut self.window, Arc::new(next));
        if self.spare.len() < SPARE_WINDOWS {
            self.spare.push(old);
        }
        let end = self.base + self.window.len() as u64;
        if self.eof && end < self.len_at_open {
            self.shrunk = Some(Shrunk {
                len_at_open: self.len_at_open,
                ended_at: end,
                len_now: self.file.metadata().ok().map(|m| m.len()),
            });
        }
        Ok(())
    }

    /// An empty buffer with room for `want` bytes: a spare window no chunk refers to any more
    /// when there is one, else a new allocation.
    fn spare_buffer(&mut self, want: usize) -> Vec<u8> {
        if let Some(i) = self.spare.iter().position(|w| Arc::strong_count(w) == 1) {
            let w = self.spare.swap_remove(i);
            if let Ok(mut v) = Arc::try_unwrap(w) {
                v.clear();
                v.reserve(want);
                return v;
            }
        }
        Vec::with_capacity(want)
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.window.len());
    }
}

pub struct StreamSource {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    position: u64,
}

impl StreamSource {
    pub fn new(reader: Box<dyn Read + Send>) -> Self {
        StreamSource {
            reader,
            buf: vec![0; 1 << 20],
            start: 0,
            end: 0,
            eof: false,
            position: 0,
        }
    }

    fn fill(&mut self, n: usize) -> io::Result<&[u8]> {
        let n = n.min(MAX_RECORD_BYTES + 64);
        if self.end - self.start < n && !self.eof {
            if self.start + n > self.buf.len() {
                // Compact, then grow only as far as one record needs.
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if n > self.buf.len() {
                    self.buf.resize(n.next_power_of_two(), 0);
                }
            }
            while self.end - self.start < n {
                match self.reader.read(&mut self.buf[self.end..]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(k) => self.end += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        let avail = (self.end - self.start).min(n);
        Ok(&self.buf[self.start..self.start + avail])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.position += n as u64;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }
}
