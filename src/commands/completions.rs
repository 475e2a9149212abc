//! `dbsnap completions SHELL`: a completion script generated from the clap
//! definitions, so it never falls behind the flags.

use anyhow::Result;

use crate::cli::{command, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> Result<u8> {
    let mut cmd = command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "dbsnap", &mut out);
    Ok(0)
}
