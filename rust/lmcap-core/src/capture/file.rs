//! One capture file (or standard input) read record by record, whatever its container
//! (pcap, pcapng) and compression (none, gzip, zstd).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::pcap::{self, PcapHeader, GLOBAL_HEADER_LEN};
use super::pcapng;
use super::source::{ByteSource, FileSource, StreamSource, Window, MAX_RECORD_BYTES};
use crate::error::{CaptureError, ErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// What is known about one input file, filled in while it is read.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub index: u32,
    pub path: PathBuf,
    pub format: Option<Format>,
    pub compression: Compression,
    pub big_endian: Option<bool>,
    pub nanosecond: Option<bool>,
    pub snaplen: Option<u32>,
    pub link_types: BTreeSet<u16>,
    pub sections: u32,
    pub interfaces: u32,
    pub packets: u64,
    /// Uncompressed bytes consumed (headers included).
    pub bytes_read: u64,
    pub error: Option<CaptureError>,
}

/// The bytes of a framed record.
pub enum FrameBytes<'a> {
    /// Bytes `start..start + len` of a file window that other threads may share.
    Shared {
        window: &'a Window,
        start: usize,
        len: usize,
    },
    Buffered(&'a [u8]),
}

/// A record that has been framed but not yet handed out.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef {
    pub timestamp_ns: Option<i64>,
    pub cap_len: u32,
    pub wire_len: u32,
    pub interface_id: u32,
    /// None when a pcapng packet names an interface that was never described.
    pub link_type: Option<u16>,
    data_start: usize,
    consume_len: usize,
}

impl RecordRef {
    /// The record of a pcapng packet block of `len` bytes.
    #[inline]
    fn of_packet(p: &pcapng::Packet, len: usize) -> RecordRef {
        RecordRef {
            timestamp_ns: p.timestamp_ns,
            cap_len: p.cap_len,
            wire_len: p.wire_len,
            interface_id: p.interface_id,
            link_type: p.link_type,
            data_start: p.data_offset,
            consume_len: len,
        }
    }
}

enum State {
    Start,
    Pcap(PcapHeader),
    PcapNg(pcapng::Section),
    Done,
}

pub struct FileReader {
    pub info: FileInfo,
    source: Option<ByteSource>,
    state: State,
    pending: Option<RecordRef>,
    last_timestamp: Option<i64>,
}

/// Interface Description Blocks kept per pcapng section: each is kept (16 bytes) while the
/// section is read, so without a bound a file of nothing but IDBs would grow memory with its
/// size (64 M of them, 1.3 GB of file: over 1 GiB). A capture point has a handful; a million is
/// no capture.
pub const MAX_SECTION_INTERFACES: usize = 1 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

fn compression_of(magic: &[u8]) -> Compression {
    if magic.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if magic.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

fn decompressor(
    compression: Compression,
    raw: Box<dyn Read + Send>,
) -> io::Result<Box<dyn Read + Send>> {
    Ok(match compression {
        Compression::None => raw,
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(raw))),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(raw)?),
    })
}

/// A stream whose first bytes decide whether it is decompressed; those bytes are put back in
/// front of it so nothing is lost (stdin and pipes cannot seek).
fn sniffed_stream(
    mut reader: Box<dyn Read + Send>,
    compression: &mut Compression,
) -> io::Result<ByteSource> {
    let mut magic = Vec::with_capacity(4);
    (&mut reader).take(4).read_to_end(&mut magic)?;
    *compression = compression_of(&magic);
    let raw: Box<dyn Read + Send> = Box::new(Cursor::new(magic).chain(reader));
    Ok(ByteSource::Stream(StreamSource::new(decompressor(
        *compression,
        raw,
    )?)))
}

impl FileReader {
    /// Open `path` (`-` is standard input). Failing to open is not a panic or an Err: the
    /// reader starts in the error state so that the file still shows up in the file list.
    pub fn open(index: u32, path: &Path) -> FileReader {
        let mut compression = Compression::None;
        let source = Self::open_source(path, &mut compression);
        Self::start(index, path, compression, source)
    }

    /// Read from any byte stream (compressed or not) instead of a path: used for in-memory
    /// inputs and by the robustness tests. `name` stands in for the path in errors.
    pub fn from_reader(index: u32, name: &Path, reader: Box<dyn Read + Send>) -> FileReader {
        let mut compression = Compression::None;
        let source = sniffed_stream(reader, &mut compression);
        Self::start(index, name, compression, source)
    }

    fn start(
        index: u32,
        path: &Path,
        compression: Compression,
        source: io::Result<ByteSource>,
    ) -> FileReader {
        let mut info = FileInfo {
            index,
            path: path.to_path_buf(),
            format: None,
            compression,
            big_endian: None,
            nanosecond: None,
            snaplen: None,
            link_types: BTreeSet::new(),
            sections: 0,
            interfaces: 0,
            packets: 0,
            bytes_read: 0,
            error: None,
        };
        let (source, state) = match source {
            Ok(s) => (Some(s), State::Start),
            Err(e) => {
                info.error = Some(CaptureError {
                    path: path.to_path_buf(),
                    offset: 0,
                    kind: ErrorKind::Io(e.to_string()),
                });
                (None, State::Done)
            }
        };
        FileReader {
            info,
            source,
            state,
            pending: None,
            last_timestamp: None,
        }
    }

    fn open_source(path: &Path, compression: &mut Compression) -> io::Result<ByteSource> {
        if path.as_os_str() == "-" {
            return sniffed_stream(Box::new(io::stdin()), compression);
        }
        let mut file = File::open(path)?;
        if !file.metadata()?.is_file() {
            // A pipe or a device (`<(zcat trace.pcap.gz)`, /dev/stdin): it cannot seek back
            // over the magic, so the sniffed bytes are put back in front instead.
            return sniffed_stream(Box::new(file), compression);
        }
        let mut magic = Vec::with_capacity(4);
        (&mut file).take(4).read_to_end(&mut magic)?;
        *compression = compression_of(&magic);
        file.seek(SeekFrom::Start(0))?;
        if *compression == Compression::None {
            return Ok(ByteSource::File(FileSource::open(file)?));
        }
        Ok(ByteSource::Stream(StreamSource::new(decompressor(
            *compression,
            Box::new(file),
        )?)))
    }

    fn fail(&mut self, kind: ErrorKind) {
        let offset = self.source.as_ref().map_or(0, |s| s.position());
        let shrunk = self.source.as_ref().and_then(|s| s.shrunk());
        let kind = match (kind, self.info.compression, shrunk) {
            // Whatever stopped the reader, a file that shrank under it is the cause.
            (_, _, Some(shrunk)) => ErrorKind::FileChanged(format!(
                "the file shrank while being read (truncated or rewritten by another process?): \
                 {} bytes when opened, {} now; reading met its end at byte {}",
                shrunk.len_at_open,
                shrunk.len_now.map_or("unknown".into(), |n| n.to_string()),
                shrunk.ended_at
            )),
            (ErrorKind::Io(m), c, None) if c != Compression::None => ErrorKind::Decompress(m),
            (k, _, None) => k,
        };
        self.info.error = Some(CaptureError {
            path: self.info.path.clone(),
            offset,
            kind,
        });
        self.state = State::Done;
        self.pending = None;
    }

    /// The next record, framed and checked, without consuming it.
    #[inline]
    pub fn peek(&mut self) -> Option<&RecordRef> {
        if self.pending.is_none() {
            self.pending = match self.windowed_pcap_record() {
                Some(r) => Some(r),
                None => self.next_pcapng_or_any_record(),
            };
        }
        self.pending.as_ref()
    }

    /// Everything but a pcap record inside the file window. Kept out of line so that `peek`, with the pcap
    /// step in it, stays small enough to inline into the framer loop.
    #[inline(never)]
    fn next_pcapng_or_any_record(&mut self) -> Option<RecordRef> {
        match self.windowed_pcapng_record() {
            Some(r) => Some(r),
            None => self.next_record_or_fail(),
        }
    }

    fn next_record_or_fail(&mut self) -> Option<RecordRef> {
        match self.next_record() {
            // A clean end at a record boundary, but before the length the file had when it was
            // opened: frames were lost to a truncation, which must not pass for a normal end.
            Ok(None) if self.source.as_ref().is_some_and(|s| s.shrunk().is_some()) => {
                if self.info.error.is_none() {
                    self.fail(ErrorKind::CutShort(String::new()));
                }
                None
            }
            Ok(r) => r,
            Err(kind) => {
                self.fail(kind);
                None
            }
        }
    }

    /// The common case in one step: a classic pcap record that lies wholly inside the current
    /// file window. None sends the record through [`Self::next_record`], which also frames it and
    /// reports whatever is wrong with it (a cut, a lying length).
    #[inline]
    fn windowed_pcap_record(&self) -> Option<RecordRef> {
        let State::Pcap(h) = &self.state else {
            return None;
        };
        let (window, pos) = self.source.as_ref()?.window()?;
        let hdr_len = h.record_header_len();
        let (ts, cap_len, wire_len) = h.parse_record(window.get(pos..pos + hdr_len)?);
        let total = hdr_len + cap_len as usize;
        if cap_len as usize > MAX_RECORD_BYTES || window.len() - pos < total {
            return None;
        }
        Some(RecordRef {
            timestamp_ns: ts,
            cap_len,
            wire_len,
            interface_id: 0,
            link_type: Some(h.link_type),
            data_start: hdr_len,
            consume_len: total,
        })
    }

    /// The same for pcapng: a packet block that lies wholly inside the file window, framed by
    /// the same functions as the general path (`pcapng.rs`). None sends the block through
    /// [`Self::next_record`]: every other block type (section headers and interface
    /// descriptions, which change the state read here), a length that lies or runs past the
    /// window, a packet block before any section header. That path also reports what is
    /// wrong, at the same offset.
    #[inline]
    fn windowed_pcapng_record(&self) -> Option<RecordRef> {
        let State::PcapNg(section) = &self.state else {
            return None;
        };
        // Before the first section header a packet block is an error the general path reports.
        if self.info.sections == 0 {
            return None;
        }
        let (window, pos) = self.source.as_ref()?.window()?;
        let rest = window.get(pos..)?;
        let (block_type, len) =
            pcapng::block_type_and_len(rest.get(..8)?, section.big_endian).ok()?;
        if !pcapng::is_packet_block(block_type) {
            return None;
        }
        let block = rest.get(..len)?;
        pcapng::check_trailer(block, section.big_endian).ok()?;
        let packet = section.packet(block_type, block).ok()?;
        Some(RecordRef::of_packet(&packet, len))
    }

    /// The frame bytes of the pending record. Call only after `peek` returned Some.
    #[inline]
    pub fn frame_bytes(&mut self) -> &[u8] {
        let r = self.pending.expect("frame_bytes without a pending record");
        let src = self
            .source
            .as_mut()
            .expect("pending record without a source");
        match src.fill(r.consume_len) {
            Ok(b) if b.len() >= r.consume_len => {
                &b[r.data_start..r.data_start + r.cap_len as usize]
            }
            // Cannot happen: next_record already made these bytes available.
            _ => &[],
        }
    }

    /// Where the pending record's frame bytes are: inside a file window (shareable with other
    /// threads without a copy) or in the stream buffer (valid until `advance`).
    pub fn frame_location(&mut self) -> FrameBytes<'_> {
        let r = self
            .pending
            .expect("frame_location without a pending record");
        if self.source.as_ref().is_some_and(|s| s.window().is_some()) {
            let (window, pos) = self
                .source
                .as_ref()
                .and_then(|s| s.window())
                .expect("checked above");
            return FrameBytes::Shared {
                window,
                start: pos + r.data_start,
                len: r.cap_len as usize,
            };
        }
        FrameBytes::Buffered(self.frame_bytes())
    }

    /// Move past the pending record.
    #[inline]
    pub fn advance(&mut self) {
        if let Some(r) = self.pending.take() {
            if let Some(src) = self.source.as_mut() {
                src.consume(r.consume_len);
                self.info.bytes_read = src.position();
            }
            self.info.packets += 1;
            if r.timestamp_ns.is_some() {
                self.last_timestamp = r.timestamp_ns;
            }
        }
    }

    /// Timestamp used to order files when merging: records without one (Simple Packet Blocks)
    /// keep their place after the file's previous record.
    pub fn merge_key(&self) -> Option<i64> {
        self.pending
            .as_ref()
            .map(|r| r.timestamp_ns.or(self.last_timestamp).unwrap_or(i64::MIN))
    }

    fn next_record(&mut self) -> Result<Option<RecordRef>, ErrorKind> {
        loop {
            let Some(src) = self.source.as_mut() else {
                return Ok(None);
            };
            match &mut self.state {
                State::Done => return Ok(None),
                State::Start => {
                    let head = src.fill(GLOBAL_HEADER_LEN).map_err(io_kind)?;
                    if head.len() < 4 {
                        if head.is_empty() {
                            return Err(ErrorKind::CutShort("the file is empty".into()));
                        }
                        return Err(ErrorKind::CutShort(format!(
                            "only {} bytes, not even a format magic",
                            head.len()
                        )));
                    }
                    let m = [head[0], head[1], head[2], head[3]];
                    let m_le = u32::from_le_bytes(m);
                    let m_be = u32::from_be_bytes(m);
                    let is_pcap = [pcap::MAGIC_MICROS, pcap::MAGIC_NANOS, pcap::MAGIC_MODIFIED]
                        .iter()
                        .any(|&x| x == m_le || x == m_be);
                    if is_pcap {
                        if head.len() < GLOBAL_HEADER_LEN {
                            return Err(ErrorKind::CutShort(format!(
                                "inside the pcap global header ({} of 24 bytes)",
                                head.len()
                            )));
                        }
                        let h = PcapHeader::parse(head)?;
                        self.info.format = Some(Format::Pcap);
                        self.info.big_endian = Some(h.big_endian);
                        self.info.nanosecond = Some(h.nanosecond);
                        self.info.snaplen = Some(h.snaplen);
                        self.info.link_types.insert(h.link_type);
                        self.info.interfaces = 1;
                        src.consume(GLOBAL_HEADER_LEN);
                        // consumed: a file of a header and a cut record says so (property
                        // test: an error offset is never past the bytes read)
                        self.info.bytes_read = src.position();
                        self.state = State::Pcap(h);
                    } else if m_le == pcapng::BLOCK_SECTION_HEADER {
                        self.info.format = Some(Format::PcapNg);
                        self.state = State::PcapNg(pcapng::Section::default());
                    } else {
                        return Err(ErrorKind::UnknownFormat { magic: m });
                    }
                }
                State::Pcap(h) => {
                    let hdr_len = h.record_header_len();
                    let b = src.fill(hdr_len).map_err(io_kind)?;
                    if b.is_empty() {
                        self.state = State::Done;
                        return Ok(None);
                    }
                    if b.len() < hdr_len {
                        return Err(ErrorKind::CutShort(format!(
                            "inside a record header ({} of {hdr_len} bytes)",
                            b.len()
                        )));
                    }
                    let (ts, cap_len, wire_len) = h.parse_record(b);
                    if cap_len as usize > MAX_RECORD_BYTES {
                        return Err(ErrorKind::BadLength(format!(
                            "record captured length {cap_len} exceeds the {} MiB limit",
                            MAX_RECORD_BYTES >> 20
                        )));
                    }
                    let total = hdr_len + cap_len as usize;
                    let b = src.fill(total).map_err(io_kind)?;
                    if b.len() < total {
                        return Err(ErrorKind::CutShort(format!(
                            "inside a record: captured length {cap_len} but only {} bytes follow the record header",
                            b.len() - hdr_len
                        )));
                    }
                    return Ok(Some(RecordRef {
                        timestamp_ns: ts,
                        cap_len,
                        wire_len,
                        interface_id: 0,
                        link_type: Some(h.link_type),
                        data_start: hdr_len,
                        consume_len: total,
                    }));
                }
                State::PcapNg(section) => {
                    let b = src.fill(12).map_err(io_kind)?;
                    if b.is_empty() {
                        self.state = State::Done;
                        return Ok(None);
                    }
                    if b.len() < 12 {
                        return Err(ErrorKind::CutShort(format!(
                            "inside a pcapng block header ({} of 12 bytes)",
                            b.len()
                        )));
                    }
                    let raw_type = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    // The byte order can change at every section.
                    let mut big_endian = section.big_endian;
                    if raw_type == pcapng::BLOCK_SECTION_HEADER {
                        let b16 = src.fill(16).map_err(io_kind)?;
                        if b16.len() < 16 {
                            return Err(ErrorKind::CutShort(
                                "inside a pcapng section header block".into(),
                            ));
                        }
                        big_endian = pcapng::section_header(b16)?;
                    }
                    let b = src.fill(8).map_err(io_kind)?;
                    let (block_type, len) = pcapng::block_type_and_len(b, big_endian)?;
                    let block = src.fill(len).map_err(io_kind)?;
                    if block.len() < len {
                        return Err(ErrorKind::CutShort(format!(
                            "pcapng block type 0x{block_type:08x} of {len} bytes, but only {} bytes remain",
                            block.len()
                        )));
                    }
                    pcapng::check_trailer(block, big_endian)?;
                    match block_type {
                        pcapng::BLOCK_SECTION_HEADER => {
                            section.start(big_endian);
                            self.info.sections += 1;
                            self.info.big_endian = Some(big_endian);
                        }
                        pcapng::BLOCK_INTERFACE_DESCRIPTION => {
                            if section.interfaces.len() >= MAX_SECTION_INTERFACES {
                                return Err(ErrorKind::BadHeader(format!(
                                    "more than {MAX_SECTION_INTERFACES} interfaces in one \
                                     section: not a real capture (each is kept while the \
                                     section is read)"
                                )));
                            }
                            let iface = pcapng::interface(&block[8..len - 4], big_endian)?;
                            self.info.link_types.insert(iface.link_type);
                            self.info.interfaces += 1;
                            if self.info.snaplen.is_none() {
                                self.info.snaplen = Some(iface.snaplen);
                            }
                            section.interfaces.push(iface);
                        }
                        t if pcapng::is_packet_block(t) => {
                            if self.info.sections == 0 {
                                return Err(ErrorKind::BadHeader(
                                    "packet block before any section header".into(),
                                ));
                            }
                            let packet = section.packet(block_type, block)?;
                            return Ok(Some(RecordRef::of_packet(&packet, len)));
                        }
                        _ => {}
                    }
                    src.consume(len);
                    self.info.bytes_read = src.position();
                }
            }
        }
    }
}

fn io_kind(e: io::Error) -> ErrorKind {
    ErrorKind::Io(e.to_string())
}
