//! Byte sources a capture is read from: a memory map for plain files (zero copy: frame slices
//! point into the page cache) and a bounded, compacting buffer for streams (stdin, gzip, zstd).
//!
//! Both hand out the bytes at the read position through [`ByteSource::fill`] and move on with
//! [`ByteSource::consume`]; a reader never holds more than one record of look-ahead, so memory
//! stays flat however large the capture is.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

use memmap2::{Mmap, UncheckedAdvice};

/// The largest single record or block a reader accepts. Real frames stop at 256 KiB (BIG TCP
/// super-segments); anything past this is a lying length field, and refusing it keeps a stream
/// buffer from growing without bound.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// After this many bytes of a mapped file have been consumed, tell the kernel we are done with
/// them so resident memory stays flat on captures larger than RAM (the pages stay in the page
/// cache; only our mapping lets go of them).
const RELEASE_EVERY: usize = 64 << 20;

pub enum ByteSource {
    Mapped(MappedSource),
    Stream(StreamSource),
}

impl ByteSource {
    /// Bytes from the read position: at least `n` of them unless the source ends first.
    #[inline]
    pub fn fill(&mut self, n: usize) -> io::Result<&[u8]> {
        match self {
            ByteSource::Mapped(m) => Ok(m.fill(n)),
            ByteSource::Stream(s) => s.fill(n),
        }
    }

    #[inline]
    pub fn consume(&mut self, n: usize) {
        match self {
            ByteSource::Mapped(m) => m.consume(n),
            ByteSource::Stream(s) => s.consume(n),
        }
    }

    /// Offset of the read position from the start of the (uncompressed) stream.
    #[inline]
    pub fn position(&self) -> u64 {
        match self {
            ByteSource::Mapped(m) => m.pos as u64,
            ByteSource::Stream(s) => s.position,
        }
    }

    /// The mapping and the read position, for readers that hand frames to other threads
    /// without copying them.
    pub fn mapped(&self) -> Option<(&Arc<Mmap>, usize)> {
        match self {
            ByteSource::Mapped(m) => m.map.as_ref().map(|map| (map, m.pos)),
            ByteSource::Stream(_) => None,
        }
    }

    /// Total size when known up front (mapped files).
    pub fn len_hint(&self) -> Option<u64> {
        match self {
            ByteSource::Mapped(m) => Some(m.bytes().len() as u64),
            ByteSource::Stream(_) => None,
        }
    }
}

pub struct MappedSource {
    map: Option<Arc<Mmap>>,
    pos: usize,
    released: usize,
}

impl MappedSource {
    pub fn open(file: &File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        // mmap of an empty file fails on Linux; an empty capture is simply zero bytes.
        let map = if len == 0 {
            None
        } else {
            // SAFETY: the map is read-only. A capture rewritten by another process while we read
            // it could change under us; that is the usual mmap caveat and the same as libpcap's.
            let map = unsafe { Mmap::map(file)? };
            #[cfg(unix)]
            let _ = map.advise(memmap2::Advice::Sequential);
            Some(Arc::new(map))
        };
        Ok(MappedSource {
            map,
            pos: 0,
            released: 0,
        })
    }

    fn bytes(&self) -> &[u8] {
        self.map.as_deref().map_or(&[], |m| &m[..])
    }

    #[inline]
    fn fill(&mut self, n: usize) -> &[u8] {
        let bytes = self.bytes();
        let end = self.pos.saturating_add(n).min(bytes.len());
        &bytes[self.pos..end]
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.bytes().len());
        if self.pos - self.released >= RELEASE_EVERY {
            self.release();
        }
    }

    fn release(&mut self) {
        let page = 4096;
        let upto = self.pos / page * page;
        if let Some(map) = &self.map {
            if upto > self.released {
                // SAFETY: the mapping stays valid. For a read-only private file mapping,
                // DONTNEED only drops the resident pages from our view; a later access (a
                // decode worker still reading a frame behind the read position) faults them
                // back in from the file with the same contents.
                unsafe {
                    let _ = map.unchecked_advise_range(UncheckedAdvice::DontNeed, 0, upto);
                }
            }
        }
        self.released = upto;
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
