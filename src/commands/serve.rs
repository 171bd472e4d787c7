//! `flashcheck serve-reference`: the reference inventory over the HTTP JSON protocol of
//! `replay --target http://…`, until killed.

use crate::cli::ServeReferenceArgs;
use crate::target::http_front::HttpFront;
use anyhow::Result;
use std::io::Write;

/// Serves; prints the URL as the first line of stdout (a test reads it to learn the port).
pub fn serve_reference(args: &ServeReferenceArgs) -> Result<crate::outcome::Outcome> {
    let front = HttpFront::start(&args.listen, args.deduction, args.workers)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "serving the reference inventory ({:?}) on {}",
        args.deduction,
        front.url()
    )?;
    out.flush()?;
    drop(out);
    front.wait();
    Ok(crate::outcome::Outcome::Holds)
}
