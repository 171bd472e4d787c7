//! Reading a file the user named: regular files only, up to a size bound, so a FIFO, a
//! device (`/dev/zero`) or a directory is refused with one line instead of blocking, reading
//! forever or filling memory.

use std::io::{self, Read};
use std::path::Path;

/// The bound for design inputs (saga YAML, breaker/scenario/claims TOML): 16 MiB, far above
/// any real design file.
pub const SPEC_LIMIT: u64 = 16 << 20;

/// The bound for ITF traces: 256 MiB (a trace is read one state at a time; see
/// `trace::Trace::read`).
pub const TRACE_LIMIT: u64 = 256 << 20;

/// The text of the regular file `path`, refused (an `InvalidInput` error saying why) when it
/// is not a regular file, is larger than `limit` bytes or is not UTF-8. A leading UTF-8 byte
/// order mark is kept: the parsers decide what to do with it.
pub fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    let bytes = read_bytes(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The bytes of the regular file `path`, with the checks of [`read_text`].
pub fn read_bytes(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let kind = std::fs::metadata(path)?.file_type();
    if !kind.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file ({})", describe(kind)),
        ));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("larger than the {} MiB accepted", limit >> 20),
        ));
    }
    Ok(bytes)
}

fn describe(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// `text` without a leading UTF-8 byte order mark (editors on Windows write one).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_oversized_files_are_refused() {
        let e = read_text(Path::new("/dev/zero"), SPEC_LIMIT).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(dir.path(), SPEC_LIMIT).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; 2 << 20]).unwrap();
        let e = read_text(&big, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("larger than the 1 MiB"), "{e}");
        assert_eq!(read_text(&big, 2 << 20).unwrap().len(), 2 << 20);
    }
}
