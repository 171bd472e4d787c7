//! The machine as the executors see it: CPUs, NUMA nodes, caches, huge pages and SIMD
//! features, read from a filesystem root (normally `/`, a fixture tree in tests), and the
//! executor layout that follows from them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;

use super::sysfs::{
    parse_cache_size, parse_cpulist, parse_meminfo, parse_selected_mode, ParseError,
};

/// A file that could not be read or parsed.
#[derive(Debug, Error)]
pub enum TopologyError {
    #[error("{path}: {source}", path = .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}", path = .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: ParseError,
    },
    #[error("cannot read this thread's CPU affinity: {0}")]
    Affinity(#[source] std::io::Error),
}

/// SIMD instruction sets the code could use (§2.6 asks for AVX-512).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SimdFeatures {
    pub sse4_2: bool,
    pub avx2: bool,
    pub avx512f: bool,
}

impl SimdFeatures {
    /// Asks the CPU (CPUID) on x86-64; reports none elsewhere.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            SimdFeatures {
                sse4_2: std::arch::is_x86_feature_detected!("sse4.2"),
                avx2: std::arch::is_x86_feature_detected!("avx2"),
                avx512f: std::arch::is_x86_feature_detected!("avx512f"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            SimdFeatures {
                sse4_2: false,
                avx2: false,
                avx512f: false,
            }
        }
    }
}

/// One cache as seen from CPU 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheInfo {
    pub level: u32,
    pub kind: String,
    pub size_bytes: u64,
    pub line_bytes: u64,
    pub shared_with: BTreeSet<usize>,
}

/// One pool of explicit huge pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HugePagePool {
    pub page_kib: u64,
    pub total: u64,
    pub free: u64,
}

/// Huge-page availability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HugePages {
    pub pools: Vec<HugePagePool>,
    /// Transparent huge pages mode (`always`, `madvise`, `never`), if the kernel has THP.
    pub transparent_mode: Option<String>,
    /// `AnonHugePages` from /proc/meminfo, in KiB.
    pub anon_huge_kib: Option<u64>,
}

/// The executor kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutorKind {
    Inline,
    Pool,
    Pinned,
}

/// Where one pinned worker and its shard go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CpuPlacement {
    pub worker: usize,
    pub cpu: usize,
    pub numa_node: Option<usize>,
}

/// The layout the hardware suggests, with the reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecutorLayout {
    pub executor: ExecutorKind,
    pub workers: usize,
    pub inventory_shards: usize,
    pub shard_alignment_bytes: usize,
    pub placements: Vec<CpuPlacement>,
    pub reasons: Vec<String>,
}

/// Everything read about the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topology {
    pub online_cpus: BTreeSet<usize>,
    pub allowed_cpus: BTreeSet<usize>,
    /// NUMA node → its CPUs; empty when the kernel exposes no NUMA nodes.
    pub numa_nodes: BTreeMap<usize, BTreeSet<usize>>,
    pub caches: Vec<CacheInfo>,
    pub huge_pages: HugePages,
    pub simd: SimdFeatures,
}

impl Topology {
    /// Reads this machine: `/` for files, this thread's affinity mask, CPUID for SIMD.
    pub fn detect() -> Result<Self, TopologyError> {
        let allowed = super::affinity::allowed_cpus().map_err(TopologyError::Affinity)?;
        Self::read(Path::new("/"), Some(allowed), SimdFeatures::detect())
    }

    /// Reads the files under `root`. `allowed` defaults to the online CPUs when not given
    /// (fixtures have no affinity mask).
    pub fn read(
        root: &Path,
        allowed: Option<BTreeSet<usize>>,
        simd: SimdFeatures,
    ) -> Result<Self, TopologyError> {
        let online_cpus = parse_at(root, "sys/devices/system/cpu/online", parse_cpulist)?;
        let allowed_cpus =
            allowed.map_or_else(|| online_cpus.clone(), |allowed| &allowed & &online_cpus);
        Ok(Topology {
            numa_nodes: read_numa_nodes(root)?,
            caches: read_caches(root)?,
            huge_pages: read_huge_pages(root)?,
            online_cpus,
            allowed_cpus,
            simd,
        })
    }

    /// The NUMA node of `cpu`, if nodes are known.
    pub fn node_of(&self, cpu: usize) -> Option<usize> {
        self.numa_nodes
            .iter()
            .find(|(_, cpus)| cpus.contains(&cpu))
            .map(|(node, _)| *node)
    }

    /// The coherency line size of the first cache that reports one.
    pub fn cache_line_bytes(&self) -> Option<u64> {
        self.caches.first().map(|cache| cache.line_bytes)
    }

    /// The layout that follows from the hardware.
    pub fn layout(&self) -> ExecutorLayout {
        let placements: Vec<CpuPlacement> = self
            .allowed_cpus
            .iter()
            .enumerate()
            .map(|(worker, cpu)| CpuPlacement {
                worker,
                cpu: *cpu,
                numa_node: self.node_of(*cpu),
            })
            .collect();
        let mut reasons = Vec::new();
        let executor = if placements.len() <= 1 {
            reasons.push("one usable CPU: run tasks inline, one inventory shard".to_string());
            ExecutorKind::Inline
        } else {
            let nodes = self.numa_nodes.len();
            reasons.push(format!(
                "{} usable CPUs on {} NUMA node(s): one pinned worker per CPU (GOMAXPROCS = NumCPU, §2.5), each with its own queue and inventory shard",
                placements.len(),
                nodes.max(1)
            ));
            if nodes > 1 {
                reasons.push("several NUMA nodes: each worker allocates its own shard so first-touch keeps it node-local (§2.6)".to_string());
            } else {
                reasons.push(
                    "a single NUMA node: every shard is local; placement is trivially right"
                        .to_string(),
                );
            }
            ExecutorKind::Pinned
        };
        reasons.push(match self.cache_line_bytes() {
            Some(line) => format!("cache line {line} B: shards padded to 128 B because adjacent-line prefetch couples line pairs"),
            None => "cache line size unknown: shards padded to 128 B, enough for 64 B lines fetched in pairs".to_string(),
        });
        let free_2m = self
            .huge_pages
            .pools
            .iter()
            .find(|pool| pool.page_kib == 2048)
            .map_or(0, |pool| pool.free);
        if free_2m > 0 {
            reasons.push(format!(
                "{free_2m} free 2 MiB huge pages: back large buffers with them (§2.6)"
            ));
        } else {
            reasons.push(format!(
                "no free 2 MiB huge pages reserved (§2.6 asks for them); transparent huge pages: {}",
                self.huge_pages.transparent_mode.as_deref().unwrap_or("unavailable")
            ));
        }
        if !self.simd.avx512f {
            reasons.push("no AVX-512: the seed's -mavx512f build would not run here; the stores need only atomics".to_string());
        }
        let workers = placements.len().max(1);
        ExecutorLayout {
            executor,
            workers,
            inventory_shards: workers,
            shard_alignment_bytes: std::mem::align_of::<crate::inventory::StockShard>(),
            placements,
            reasons,
        }
    }
}

fn read_text(path: &Path) -> Result<String, TopologyError> {
    std::fs::read_to_string(path).map_err(|source| TopologyError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_at<T>(
    root: &Path,
    relative: &str,
    parse: impl Fn(&str) -> Result<T, ParseError>,
) -> Result<T, TopologyError> {
    let path = root.join(relative);
    let text = read_text(&path)?;
    parse(&text).map_err(|source| TopologyError::Parse { path, source })
}

fn parse_number(text: &str) -> Result<u64, ParseError> {
    text.trim()
        .parse()
        .map_err(|_| ParseError::BadSize(text.trim().to_string()))
}

/// Entries of `dir` named `<prefix><number>` (an optional `kB` suffix is ignored), keyed by
/// the number; an absent directory yields nothing.
fn numbered_entries(dir: &Path, prefix: &str) -> Result<BTreeMap<u64, PathBuf>, TopologyError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => {
            return Err(TopologyError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut found = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|source| TopologyError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(number) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.trim_end_matches("kB").parse().ok())
        {
            found.insert(number, entry.path());
        }
    }
    Ok(found)
}

fn read_numa_nodes(root: &Path) -> Result<BTreeMap<usize, BTreeSet<usize>>, TopologyError> {
    let mut nodes = BTreeMap::new();
    for (node, dir) in numbered_entries(&root.join("sys/devices/system/node"), "node")? {
        let path = dir.join("cpulist");
        let cpus = parse_cpulist(&read_text(&path)?)
            .map_err(|source| TopologyError::Parse { path, source })?;
        nodes.insert(node as usize, cpus);
    }
    Ok(nodes)
}

fn read_caches(root: &Path) -> Result<Vec<CacheInfo>, TopologyError> {
    let mut caches = Vec::new();
    for dir in numbered_entries(&root.join("sys/devices/system/cpu/cpu0/cache"), "index")?.values()
    {
        let field = |name: &str| read_text(&dir.join(name));
        let located = |name: &str, source| TopologyError::Parse {
            path: dir.join(name),
            source,
        };
        caches.push(CacheInfo {
            level: parse_number(&field("level")?).map_err(|e| located("level", e))? as u32,
            kind: field("type")?.trim().to_string(),
            size_bytes: parse_cache_size(&field("size")?).map_err(|e| located("size", e))?,
            line_bytes: parse_number(&field("coherency_line_size")?)
                .map_err(|e| located("coherency_line_size", e))?,
            shared_with: parse_cpulist(&field("shared_cpu_list")?)
                .map_err(|e| located("shared_cpu_list", e))?,
        });
    }
    Ok(caches)
}

fn read_huge_pages(root: &Path) -> Result<HugePages, TopologyError> {
    let mut pools = Vec::new();
    for (page_kib, dir) in numbered_entries(&root.join("sys/kernel/mm/hugepages"), "hugepages-")? {
        let count = |name: &str| {
            let path = dir.join(name);
            parse_number(&read_text(&path)?).map_err(|source| TopologyError::Parse { path, source })
        };
        pools.push(HugePagePool {
            page_kib,
            total: count("nr_hugepages")?,
            free: count("free_hugepages")?,
        });
    }
    let thp_path = root.join("sys/kernel/mm/transparent_hugepage/enabled");
    let transparent_mode = match std::fs::read_to_string(&thp_path) {
        Ok(text) => Some(
            parse_selected_mode(&text).map_err(|source| TopologyError::Parse {
                path: thp_path,
                source,
            })?,
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(TopologyError::Read {
                path: thp_path,
                source,
            })
        }
    };
    let meminfo_path = root.join("proc/meminfo");
    let anon_huge_kib = match std::fs::read_to_string(&meminfo_path) {
        Ok(text) => parse_meminfo(&text)
            .map_err(|source| TopologyError::Parse {
                path: meminfo_path,
                source,
            })?
            .get("AnonHugePages")
            .copied(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(TopologyError::Read {
                path: meminfo_path,
                source,
            })
        }
    };
    Ok(HugePages {
        pools,
        transparent_mode,
        anon_huge_kib,
    })
}
