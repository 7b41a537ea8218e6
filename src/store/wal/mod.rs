//! Reads SQLite's write-ahead log before SQLite does, to tell whether committed writes in it
//! are damaged. SQLite silently stops replaying the log at the first frame whose checksum fails
//! (https://www.sqlite.org/fileformat2.html#walformat); anything after it is lost without a
//! word, so the store checks first and reports the loss.

/// Bytes of the WAL header and of each frame header.
const HEADER: usize = 32;
const FRAME_HEADER: usize = 24;

/// What the log holds, as SQLite will see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalReport {
    /// Committed transactions SQLite will replay.
    pub readable_commits: u64,
    /// Committed transactions of the current log SQLite will skip because a frame at or
    /// before them is damaged (or the log header itself is).
    pub lost_commits: u64,
    /// The header's checksum fails: SQLite ignores the whole log.
    pub header_damaged: bool,
    /// The log ends part-way through a frame: a write torn at a power loss, or the file cut
    /// short. SQLite never writes part of a frame, so what was being written is lost.
    pub truncated: bool,
}

impl WalReport {
    /// Whether data that had been committed will not come back.
    pub fn is_damaged(&self) -> bool {
        self.header_damaged || self.lost_commits > 0 || self.truncated
    }
}

/// Inspects the bytes of a `-wal` file. Never panics, whatever the input.
pub fn inspect(bytes: &[u8]) -> WalReport {
    let mut report = WalReport::default();
    if bytes.len() < HEADER {
        return report;
    }
    let magic = be32(bytes, 0);
    let big_endian = match magic {
        0x377f_0682 => false,
        0x377f_0683 => true,
        // Not a log SQLite would read (or the magic itself was hit).
        _ => {
            report.header_damaged = bytes.len() > HEADER;
            return report;
        }
    };
    let page_size = be32(bytes, 8) as usize;
    let (h1, h2) = checksum(big_endian, (0, 0), &bytes[..24]);
    if !(512..=65_536).contains(&page_size)
        || !page_size.is_power_of_two()
        || (h1, h2) != (be32(bytes, 24), be32(bytes, 28))
    {
        report.header_damaged = bytes.len() > HEADER;
        report.lost_commits = count_commits(bytes, page_size, None);
        return report;
    }
    let salts = (be32(bytes, 16), be32(bytes, 20));
    let frame_len = FRAME_HEADER + page_size;
    let mut sums = (h1, h2);
    let mut offset = HEADER;
    while offset + frame_len <= bytes.len() {
        let frame = &bytes[offset..offset + frame_len];
        let same_log = (be32(frame, 8), be32(frame, 12)) == salts;
        let after_header = checksum(big_endian, sums, &frame[..8]);
        let after_page = checksum(big_endian, after_header, &frame[FRAME_HEADER..]);
        let valid =
            same_log && be32(frame, 0) != 0 && after_page == (be32(frame, 16), be32(frame, 20));
        if !valid {
            // Frames of an older log (other salts) are normal leftovers; frames of this log
            // past a bad one are committed data SQLite will not replay.
            report.lost_commits = count_commits(&bytes[offset..], page_size, Some(salts));
            return report;
        }
        sums = after_page;
        if be32(frame, 4) != 0 {
            report.readable_commits += 1;
        }
        offset += frame_len;
    }
    report.truncated = offset < bytes.len();
    report
}

/// Commit frames (non-zero "size after commit") in `frames`, of the log with `salts` if given.
fn count_commits(frames: &[u8], page_size: usize, salts: Option<(u32, u32)>) -> u64 {
    if !(512..=65_536).contains(&page_size) {
        return 0;
    }
    frames
        .chunks_exact(FRAME_HEADER + page_size)
        .filter(|f| salts.is_none_or(|s| (be32(f, 8), be32(f, 12)) == s) && be32(f, 4) != 0)
        .count() as u64
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes)
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `sums`.
fn checksum(big_endian: bool, sums: (u32, u32), data: &[u8]) -> (u32, u32) {
    let (mut s0, mut s1) = sums;
    for pair in data.chunks_exact(8) {
        let word = |b: &[u8]| {
            let w = [b[0], b[1], b[2], b[3]];
            if big_endian {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            }
        };
        s0 = s0.wrapping_add(word(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(word(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}

#[cfg(test)]
mod tests;
