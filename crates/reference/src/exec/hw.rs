//! `flashcheck hw`: prints the machine's topology and the executor layout it implies, as
//! text or JSON (the command parses its arguments and calls [`run`]).

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;
use thiserror::Error;

use super::sysfs::format_cpulist;
use super::topology::{ExecutorLayout, SimdFeatures, Topology, TopologyError};

/// What `flashcheck hw` prints and where it reads from.
#[derive(Debug, Clone, Default)]
pub struct HwOptions {
    /// Print JSON instead of text.
    pub json: bool,
    /// Read sysfs/procfs under this directory instead of `/` (for fixtures); the affinity
    /// mask is then taken to be all online CPUs.
    pub root: Option<PathBuf>,
}

/// Why `hw` could not report.
#[derive(Debug, Error)]
pub enum HwError {
    #[error(transparent)]
    Topology(#[from] TopologyError),
    #[error("cannot write the report: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot encode the report: {0}")]
    Json(#[from] serde_json::Error),
}

#[derive(Serialize)]
struct HwReport<'a> {
    topology: &'a Topology,
    layout: &'a ExecutorLayout,
}

/// Runs `hw`, writing to `out`.
pub fn run(args: &HwOptions, out: &mut dyn Write) -> Result<(), HwError> {
    let topology = match &args.root {
        Some(root) => Topology::read(root, None, SimdFeatures::detect())?,
        None => Topology::detect()?,
    };
    let layout = topology.layout();
    if args.json {
        let report = HwReport {
            topology: &topology,
            layout: &layout,
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out.write_all(render_text(&topology, &layout).as_bytes())?;
    }
    Ok(())
}

fn yes_no(flag: bool) -> &'static str {
    if flag {
        "yes"
    } else {
        "no"
    }
}

fn human_bytes(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.trailing_zeros() >= 20 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.trailing_zeros() >= 10 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} B")
    }
}

/// The text form of the report.
pub fn render_text(topology: &Topology, layout: &ExecutorLayout) -> String {
    let mut text = String::new();
    let mut line = |content: String| {
        text.push_str(&content);
        text.push('\n');
    };
    line(format!(
        "cpus online:   {}",
        format_cpulist(&topology.online_cpus)
    ));
    line(format!(
        "cpus allowed:  {}",
        format_cpulist(&topology.allowed_cpus)
    ));
    if topology.numa_nodes.is_empty() {
        line("numa nodes:    none exposed by the kernel".to_string());
    } else {
        line(format!("numa nodes:    {}", topology.numa_nodes.len()));
        for (node, cpus) in &topology.numa_nodes {
            line(format!("  node {node}:      cpus {}", format_cpulist(cpus)));
        }
    }
    match topology.cache_line_bytes() {
        Some(bytes) => line(format!("cache line:    {bytes} B")),
        None => line("cache line:    unknown (no cache information)".to_string()),
    }
    for cache in &topology.caches {
        line(format!(
            "  L{} {:<12} {:>9}, shared by cpus {}",
            cache.level,
            cache.kind,
            human_bytes(cache.size_bytes),
            format_cpulist(&cache.shared_with)
        ));
    }
    line("huge pages:".to_string());
    for pool in &topology.huge_pages.pools {
        line(format!(
            "  {:>9} pages: {} reserved, {} free",
            human_bytes(pool.page_kib * 1024),
            pool.total,
            pool.free
        ));
    }
    line(format!(
        "  transparent:   {}",
        topology
            .huge_pages
            .transparent_mode
            .as_deref()
            .unwrap_or("unavailable")
    ));
    if let Some(kib) = topology.huge_pages.anon_huge_kib {
        line(format!("  anon huge:     {kib} KiB in use"));
    }
    let simd = &topology.simd;
    line(format!(
        "simd:          sse4.2 {}, avx2 {}, avx512f {}",
        yes_no(simd.sse4_2),
        yes_no(simd.avx2),
        yes_no(simd.avx512f)
    ));
    line(String::new());
    line(format!(
        "layout:        {:?} executor, {} worker(s), {} inventory shard(s) aligned to {} B",
        layout.executor, layout.workers, layout.inventory_shards, layout.shard_alignment_bytes
    ));
    for placement in &layout.placements {
        let node = placement
            .numa_node
            .map_or_else(|| "?".to_string(), |node| node.to_string());
        line(format!(
            "  worker {} -> cpu {} (node {node})",
            placement.worker, placement.cpu
        ));
    }
    for reason in &layout.reasons {
        line(format!("  - {reason}"));
    }
    text
}
