//! Order-independent content checksums over rows in a text form.
//!
//! Each row is hashed on its own (xxh3-128) and the hashes are added modulo
//! 2^128, so the result does not depend on row order, and a table can be
//! hashed while it streams, in any number of pieces.

use xxhash_rust::xxh3::xxh3_128;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RowChecksum {
    rows: u64,
    sum: u128,
}

impl RowChecksum {
    pub fn add_row(&mut self, row: &[u8]) {
        self.rows += 1;
        self.sum = self.sum.wrapping_add(xxh3_128(row));
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Adds the rows of another piece of the same table.
    pub fn merge(&mut self, other: &RowChecksum) {
        self.rows += other.rows;
        self.sum = self.sum.wrapping_add(other.sum);
    }

    /// `xxh3:<hex>`: the algorithm is named so that a different one can never match.
    pub fn hex(&self) -> String {
        format!("xxh3:{:032x}", self.sum)
    }
}

/// Splits streamed text into lines (rows), keeping an incomplete last line
/// for the next piece. Lines are passed without their newline.
#[derive(Debug, Default)]
pub struct LineHasher {
    pub checksum: RowChecksum,
    partial: Vec<u8>,
}

impl LineHasher {
    pub fn feed(&mut self, mut data: &[u8]) {
        if !self.partial.is_empty() {
            match memchr::memchr(b'\n', data) {
                Some(end) => {
                    self.partial.extend_from_slice(&data[..end]);
                    self.checksum.add_row(&self.partial);
                    self.partial.clear();
                    data = &data[end + 1..];
                }
                None => {
                    self.partial.extend_from_slice(data);
                    return;
                }
            }
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', data) {
            self.checksum.add_row(&data[start..end]);
            start = end + 1;
        }
        self.partial.extend_from_slice(&data[start..]);
    }

    /// The checksum of all complete lines; an unterminated tail counts as a line.
    pub fn finish(mut self) -> RowChecksum {
        if !self.partial.is_empty() {
            let tail = std::mem::take(&mut self.partial);
            self.checksum.add_row(&tail);
        }
        self.checksum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_but_content_does() {
        let mut a = LineHasher::default();
        a.feed(b"1\tx\n2\ty\n");
        let mut b = LineHasher::default();
        b.feed(b"2\ty\n1\tx\n");
        let mut c = LineHasher::default();
        c.feed(b"2\ty\n1\tz\n");
        let (a, b, c) = (a.finish(), b.finish(), c.finish());
        assert_eq!(a, b);
        assert_ne!(a.hex(), c.hex());
        assert_eq!(a.rows(), 2);
    }

    #[test]
    fn pieces_split_anywhere_give_the_same_sum() {
        let data = b"alpha\nbeta\n\ngamma\n";
        let mut whole = LineHasher::default();
        whole.feed(data);
        for cut in 0..data.len() {
            let mut split = LineHasher::default();
            split.feed(&data[..cut]);
            split.feed(&data[cut..]);
            assert_eq!(
                split.finish(),
                LineHasher {
                    ..Default::default()
                }
                .tap_feed(data),
                "cut at {cut}"
            );
        }
        assert_eq!(whole.finish().rows(), 4);
    }

    impl LineHasher {
        fn tap_feed(mut self, data: &[u8]) -> RowChecksum {
            self.feed(data);
            self.finish()
        }
    }
}
