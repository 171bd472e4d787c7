//! Topology reading from fixture sysfs trees, the layout it implies, and `flashcheck hw`.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use flashcheck::exec::hw::render_text;
use flashcheck::exec::topology::{ExecutorKind, SimdFeatures, Topology};

fn write(root: &Path, relative: &str, content: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// A two-socket machine: CPUs 0-3 on node 0, 4-7 on node 1, 2 MiB pages reserved.
fn two_node_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "sys/devices/system/cpu/online", "0-7\n");
    write(root, "sys/devices/system/node/node0/cpulist", "0-3\n");
    write(root, "sys/devices/system/node/node1/cpulist", "4-7\n");
    write(root, "sys/devices/system/node/online", "0-1\n");
    for (index, level, kind, size, shared) in [
        (0, 1, "Data", "32K", "0"),
        (1, 1, "Instruction", "32K", "0"),
        (2, 2, "Unified", "1024K", "0"),
        (3, 3, "Unified", "16384K", "0-3"),
    ] {
        let dir = format!("sys/devices/system/cpu/cpu0/cache/index{index}");
        write(root, &format!("{dir}/level"), &format!("{level}\n"));
        write(root, &format!("{dir}/type"), &format!("{kind}\n"));
        write(root, &format!("{dir}/size"), &format!("{size}\n"));
        write(root, &format!("{dir}/coherency_line_size"), "64\n");
        write(
            root,
            &format!("{dir}/shared_cpu_list"),
            &format!("{shared}\n"),
        );
    }
    write(
        root,
        "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
        "512\n",
    );
    write(
        root,
        "sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
        "500\n",
    );
    write(
        root,
        "sys/kernel/mm/transparent_hugepage/enabled",
        "[always] madvise never\n",
    );
    write(
        root,
        "proc/meminfo",
        "MemTotal:       24000000 kB\nAnonHugePages:    204800 kB\nHugePages_Total:     512\n",
    );
    dir
}

const NO_SIMD: SimdFeatures = SimdFeatures {
    sse4_2: true,
    avx2: true,
    avx512f: false,
};

#[test]
fn two_node_machine_gets_node_local_pinned_workers() {
    let fixture = two_node_fixture();
    let topology = Topology::read(fixture.path(), None, NO_SIMD).unwrap();
    assert_eq!(topology.node_of(5), Some(1));
    let layout = topology.layout();
    assert_eq!(layout.executor, ExecutorKind::Pinned);
    assert_eq!(
        layout
            .placements
            .iter()
            .filter(|p| p.numa_node == Some(1))
            .count(),
        4
    );
    insta::assert_snapshot!(render_text(&topology, &layout), @r###"
    cpus online:   0-7
    cpus allowed:  0-7
    numa nodes:    2
      node 0:      cpus 0-3
      node 1:      cpus 4-7
    cache line:    64 B
      L1 Data            32 KiB, shared by cpus 0
      L1 Instruction     32 KiB, shared by cpus 0
      L2 Unified          1 MiB, shared by cpus 0
      L3 Unified         16 MiB, shared by cpus 0-3
    huge pages:
          2 MiB pages: 512 reserved, 500 free
      transparent:   always
      anon huge:     204800 KiB in use
    simd:          sse4.2 yes, avx2 yes, avx512f no

    layout:        Pinned executor, 8 worker(s), 8 inventory shard(s) aligned to 128 B
      worker 0 -> cpu 0 (node 0)
      worker 1 -> cpu 1 (node 0)
      worker 2 -> cpu 2 (node 0)
      worker 3 -> cpu 3 (node 0)
      worker 4 -> cpu 4 (node 1)
      worker 5 -> cpu 5 (node 1)
      worker 6 -> cpu 6 (node 1)
      worker 7 -> cpu 7 (node 1)
      - 8 usable CPUs on 2 NUMA node(s): one pinned worker per CPU (GOMAXPROCS = NumCPU, §2.5), each with its own queue and inventory shard
      - several NUMA nodes: each worker allocates its own shard so first-touch keeps it node-local (§2.6)
      - cache line 64 B: shards padded to 128 B because adjacent-line prefetch couples line pairs
      - 500 free 2 MiB huge pages: back large buffers with them (§2.6)
      - no AVX-512: the seed's -mavx512f build would not run here; the stores need only atomics
    "###);
}

#[test]
fn a_restricted_affinity_mask_limits_the_layout() {
    let fixture = two_node_fixture();
    let topology = Topology::read(fixture.path(), Some(BTreeSet::from([6])), NO_SIMD).unwrap();
    let layout = topology.layout();
    assert_eq!((layout.executor, layout.workers), (ExecutorKind::Inline, 1));
}

#[test]
fn missing_optional_files_are_reported_as_absent() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sys/devices/system/cpu/online", "0\n");
    let topology = Topology::read(dir.path(), None, NO_SIMD).unwrap();
    assert!(topology.numa_nodes.is_empty() && topology.caches.is_empty());
    assert_eq!(topology.huge_pages.transparent_mode, None);
    assert!(render_text(&topology, &topology.layout())
        .contains("numa nodes:    none exposed by the kernel"));
}

#[test]
fn a_malformed_file_is_named_in_the_error() {
    let fixture = two_node_fixture();
    write(
        fixture.path(),
        "sys/devices/system/node/node1/cpulist",
        "4-x\n",
    );
    let err = Topology::read(fixture.path(), None, NO_SIMD).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("node1/cpulist: `x` is not a CPU number"),
        "{err}"
    );
}

#[test]
fn hw_command_prints_text_and_json_and_exits_2_on_bad_input() {
    let fixture = two_node_fixture();
    let output = Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["hw", "--root"])
        .arg(fixture.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8(output.stdout)
        .unwrap()
        .contains("node 1:      cpus 4-7"));

    let output = Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["hw", "--json", "--root"])
        .arg(fixture.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["layout"]["executor"], "pinned");
    assert_eq!(
        json["topology"]["numa_nodes"]["1"],
        serde_json::json!([4, 5, 6, 7])
    );

    let empty = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("flashcheck")
        .unwrap()
        .args(["hw", "--root"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("sys/devices/system/cpu/online"), "{stderr}");
}

#[test]
fn this_machine_can_be_read() {
    let topology = Topology::detect().unwrap();
    assert!(!topology.allowed_cpus.is_empty());
    assert!(topology.allowed_cpus.is_subset(&topology.online_cpus));
}
