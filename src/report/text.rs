//! text exporter (filled in below).
