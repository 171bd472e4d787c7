//! markdown exporter (filled in below).
