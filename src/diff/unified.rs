//! A unified diff of two small texts (one object's DDL), by longest common
//! subsequence of lines.

/// Lines of context around each change.
const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Removed,
    Added,
}

/// `@@ -a,b +c,d @@` hunks with ` `, `-` and `+` lines; empty if equal.
pub fn unified_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = edit_script(&a, &b);
    let mut out = String::new();
    // Positions in a and b at each step of the script.
    let mut pos = Vec::with_capacity(ops.len());
    let (mut i, mut j) = (0, 0);
    for op in &ops {
        pos.push((i, j));
        match op {
            Op::Same => {
                i += 1;
                j += 1;
            }
            Op::Removed => i += 1,
            Op::Added => j += 1,
        }
    }
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k] != Op::Same).collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CONTEXT);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * CONTEXT + 1 {
            end = changed[k];
            k += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let (a0, b0) = pos[start];
        let count = |which: Op| {
            ops[start..end]
                .iter()
                .filter(|&&o| o == Op::Same || o == which)
                .count()
        };
        let (na, nb) = (count(Op::Removed), count(Op::Added));
        out += &format!("@@ -{} +{} @@\n", range(a0, na), range(b0, nb));
        let (mut i, mut j) = (a0, b0);
        for op in &ops[start..end] {
            match op {
                Op::Same => {
                    out += &format!(" {}\n", a[i]);
                    i += 1;
                    j += 1;
                }
                Op::Removed => {
                    out += &format!("-{}\n", a[i]);
                    i += 1;
                }
                Op::Added => {
                    out += &format!("+{}\n", b[j]);
                    j += 1;
                }
            }
        }
    }
    out
}

/// `start,count` as diff(1) writes it (1-based; `n,0` for an empty range).
fn range(start: usize, count: usize) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{count}", start + 1),
    }
}

fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    // Common head and tail first: most objects differ in a line or two.
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let (n, m) = (am.len(), bm.len());
    // lcs[i][j]: length of the LCS of am[i..] and bm[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if am[i] == bm[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let mut ops = vec![Op::Same; head];
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && am[i] == bm[j] {
            ops.push(Op::Same);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[at(i + 1, j)] >= lcs[at(i, j + 1)]) {
            ops.push(Op::Removed);
            i += 1;
        } else {
            ops.push(Op::Added);
            j += 1;
        }
    }
    ops.extend(std::iter::repeat_n(Op::Same, tail));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_changed_line_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\n";
        assert_eq!(
            unified_diff(old, new),
            "@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
        );
    }

    #[test]
    fn added_and_removed_lines() {
        assert_eq!(unified_diff("x\n", "x\ny\n"), "@@ -1 +1,2 @@\n x\n+y\n");
        assert_eq!(unified_diff("x\ny\n", "y\n"), "@@ -1,2 +1 @@\n-x\n y\n");
        assert_eq!(unified_diff("", "a\n"), "@@ -0,0 +1 @@\n+a\n");
        assert_eq!(unified_diff("same\n", "same\n"), "");
    }

    #[test]
    fn distant_changes_make_two_hunks() {
        let old: String = (0..20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("2\n", "two\n").replace("17\n", "seventeen\n");
        let diff = unified_diff(&old, &new);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
    }
}
