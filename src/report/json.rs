//! json exporter (filled in below).
