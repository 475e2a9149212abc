//! Deterministic mutants of a file, for the fault tests: each a small damage
//! a snapshot can suffer on disk or by hand.

/// Mutants of a snapshot: byte flips, cuts, duplicated and dropped lines, and
/// inserted lines of every hostile kind (`inserts`), in turn. Deterministic:
/// the same file gives the same mutants.
pub struct Mutator<'a> {
    text: &'a [u8],
    lines: Vec<&'a [u8]>,
    inserts: &'a [&'a str],
    seed: u64,
}

impl<'a> Mutator<'a> {
    pub fn new(text: &'a [u8], inserts: &'a [&'a str]) -> Self {
        Mutator {
            text,
            lines: text.split_inclusive(|&b| b == b'\n').collect(),
            inserts,
            seed: 0x2545_f491_4f6c_dd1d,
        }
    }

    /// xorshift: a number below `n`.
    fn next(&mut self, n: usize) -> usize {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (self.seed % n as u64) as usize
    }

    /// Mutant number `i`; its kind is `i % 5`.
    pub fn mutant(&mut self, i: usize) -> Vec<u8> {
        let mut m: Vec<u8> = Vec::new();
        match i % 5 {
            0 => {
                m = self.text.to_vec();
                let at = self.next(m.len());
                m[at] ^= 1 << self.next(8);
            }
            1 => m.extend_from_slice(&self.text[..self.next(self.text.len())]),
            2 => {
                let dup = self.next(self.lines.len());
                for (j, l) in self.lines.iter().enumerate() {
                    m.extend_from_slice(l);
                    if j == dup {
                        m.extend_from_slice(l);
                    }
                }
            }
            3 => {
                let drop = self.next(self.lines.len());
                for (j, l) in self.lines.iter().enumerate() {
                    if j != drop {
                        m.extend_from_slice(l);
                    }
                }
            }
            _ => {
                let at = self.next(self.lines.len());
                let stmt = self.inserts[self.next(self.inserts.len())];
                for (j, l) in self.lines.iter().enumerate() {
                    if j == at {
                        m.extend_from_slice(stmt.as_bytes());
                    }
                    m.extend_from_slice(l);
                }
            }
        }
        m
    }
}
