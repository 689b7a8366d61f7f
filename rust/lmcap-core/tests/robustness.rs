//! Untrusted input: every capture we have, cut at many offsets and with bits flipped, must
//! never panic or hang, and the scanner must account for every frame it read (rows out equal
//! frames in, frame numbers contiguous). Runs over the project's captures and, when present,
//! the shared public corpus.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use lmcap_core::capture::FileReader;
use lmcap_core::decode::decode;
use lmcap_core::scan::Scanner;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn capture_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let roots = [
        repo_root().join("captures"),
        repo_root().join("../shared/captures/public"),
    ];
    for root in roots {
        walk(&root, &mut out);
    }
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name()
                .is_some_and(|n| n != "oracle" && n != "scripts")
            {
                walk(&p, out);
            }
        } else if p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains(".pcap") && !n.ends_with(".json"))
            || p.extension().is_some_and(|x| x == "bin")
        {
            out.push(p);
        }
    }
}

/// Scan bytes as a stream; return (rows, frames the reader counted, error offset).
fn scan_bytes(bytes: Vec<u8>) -> (u64, u64, Option<u64>) {
    let reader = FileReader::from_reader(0, Path::new("mem"), Box::new(Cursor::new(bytes)));
    let mut scanner = Scanner::from_readers(vec![reader], 1024);
    let mut rows = 0u64;
    let mut expected_frame = 1u64;
    while let Some(batch) = scanner.next_batch() {
        let numbers = batch
            .packets
            .column(0)
            .as_any()
            .downcast_ref::<arrow_array::UInt64Array>()
            .unwrap()
            .clone();
        for n in numbers.values() {
            assert_eq!(*n, expected_frame, "frame numbers must be contiguous");
            expected_frame += 1;
        }
        rows += batch.packets.num_rows() as u64;
    }
    let info = &scanner.files()[0];
    (rows, info.packets, info.error.as_ref().map(|e| e.offset))
}

#[test]
fn truncated_captures_never_panic_and_lose_nothing() {
    let files = capture_files();
    assert!(!files.is_empty(), "no captures found under captures/");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let (full_rows, full_frames, _) = scan_bytes(bytes.clone());
        assert_eq!(full_rows, full_frames, "{}", path.display());
        // Every offset for small files, ~150 spread offsets for bigger ones.
        let step = (bytes.len() / 150).max(1);
        let mut cut = 0;
        while cut < bytes.len() {
            let (rows, frames, err) = scan_bytes(bytes[..cut].to_vec());
            assert_eq!(rows, frames, "{} cut at {cut}", path.display());
            assert!(
                rows <= full_rows,
                "{} cut at {cut}: more rows than the whole file",
                path.display()
            );
            let compressed = path.extension().is_some_and(|x| x == "gz" || x == "zst");
            // Offsets count uncompressed bytes, so only plain files can be compared with the cut.
            if let (Some(off), false) = (err, compressed) {
                assert!(
                    off <= cut as u64,
                    "{} cut at {cut}: error offset {off} past the data",
                    path.display()
                );
            }
            cut += step;
        }
    }
}

/// A small deterministic generator so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn bit_flipped_captures_never_panic() {
    let mut rng = Lcg(0x1234_5678);
    for path in capture_files() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.is_empty() {
            continue;
        }
        for _ in 0..40 {
            let mut copy = bytes.clone();
            for _ in 0..1 + rng.next() % 8 {
                let i = (rng.next() as usize) % copy.len();
                copy[i] ^= 1 << (rng.next() % 8);
            }
            let (rows, frames, _) = scan_bytes(copy);
            assert_eq!(rows, frames, "{}", path.display());
        }
    }
}

#[test]
fn decoding_into_a_reused_struct_equals_a_fresh_decode() {
    // decode_into resets what the previous frame left behind: every frame, decoded after
    // frames of any other shape, must look exactly as decode() makes it on its own.
    let mut rng = Lcg(7);
    let eth = |ethertype: [u8; 2], rest: &[u8]| {
        let mut f = vec![
            2,
            0,
            0,
            0,
            0,
            1,
            2,
            0,
            0,
            0,
            0,
            2,
            ethertype[0],
            ethertype[1],
        ];
        f.extend_from_slice(rest);
        f
    };
    let ipv4 = |proto: u8| {
        eth(
            [0x08, 0x00],
            &[
                0x45, 0, 0, 60, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
            ],
        )
    };
    let mut ipv6 = eth([0x86, 0xdd], &[0x60, 0, 0, 0, 0, 20, 17, 64]);
    ipv6.extend([0u8; 32]);
    let seeds = [
        ipv4(6),
        ipv4(17),
        ipv4(1),
        ipv4(2),
        ipv6,
        eth([0x08, 0x06], &[0, 1, 8, 0, 6, 4, 0, 1]),
        eth([0x81, 0x00], &[0, 100, 0x08, 0x00, 0x45, 0, 0, 40]),
        vec![0x45, 0, 0, 60, 0, 0, 0x20, 0, 64, 17, 0, 0],
    ];
    let frames: Vec<Vec<u8>> = (0..4000)
        .map(|round| {
            let mut frame = seeds[rng.next() as usize % seeds.len()].clone();
            let extra = (rng.next() % 60) as usize;
            frame.extend((0..extra).map(|_| rng.next() as u8));
            if round % 3 == 0 {
                let i = (rng.next() as usize) % frame.len();
                frame[i] = rng.next() as u8;
            }
            frame
        })
        .collect();
    let mut reused = lmcap_core::decode::Decoded::default();
    for (i, frame) in frames.iter().enumerate() {
        let lt = [Some(1u16), Some(1), Some(1), Some(101), None][i % 5];
        let wire = frame.len() as u32 + (i % 3) as u32 * 500;
        lmcap_core::decode::decode_into(frame, lt, wire, &mut reused);
        let fresh = decode(frame, lt, wire);
        assert_eq!(format!("{reused:?}"), format!("{fresh:?}"), "frame {i}");
    }
}

#[test]
fn arbitrary_frames_never_panic_on_any_link_type() {
    let mut rng = Lcg(42);
    let link_types = [
        Some(0u16),
        Some(1),
        Some(101),
        Some(108),
        Some(113),
        Some(228),
        Some(229),
        Some(276),
        Some(147),
        None,
    ];
    // Seeds that reach deep layers: Ethernet/VLAN/IPv4/IPv6 headers with random tails.
    let seeds: [&[u8]; 4] = [
        &[
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0, 100, 0x08, 0x00, 0x45, 0, 0, 40,
        ],
        &[
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 16, 0, 64,
        ],
        &[0x46, 0, 0, 60, 0, 0, 0x20, 0, 64, 2, 0, 0],
        &[0x60, 0, 0, 0, 0, 24, 44, 64],
    ];
    for round in 0..20_000 {
        let mut frame: Vec<u8> = seeds[round % seeds.len()].to_vec();
        let extra = (rng.next() % 120) as usize;
        frame.extend((0..extra).map(|_| rng.next() as u8));
        for _ in 0..(rng.next() % 4) {
            let i = (rng.next() as usize) % frame.len();
            frame[i] = rng.next() as u8;
        }
        for lt in link_types {
            let wire = frame.len() as u32 + (rng.next() % 3000) as u32;
            let d = decode(&frame, lt, wire);
            if let Some(p) = d.payload {
                assert!(p.len() <= frame.len());
            }
        }
    }
}

#[test]
fn time_ordered_merge_of_rotated_files() {
    let dir = repo_root().join("captures/formats");
    let (a, b) = (dir.join("rot-0.pcap"), dir.join("rot-1.pcap"));
    if !a.exists() || !b.exists() {
        return;
    }
    let mut scanner = Scanner::open(&[a, b], 3);
    let mut last = i64::MIN;
    let mut rows = 0;
    let mut files_seen = std::collections::BTreeSet::new();
    while let Some(batch) = scanner.next_batch() {
        let ts = batch
            .packets
            .column_by_name("timestamp")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow_array::TimestampNanosecondArray>()
            .unwrap()
            .clone();
        let fi = batch
            .packets
            .column_by_name("file_index")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow_array::UInt32Array>()
            .unwrap()
            .clone();
        for (t, f) in ts.values().iter().zip(fi.values()) {
            assert!(*t >= last, "frames out of time order");
            last = *t;
            files_seen.insert(*f);
        }
        rows += batch.packets.num_rows();
    }
    assert!(rows > 0);
    assert_eq!(files_seen.len(), 2);
}

fn all_batches(mut scanner: Scanner) -> Vec<arrow_array::RecordBatch> {
    let mut out = Vec::new();
    while let Some(b) = scanner.next_batch() {
        out.push(b.packets);
        out.extend(b.events.into_iter().map(|(_, e)| e));
    }
    out
}

#[test]
fn parallel_decoding_gives_the_same_tables_as_one_thread() {
    let path = repo_root().join("captures/jumbo/iperf-1500.pcap");
    if !path.exists() {
        return;
    }
    let one = all_batches(Scanner::open(std::slice::from_ref(&path), 100).with_threads(1));
    let three = all_batches(Scanner::open(std::slice::from_ref(&path), 100).with_threads(3));
    assert!(one.len() > 10, "the capture should span many batches");
    assert_eq!(one, three);
    // The same through the stream path (frames copied into chunks instead of shared windows).
    let bytes = std::fs::read(&path).unwrap();
    let reader = FileReader::from_reader(0, &path, Box::new(Cursor::new(bytes)));
    let streamed = all_batches(Scanner::from_readers(vec![reader], 100).with_threads(2));
    assert_eq!(one, streamed);
}

/// Everything a reader hands out for one capture: each record's fields and bytes, then the
/// file's summary and error. Plain files take the one-step framing paths; streams never do.
fn read_all(mut reader: FileReader) -> (Vec<String>, String) {
    let mut records = Vec::new();
    while let Some(&r) = reader.peek() {
        records.push(format!(
            "{:?} {} {} {} {:?} {:?}",
            r.timestamp_ns,
            r.cap_len,
            r.wire_len,
            r.interface_id,
            r.link_type,
            reader.frame_bytes()
        ));
        reader.advance();
    }
    let i = &reader.info;
    let summary = format!(
        "{:?} {:?} {:?} {:?} {:?} {} {} {} {} {:?}",
        i.format,
        i.big_endian,
        i.snaplen,
        i.link_types,
        i.nanosecond,
        i.sections,
        i.interfaces,
        i.packets,
        i.bytes_read,
        i.error.as_ref().map(|e| (e.offset, &e.kind))
    );
    (records, summary)
}

#[test]
fn file_windows_frame_exactly_as_streams() {
    // The fast framing paths for pcap and pcapng in a file window must give the same records, the same
    // error at the same offset and the same file summary as the general path, also on cut and
    // bit-flipped files (lying lengths, unknown interfaces, blocks past the end).
    let dir = std::env::temp_dir().join(format!("lmcap-windowed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tmp = dir.join("capture");
    let mut rng = Lcg(0x5eed);
    let check = |bytes: &[u8], what: &str| same_windowed_and_streamed(&tmp, bytes, what);
    for path in capture_files() {
        if path.extension().is_some_and(|x| x == "gz" || x == "zst") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        check(&bytes, &name);
        let step = (bytes.len() / 20).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            check(&bytes[..cut], &format!("{name} cut at {cut}"));
        }
        if bytes.is_empty() {
            continue;
        }
        for round in 0..8 {
            let mut copy = bytes.clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = (rng.next() as usize) % copy.len();
                copy[i] ^= 1 << (rng.next() % 8);
            }
            check(&copy, &format!("{name} flip round {round}"));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn same_windowed_and_streamed(tmp: &Path, bytes: &[u8], what: &str) {
    std::fs::write(tmp, bytes).unwrap();
    let windowed = read_all(FileReader::open(0, tmp));
    let stream = read_all(FileReader::from_reader(
        0,
        tmp,
        Box::new(Cursor::new(bytes.to_vec())),
    ));
    assert!(
        windowed == stream,
        "{what}: windowed and stream reads differ"
    );
}

/// One pcapng block: type, total length, body padded to 4 bytes, total length again.
fn block(big_endian: bool, block_type: u32, body: &[u8]) -> Vec<u8> {
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let padded = body.len().div_ceil(4) * 4;
    let total = (12 + padded) as u32;
    let mut b = Vec::new();
    b.extend(u32b(block_type));
    b.extend(u32b(total));
    b.extend(body);
    b.resize(8 + padded, 0);
    b.extend(u32b(total));
    b
}

#[test]
fn windowed_pcapng_blocks_frame_exactly_as_streams() {
    // The captures hold few Simple Packet Blocks, options or big-endian sections: a file made
    // of them, checked whole, cut at every byte and with each byte's bits flipped in turn.
    let mut file = Vec::new();
    for be in [false, true] {
        let u16b = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        // Section header: byte-order magic, version 1.0, unknown section length.
        let mut shb = Vec::new();
        shb.extend(u32b(0x1A2B_3C4D));
        shb.extend(u16b(1));
        shb.extend(u16b(0));
        shb.extend([0xff; 8]);
        let mut shb = block(be, 0x0A0D_0D0A, &shb);
        // The section header's type reads the same in both byte orders.
        shb[..4].copy_from_slice(&[0x0A, 0x0D, 0x0D, 0x0A]);
        file.extend(shb);
        // Two interfaces: 10^-9 with a 1000 s offset and snaplen 64; 2^-10, snaplen 0.
        let mut idb = Vec::new();
        idb.extend(u16b(1));
        idb.extend(u16b(0));
        idb.extend(u32b(64));
        idb.extend(u16b(9));
        idb.extend(u16b(1));
        idb.extend([9, 0, 0, 0]);
        idb.extend(u16b(14));
        idb.extend(u16b(8));
        idb.extend(if be {
            1000i64.to_be_bytes()
        } else {
            1000i64.to_le_bytes()
        });
        idb.extend([0; 4]);
        file.extend(block(be, 1, &idb));
        let mut idb = Vec::new();
        idb.extend(u16b(101));
        idb.extend(u16b(0));
        idb.extend(u32b(0));
        idb.extend(u16b(9));
        idb.extend(u16b(1));
        idb.extend([0x8a, 0, 0, 0]);
        file.extend(block(be, 1, &idb));
        // Interface 2 is not described; u32::MAX in the second section would overflow the
        // file-wide interface number (section base + id) if it were not saturated.
        for (iface, cap, wire) in [
            (0u32, 60u32, 100u32),
            (1, 33, 33),
            (2, 10, 10),
            (u32::MAX, 10, 10),
        ] {
            let mut epb = Vec::new();
            epb.extend(u32b(iface));
            epb.extend(u32b(0x0001_2345));
            epb.extend(u32b(0x6789_abcd));
            epb.extend(u32b(cap));
            epb.extend(u32b(wire));
            epb.extend((0..cap).map(|i| i as u8));
            epb.resize(epb.len().div_ceil(4) * 4, 0);
            // An opt_comment, which the reader ignores.
            epb.extend(u16b(1));
            epb.extend(u16b(3));
            epb.extend(*b"abc\0");
            epb.extend([0; 4]);
            file.extend(block(be, 6, &epb));
        }
        // A Simple Packet Block longer than interface 0's snaplen, one shorter, then a
        // statistics block the reader skips.
        for wire in [200u32, 7] {
            let mut spb = Vec::new();
            spb.extend(u32b(wire));
            spb.extend((0..wire.min(100)).map(|i| i as u8));
            file.extend(block(be, 3, &spb));
        }
        file.extend(block(be, 5, &[0; 12]));
    }
    let dir = std::env::temp_dir().join(format!("lmcap-blocks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tmp = dir.join("capture.pcapng");
    same_windowed_and_streamed(&tmp, &file, "whole");
    let (records, summary) = read_all(FileReader::open(0, &tmp));
    assert_eq!(records.len(), 12, "{summary}");
    for cut in 0..file.len() {
        same_windowed_and_streamed(&tmp, &file[..cut], &format!("cut at {cut}"));
    }
    for i in 0..file.len() {
        let mut copy = file.clone();
        copy[i] ^= 1 << (i % 8);
        same_windowed_and_streamed(&tmp, &copy, &format!("bit flipped at {i}"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A classic pcap (microseconds, Ethernet) of `sizes.len()` records whose captured lengths are
/// `sizes`; returns the file and the offset where each record ends.
fn pcap_of_sizes(sizes: &[u32]) -> (Vec<u8>, Vec<usize>) {
    let mut file = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 262_144, 1] {
        file.extend(v.to_le_bytes());
    }
    let mut ends = Vec::new();
    for (i, &len) in sizes.iter().enumerate() {
        for v in [
            1_700_000_000u32 + i as u32 / 1000,
            i as u32 % 1_000_000,
            len,
            len,
        ] {
            file.extend(v.to_le_bytes());
        }
        file.extend((0..len).map(|b| (b as usize ^ i) as u8));
        ends.push(file.len());
    }
    (file, ends)
}

/// Records of many sizes (1 byte to 70 KB) filling 20 MB: records straddle the reader's
/// 8 MiB read windows at many different places.
fn straddling_sizes() -> Vec<u32> {
    let mut rng = Lcg(0xb0a7);
    let mut sizes = Vec::new();
    let mut total = 0usize;
    while total < 20 << 20 {
        let len = match rng.next() % 10 {
            0 => 1 + (rng.next() % 70_000) as u32,
            1..=3 => 9014,
            _ => 60 + (rng.next() % 1455) as u32,
        };
        total += 16 + len as usize;
        sizes.push(len);
    }
    sizes
}

#[test]
fn records_straddling_read_windows_frame_exactly_as_streams() {
    let (file, ends) = pcap_of_sizes(&straddling_sizes());
    let dir = std::env::temp_dir().join(format!("lmcap-straddle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tmp = dir.join("capture.pcap");
    same_windowed_and_streamed(&tmp, &file, "20 MB pcap");
    let (records, _) = read_all(FileReader::open(0, &tmp));
    assert_eq!(records.len(), ends.len());
    // And through the scanner with parallel workers: every frame once, in order, the same
    // tables as the stream path (frames copied into chunks).
    let windowed = all_batches(Scanner::open(std::slice::from_ref(&tmp), 1000).with_threads(2));
    let reader = FileReader::from_reader(0, &tmp, Box::new(Cursor::new(file.clone())));
    let streamed = all_batches(Scanner::from_readers(vec![reader], 1000).with_threads(2));
    assert_eq!(windowed, streamed);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_that_shrinks_while_read_stops_with_file_changed_and_keeps_what_was_read() {
    // A ring-buffer file rewritten or a capture truncated by another process while lmcap reads
    // it (with a memory map this was SIGBUS, which killed the Python interpreter).
    let (file, ends) = pcap_of_sizes(&straddling_sizes());
    let dir = std::env::temp_dir().join(format!("lmcap-shrink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tmp = dir.join("capture.pcap");
    // Cut inside a record far past the first window, and exactly at a record boundary: a cut
    // at a boundary would otherwise look like a normal end of file.
    let boundary = *ends.iter().find(|&&e| e > 12 << 20).unwrap();
    for (what, cut) in [
        ("inside a record", 1 << 20),
        ("at a record boundary", boundary),
    ] {
        std::fs::write(&tmp, &file).unwrap();
        let mut reader = FileReader::open(0, &tmp);
        assert!(reader.peek().is_some(), "{what}: the first record reads");
        // The first read window is in memory now; the file shrinks under the reader.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&tmp)
            .unwrap()
            .set_len(cut as u64)
            .unwrap();
        let mut frames = 0usize;
        while reader.peek().is_some() {
            reader.advance();
            frames += 1;
        }
        let error = reader
            .info
            .error
            .clone()
            .expect("a shrunk file is an error");
        assert_eq!(error.kind.name(), "file_changed", "{what}: {error}");
        let message = error.to_string();
        assert!(
            message.contains(&format!("{} bytes when opened", file.len())),
            "{message}"
        );
        assert!(message.contains(&format!("{cut} now")), "{message}");
        // Every record handed out was read whole before the cut reached the reader, and the
        // error's offset is where the next record starts.
        assert!(frames > 0 && frames < ends.len(), "{what}: {frames} frames");
        assert_eq!(error.offset as usize, ends[frames - 1], "{what}");
        assert_eq!(reader.info.packets as usize, frames);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
