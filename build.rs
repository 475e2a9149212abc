//! Stamps the git commit into `dbsnap --version`, or "unknown" when the
//! source is not a git checkout (a crate tarball, `cargo install` from a copy).

use std::process::Command;

fn main() {
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=DBSNAP_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves: HEAD changes on checkout, logs/HEAD on commit.
    // (In a worktree `.git` is a file; ask git where its directory is.)
    let git_dir = git(&["rev-parse", "--git-dir"]);
    if let Some(dir) = git_dir {
        for name in ["HEAD", "logs/HEAD"] {
            let path = std::path::Path::new(&dir).join(name);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// A git command's trimmed output, or None without git or outside a checkout.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_string())
}
