//! Inputs the fuzz targets (rust/lmcap-core/fuzz, docs/fuzzing.md) found, kept as captures in
//! captures/malformed/ and replayed here. An `#[ignore]`d test is an open finding: it fails
//! today and passes once the bug is fixed; the fix removes the `#[ignore]` (and the matching
//! exception in the fuzz target, named in each test). Fixed findings stay as regressions.

use std::path::{Path, PathBuf};

use lmcap_core::capture::FileReader;
use lmcap_core::decode::{decode, StopReason};

fn malformed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../captures/malformed")
        .join(name)
}

/// The first frame of a capture: its bytes, link type and wire length.
fn first_frame(path: &Path) -> (Vec<u8>, Option<u16>, u32) {
    let mut r = FileReader::open(0, path);
    let rec = *r
        .peek()
        .unwrap_or_else(|| panic!("{}: no record", path.display()));
    (r.frame_bytes().to_vec(), rec.link_type, rec.wire_len)
}

/// decode_frame found it (a truncation of a real IGMPv3 report from the seed corpus):
/// a 54-byte Ethernet/IPv4/IGMPv3 membership report with one group record, captured with a
/// 46-byte snaplen, so the capture ends right after the 8-byte report header. The report's
/// record count is true; the bytes were cut. tshark says "Packet size limited during capture:
/// IGMP truncated"; lmcap says `bad_igmp_record_count` ("announces more records or sources than
/// it holds"), blaming the sender for the snaplen. `transport()` in decode.rs checks the record
/// count against the cut bytes without asking whether the IP length says more were sent. The
/// same holds for a v3 query whose source list is cut.
///
/// Fuzz target exception to remove with the fix: `truncation_is_allowed` in
/// fuzz/fuzz_targets/decode_frame.rs.
#[test]
fn igmpv3_report_cut_by_snaplen_reads_as_truncated() {
    let (frame, link_type, wire_len) = first_frame(&malformed("igmpv3-report-snaplen-cut.bin"));
    assert_eq!(
        (frame.len(), wire_len),
        (46, 54),
        "the fixture is a 54-byte frame cut to 46"
    );
    let d = decode(&frame, link_type, wire_len);
    assert!(
        d.igmp.is_some(),
        "the IGMP header itself was captured and decodes"
    );
    assert_eq!(
        d.status,
        StopReason::TruncatedIgmp,
        "a snaplen cut inside the group records is a truncation, not a lying count"
    );
}
