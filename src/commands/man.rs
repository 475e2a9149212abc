//! `dbsnap man`: the manual page in roff, generated from the clap
//! definitions (`dbsnap man | man -l -`, or save it as dbsnap.1).

use std::io::Write;

use anyhow::Result;

use crate::cli::command;

pub fn run() -> Result<u8> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command()).render(&mut page)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page)?;
    out.flush()?;
    Ok(0)
}
