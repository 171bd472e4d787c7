//! `flashcheck check … --processes N` (one process of a check across processes) and
//! `flashcheck cluster manifest` (the Kubernetes objects that start them).

use super::print_report;
use crate::check::cluster::{hosts, manifest, ClusterOptions};
use crate::check::CheckOptions;
use crate::cli::{CheckArgs, ClusterCommand};
use crate::outcome;
use crate::registry::Registry;
use anyhow::{Context, Result};
use std::time::Duration;

/// Runs one process of `flashcheck check --processes N --process I --hosts FILE`.
pub fn check(args: &CheckArgs, registry: &Registry) -> Result<outcome::Outcome> {
    let c = &args.cluster;
    let (Some(processes), Some(process), Some(hosts_file)) = (c.processes, c.process, &c.hosts)
    else {
        anyhow::bail!("--processes needs --process and --hosts");
    };
    let hosts = hosts::read(hosts_file, processes as usize)?;
    let mut cluster = ClusterOptions::new(process as usize, hosts)?;
    cluster.listen.clone_from(&c.listen);
    if let Some(secs) = c.connect_timeout {
        cluster.connect_timeout = Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .with_context(|| {
                format!("--connect-timeout {secs}: not a positive number of seconds")
            })?;
    }
    let (constants, port) = args.model.build(registry)?;
    let mut options = CheckOptions {
        threads: args.threads.unwrap_or(1) as usize,
        ..CheckOptions::default()
    };
    options.limits.max_states = args.max_states;
    options.limits.timeout = super::check::timeout(args.timeout)?;
    options.liveness = !args.safety_only;
    let name = args.model.model.as_str();
    let command = format!("flashcheck check {name} {}", constants.as_args());
    if std::env::var_os("FLASHCHECK_CLUSTER_TIMING").is_some_and(|v| v == "1") {
        cluster.on_connected = Some(|process, processes, secs| {
            eprintln!("cluster: process {process} of {processes} connected in {secs:.3} s");
        });
    }
    let outcome = port
        .checkable()
        .check_cluster(name, command, &options, &cluster)?;
    match outcome.report {
        Some(mut report) => {
            port.annotate(&mut report);
            print_report(&report, &args.output);
            Ok(report.outcome())
        }
        None => Ok(outcome::Outcome::Holds),
    }
}

/// Runs `flashcheck cluster …`.
pub fn run(command: &ClusterCommand) -> Result<outcome::Outcome> {
    match command {
        ClusterCommand::Manifest(args) => {
            let text = manifest::render(&manifest::Manifest {
                name: args.name.clone(),
                image: args.image.clone(),
                processes: args.processes,
                threads: args.threads,
                memory: args.memory.clone(),
                port: args.port,
                deadline_s: args.deadline,
                check: args.check.clone(),
            })?;
            print!("{text}");
            Ok(outcome::Outcome::Holds)
        }
    }
}
