//! IGMP v1 (RFC 1112), v2 (RFC 2236) and v3 (RFC 3376), with v3 group records and sources.

use super::{be16, need, Stop};

pub const MEMBERSHIP_QUERY: u8 = 0x11;
pub const V1_REPORT: u8 = 0x12;
pub const V2_REPORT: u8 = 0x16;
pub const V2_LEAVE: u8 = 0x17;
pub const V3_REPORT: u8 = 0x22;

/// IGMPv3 group record types (RFC 3376 §4.2.12).
pub const MODE_IS_INCLUDE: u8 = 1;
pub const MODE_IS_EXCLUDE: u8 = 2;
pub const CHANGE_TO_INCLUDE: u8 = 3;
pub const CHANGE_TO_EXCLUDE: u8 = 4;
pub const ALLOW_NEW_SOURCES: u8 = 5;
pub const BLOCK_OLD_SOURCES: u8 = 6;

#[derive(Debug, Clone, Copy)]
pub struct Igmp<'a> {
    pub msg_type: u8,
    /// 1, 2 or 3, told apart as RFC 3376 §7.1 says (query length and max response code).
    pub version: u8,
    pub max_resp_code: u8,
    /// Group address of v1/v2 messages and v3 queries (0.0.0.0 in general queries).
    pub group: [u8; 4],
    /// v3 reports: the group records; v3 queries: the source list.
    body: &'a [u8],
    /// Records (v3 report) or sources (v3 query) the header announces.
    pub count: u16,
}

/// One IGMPv3 group record.
#[derive(Debug, Clone, Copy)]
pub struct GroupRecord<'a> {
    pub record_type: u8,
    pub group: [u8; 4],
    sources: &'a [u8],
}

impl<'a> GroupRecord<'a> {
    pub fn sources(&self) -> impl Iterator<Item = [u8; 4]> + 'a {
        self.sources
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
    }

    pub fn source_count(&self) -> usize {
        self.sources.len() / 4
    }
}

impl<'a> Igmp<'a> {
    /// `b` is the IP payload, cut to the IP total length when known.
    pub fn parse(b: &'a [u8]) -> Result<Igmp<'a>, Stop> {
        need(b, 8)?;
        let msg_type = b[0];
        let group: [u8; 4] = b[4..8].try_into().unwrap();
        let mut m = Igmp {
            msg_type,
            version: 2,
            max_resp_code: b[1],
            group,
            body: &[],
            count: 0,
        };
        match msg_type {
            MEMBERSHIP_QUERY => {
                if b.len() >= 12 {
                    m.version = 3;
                    m.count = be16(b, 10);
                    m.body = &b[12..];
                } else if b[1] == 0 {
                    m.version = 1;
                }
            }
            V1_REPORT => m.version = 1,
            V2_REPORT | V2_LEAVE => m.version = 2,
            V3_REPORT => {
                m.version = 3;
                m.count = be16(b, 6);
                m.group = [0; 4];
                m.body = &b[8..];
            }
            _ => m.version = 0,
        }
        Ok(m)
    }

    /// Sources of a v3 group-and-source-specific query (as many as fit).
    pub fn query_sources(&self) -> impl Iterator<Item = [u8; 4]> + 'a {
        let n = if self.msg_type == MEMBERSHIP_QUERY {
            (self.count as usize).min(self.body.len() / 4)
        } else {
            0
        };
        self.body[..n * 4]
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
    }

    /// The group records of a v3 report. The second value is false when the announced count
    /// or a record's source count runs past the message (the records that fit are returned).
    /// Nothing is allocated: a report may announce 65,535 records, and this runs for every
    /// IGMP frame of a scan, twice (the decoder's check and the row builder).
    pub fn records(&self) -> (Records<'a>, bool) {
        let records = Records {
            rest: self.body,
            left: if self.msg_type == V3_REPORT {
                self.count
            } else {
                0
            },
        };
        let announced = usize::from(records.left);
        let complete = records.clone().count() == announced;
        (records, complete)
    }
}

/// The group records of a v3 report, read one by one from the message (see [`Igmp::records`]).
#[derive(Debug, Clone)]
pub struct Records<'a> {
    rest: &'a [u8],
    /// Records still announced.
    left: u16,
}

impl<'a> Iterator for Records<'a> {
    type Item = GroupRecord<'a>;

    fn next(&mut self) -> Option<GroupRecord<'a>> {
        let rest = self.rest;
        if self.left == 0 || rest.len() < 8 {
            return None;
        }
        let aux = rest[1] as usize * 4;
        let nsrc = be16(rest, 2) as usize;
        let len = 8 + nsrc * 4 + aux;
        if rest.len() < len {
            self.left = 0;
            return None;
        }
        self.left -= 1;
        self.rest = &rest[len..];
        Some(GroupRecord {
            record_type: rest[0],
            group: rest[4..8].try_into().unwrap(),
            sources: &rest[8..8 + nsrc * 4],
        })
    }
}
