//! Command-line arguments: definitions only. `src/main.rs` dispatches them.

pub mod arith;
pub mod pod_check;
pub mod values;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// flashcheck: verify the Double 11 flash-sale design before the midnight spike.
#[derive(Debug, Parser)]
#[command(name = "flashcheck", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a Rust port with stateright (safety, reachability, liveness under fairness).
    Check(CheckArgs),
    /// Check a TLA+ twin (or any spec) with TLC or tla-checker.
    Tla(TlaArgs),
    /// Check a Rust port and its TLA+ twin; fail unless state counts and verdicts agree.
    Cross(CrossArgs),
    /// Run every check on the built-in Double 11 scenario and write reports/.
    Audit(AuditArgs),
    /// Measure checking speed and memory (writes a Markdown table).
    Bench(BenchArgs),
    /// z3 proves or refutes the design document's arithmetic (quota, VCG, latency, claims).
    Arith(arith::ArithArgs),
    /// Write ITF traces: every counterexample, the shortest path to each `sometimes`
    /// property, and N seeded random walks.
    Traces(TracesArgs),
    /// Replay traces (or generated walks) against the reference implementation.
    Replay(ReplayArgs),
    /// Serve stateright's Explorer for a Rust port on 127.0.0.1 and print its URL; Ctrl-C
    /// stops it.
    Explore(ExploreArgs),
    /// Show the CPUs, NUMA nodes, caches, huge pages and SIMD features, and the executor
    /// layout that follows from them.
    Hw(HwArgs),
    /// Run `check` across machines: print the Kubernetes manifest that starts its processes.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Check a recorded history (Jepsen's history.txt or history.edn) for linearizability
    /// against a register, compare-and-set register, counter or stock model.
    Lincheck(LincheckArgs),
    /// Serve the reference inventory over the HTTP JSON protocol of `replay --target
    /// http://…` (README, "Targets") until killed; prints its URL first.
    ServeReference(ServeReferenceArgs),
    /// Test harness (tests/saga_crash.rs): run the seed's saga with its durable log in this
    /// process, to be killed at a chosen step.
    #[command(hide = true)]
    SagaChild(SagaChildArgs),
}

/// `flashcheck saga-child` (hidden): one session of the seed's saga (issue 15 item 5).
#[derive(Debug, Args)]
pub struct SagaChildArgs {
    /// The saga's durable log.
    #[arg(long, value_name = "FILE")]
    pub log: PathBuf,
    /// The services' durable ledger: one line per call (`execute 2 ok`, `compensate 1 fail`).
    #[arg(long, value_name = "FILE")]
    pub ledger: PathBuf,
    /// Resume the saga from its log instead of starting it.
    #[arg(long)]
    pub recover: bool,
    /// This step's service declines (the saga compensates).
    #[arg(long, value_name = "K")]
    pub fail_step: Option<usize>,
    /// This step's first compensation fails (the ledger remembers it did).
    #[arg(long, value_name = "J")]
    pub flaky_compensation: Option<usize>,
    /// Print each crash point; at point N stop and wait to be killed.
    #[arg(long, value_name = "N")]
    pub stop_at: Option<usize>,
    /// A deliberate bug (see `reference::Mutation`), to show the crash test catches it.
    #[arg(long, value_name = "NAME")]
    pub mutation: Option<String>,
}

/// `flashcheck serve-reference`.
#[derive(Debug, Args)]
pub struct ServeReferenceArgs {
    /// Where to listen; port 0 picks a free one (the URL printed says which).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: String,
    /// atomic (the reference implementation) or read_then_write (broken on purpose: reads
    /// the stock, waits a cache round trip, writes the value read minus one).
    #[arg(long, value_enum, default_value = "atomic")]
    pub deduction: crate::target::http_front::FrontDeduction,
    /// Worker threads answering requests.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub workers: usize,
}

/// A model and its constants.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The model (inventory-seed, inventory, saga-seed, saga, breaker-seed, breaker,
    /// token-bucket).
    pub model: String,
    /// A constant, NAME=VALUE (repeatable); unset ones take the built-in defaults.
    #[arg(short = 'c', long = "constant", value_name = "NAME=VALUE")]
    pub constants: Vec<String>,
    /// The saga definition the saga models are built from (saga.name,
    /// steps[].name/service/compensation); default: the seed's specs/create_order.saga.yaml,
    /// built in.
    #[arg(long, value_name = "FILE")]
    pub saga: Option<PathBuf>,
}

impl ModelArgs {
    /// The model of `registry` these arguments name, built from their constants and saga.
    pub fn build(
        &self,
        registry: &crate::registry::Registry,
    ) -> Result<(crate::registry::Constants, crate::registry::Port), crate::registry::BuildError>
    {
        crate::registry::build_port(
            registry.get(&self.model)?,
            &self.constants,
            self.saga.as_deref(),
        )
    }

    /// The command line `flashcheck SUBCOMMAND MODEL -c …` that reproduces a run with these
    /// model arguments: the constants after defaults and, when given, `--saga FILE`.
    pub fn reproduce(&self, subcommand: &str, constants: &crate::registry::Constants) -> String {
        let mut command = format!(
            "flashcheck {subcommand} {} {}",
            self.model,
            constants.as_args()
        );
        if let Some(saga) = &self.saga {
            command.push_str(&format!(" --saga {}", saga.display()));
        }
        command
    }
}

/// Output format flags.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print one JSON object (the stable schema in the README).
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print Markdown.
    #[arg(long)]
    pub markdown: bool,
}

/// `flashcheck check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Stop after this many distinct states (exit 3, partial results).
    #[arg(long, value_name = "N")]
    pub max_states: Option<u64>,
    /// Stop after this many seconds (exit 3, partial results).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Worker threads [default: one per core; at most 4 per core]. Liveness explores on
    /// one thread.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub threads: Option<u64>,
    /// Skip liveness (recording the state graph costs memory); liveness properties are then
    /// reported `unknown` and do not change the exit code.
    #[arg(long)]
    pub safety_only: bool,
    /// flashcheck (its own engine, the default) or stateright (stateright's own BFS
    /// checker: state counts and safety properties; liveness is reported `unknown`).
    #[arg(long, default_value = "flashcheck", value_name = "ENGINE")]
    pub engine: crate::check::CheckEngine,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `flashcheck check --processes N --process I --hosts FILE`: one process of a check across
/// processes (timely dataflow over TCP). `--threads` then counts timely workers per process
/// (default 1, so that every process runs the same number whatever its cores).
#[derive(Debug, Args, Default)]
pub struct ClusterArgs {
    /// Check across N processes (safety and reachability; liveness is reported unknown).
    /// Process 0 prints the report; the others print nothing but errors.
    #[arg(long, value_name = "N", requires_all = ["process", "hosts"],
          value_parser = clap::value_parser!(u64).range(1..), help_heading = "Across processes")]
    pub processes: Option<u64>,
    /// This process, 0 to N-1: its line of the hostfile.
    #[arg(
        long,
        value_name = "I",
        requires = "processes",
        help_heading = "Across processes"
    )]
    pub process: Option<u64>,
    /// One host:port per process, in process order (timely's hostfile).
    #[arg(
        long,
        value_name = "FILE",
        requires = "processes",
        help_heading = "Across processes"
    )]
    pub hosts: Option<PathBuf>,
    /// Listen on this address instead of this process's hostfile line (e.g. 0.0.0.0:PORT in
    /// a container).
    #[arg(
        long,
        value_name = "ADDR",
        requires = "processes",
        help_heading = "Across processes"
    )]
    pub listen: Option<String>,
    /// Give up when the processes are not all connected after this many seconds [default: 30].
    #[arg(
        long,
        value_name = "SECS",
        requires = "processes",
        help_heading = "Across processes"
    )]
    pub connect_timeout: Option<f64>,
}

/// `flashcheck cluster`.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Print a Kubernetes headless Service and Indexed Job that run
    /// `flashcheck check … --processes N` (apply it with `kubectl apply -f -`).
    Manifest(ManifestArgs),
}

/// `flashcheck cluster manifest`.
#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// Processes (pods).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub processes: u64,
    /// timely workers per process; also each pod's CPU request and limit.
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: u64,
    /// Each pod's memory request and limit, as Kubernetes writes it (e.g. 8Gi).
    #[arg(long, value_name = "M")]
    pub memory: String,
    /// The container image with `flashcheck` on its PATH.
    #[arg(long, value_name = "IMG", default_value = "flashcheck:latest")]
    pub image: String,
    /// Name of the Service and the Job (a DNS label).
    #[arg(long, value_name = "NAME", default_value = "flashcheck")]
    pub name: String,
    /// The port every process listens on.
    #[arg(long, value_name = "PORT", default_value_t = 2101)]
    pub port: u16,
    /// The Job's activeDeadlineSeconds: Kubernetes stops every pod after this long.
    #[arg(long, value_name = "SECS", default_value_t = 86_400,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub deadline: u64,
    /// The check to run, after `--`: `check <model> [-c NAME=VALUE]… [--json] …`.
    #[arg(last = true, required = true, value_name = "CHECK")]
    pub check: Vec<String>,
}

/// `flashcheck explore`.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// The port on 127.0.0.1; 0 (the default) takes a free one. The URL is printed either way.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub port: u16,
}

/// Where the TLA+ engine comes from.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// tlc (the engine of record) or tla-checker; default: TLC when a jar is found, else
    /// tla-checker.
    #[arg(long, value_name = "ENGINE")]
    pub engine: Option<String>,
    /// tla2tools.jar (else $TLA2TOOLS_JAR, else ~/.cache/flashcheck/tla2tools.jar).
    #[arg(long, value_name = "PATH")]
    pub tla2tools: Option<PathBuf>,
    /// TLC worker threads (default: 1; `audit`: every core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: Option<u16>,
}

/// `flashcheck tla`.
#[derive(Debug, Args)]
pub struct TlaArgs {
    /// A registered model's TLA+ twin (inventory-seed, inventory, saga-seed, saga,
    /// breaker-seed, breaker, token-bucket).
    #[arg(required_unless_present = "spec")]
    pub model: Option<String>,
    /// A constant of the built-in model, NAME=VALUE.
    #[arg(short = 'c', long = "constant", value_name = "NAME=VALUE")]
    pub constants: Vec<String>,
    /// The saga definition the saga models are built from; default: the seed's, built in.
    #[arg(long, value_name = "FILE", conflicts_with = "spec")]
    pub saga: Option<PathBuf>,
    /// Any TLA+ spec instead of a built-in model.
    #[arg(long, value_name = "FILE.tla", conflicts_with = "model")]
    pub spec: Option<PathBuf>,
    /// The spec's .cfg (default: FILE.cfg beside the spec).
    #[arg(long, value_name = "FILE.cfg", requires = "spec")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Keep TLC's generated files here (so the printed TLC command reproduces the run).
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Also write every counterexample TLC found (its `-dumpTrace json`) as ITF into DIR.
    #[arg(long, value_name = "DIR")]
    pub traces: Option<PathBuf>,
    /// A library module directory (TLAPS, the community modules …; repeatable): on TLC's
    /// -DTLA-Library path (a .jar: on its classpath); tla-checker gets the modules copied.
    #[arg(long = "lib", value_name = "DIR")]
    pub libs: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: TlaLimitArgs,
}

/// Limits of a TLA+ check (`tla`, `cross`): over any of them the check stops with exit 3
/// and the engine's own statistics so far.
#[derive(Debug, Args)]
pub struct TlaLimitArgs {
    /// Stop after this many seconds in all (exit 3, partial results).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Stop after this many distinct states (exit 3, partial results).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_states: Option<u64>,
    /// Memory bound of the tla-checker engine (its process's resident set), e.g. 512M, 4G;
    /// default: half of physical memory. Over it: exit 3 with what was found.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
}

/// `512M`, `4G`, `1024K` or a number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("{text:?}: expected a size such as 512M or 4G")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: expected a size such as 512M or 4G"))?;
    match n.checked_mul(1 << shift) {
        Some(0) => Err("the bound must be above 0".into()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("{text:?} is too large")),
    }
}

/// `flashcheck cross`.
#[derive(Debug, Args)]
pub struct CrossArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Print one JSON object with both reports and the comparison.
    #[arg(long)]
    pub json: bool,
    /// Limits, applied to both the Rust port's check and the TLA+ twin's.
    #[command(flatten)]
    pub limits: TlaLimitArgs,
}

/// `flashcheck audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Where to write the reports.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub out: PathBuf,
    /// Small configurations only, and the TLA+ twins on the in-process tla-checker unless
    /// `--engine` says otherwise (a pre-check in well under a minute).
    #[arg(long)]
    pub quick: bool,
    /// The scenario's files (double11.toml, claims.toml, behaviour.toml,
    /// create_order.saga.yaml, breaker.toml); default: the built-in ones, as in `specs/`.
    #[arg(long, value_name = "DIR")]
    pub specs: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `flashcheck bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Where to write the Markdown table.
    #[arg(long, default_value = "reports/bench.md", value_name = "FILE")]
    pub out: PathBuf,
    /// Also run TLC side by side (needs tla2tools.jar).
    #[arg(long)]
    pub tlc: bool,
    /// Include the ~10^7-state configurations (10/6 side by side; 11/6, 3.2 × 10^7 states,
    /// in the growth table).
    #[arg(long)]
    pub large: bool,
    /// Also 11/6 side by side (TLC takes several minutes) and 12/6 (~1.8 × 10^8 states) in
    /// the growth table.
    #[arg(long)]
    pub huge: bool,
    /// How many times each flashcheck measurement runs; the tables show the median, and the
    /// side-by-side table also the fastest and slowest (the machines are shared and noisy).
    #[arg(long, default_value_t = 3, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `flashcheck traces`.
#[derive(Debug, Args)]
pub struct TracesArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Seeded random walks to write.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub count: usize,
    /// Most actions per walk.
    #[arg(long, default_value_t = 20, value_name = "D")]
    pub depth: usize,
    /// Seed of the first walk (walk i uses S + i): the same seed writes the same traces.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Where to write the `.itf.json` files.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `flashcheck replay`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["traces", "generate", "workload"])))]
pub struct ReplayArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// inline (state compared after every step), pool or pinned (concurrent; the history is
    /// checked for linearizability).
    #[arg(long, value_enum, default_value = "inline")]
    pub executor: crate::replay::ExecutorChoice,
    /// ITF traces to replay: a directory (every `*.itf.json` in it) or one file.
    #[arg(long, value_name = "DIR")]
    pub traces: Option<PathBuf>,
    /// Replay N seeded random walks of the model instead.
    #[arg(long, value_name = "N")]
    pub generate: Option<usize>,
    /// Pool or pinned: run a synthetic workload of N clients and check its history; beyond
    /// the model's bounds, against the sequential spec only. Inventory: each user reserves,
    /// then pays or releases; saga: N independent sagas, each a random walk of the model
    /// (each running saga holds its log file open: N is bounded by the open-file limit);
    /// breaker: each client acquires, records outcomes and ticks the clock; token-bucket:
    /// each client acquires and ticks.
    #[arg(long, value_name = "CLIENTS")]
    pub workload: Option<u64>,
    /// Inventory: units of stock for `--workload` (default: half the clients).
    #[arg(long, value_name = "UNITS", requires = "workload")]
    pub stock: Option<u32>,
    /// Most actions per generated walk.
    #[arg(long, default_value_t = 20, value_name = "D")]
    pub depth: usize,
    /// Seed of the first generated walk (walk i uses S + i) or of the workload's coins.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// `--generate`: replay only the configuration `-c` and the defaults give, instead of
    /// sweeping the model's small bounds (users, stock, retries, crashes, probes, capacity:
    /// 1 to 3 each, `-c` holding a constant fixed) with N walks per configuration.
    #[arg(long)]
    pub no_sweep: bool,
    /// The stock store behind the service.
    #[arg(long, value_enum, default_value = "auto")]
    pub store: crate::replay::inventory::StoreChoice,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Inventory: replay against an outside stock service instead of the reference
    /// implementation: `redis://HOST:PORT` or `mysql://USER[:PASSWORD]@HOST:PORT/DB`
    /// (README, "Targets"). `-c Deduction=atomic` or `read_then_write` picks the built-in
    /// deduction; `--workload CLIENTS` the clients.
    #[arg(long, value_name = "URL", requires = "workload")]
    pub target: Option<String>,
    /// Redis target: your own reservation script (KEYS[1] the SKU's stock key, ARGV[1] the
    /// buyer, ARGV[2] the SKU; returns 1 reserved, 0 sold out) instead of the built-in one.
    #[arg(
        long,
        value_name = "FILE.lua",
        requires = "target",
        conflicts_with = "sql"
    )]
    pub script: Option<PathBuf>,
    /// MariaDB target: your own reservation SQL (statements ended by `;` at a line's end;
    /// `@sku`, `@user` set, `{stock}` the stock table; the last row returned is 1 reserved,
    /// 0 sold out) instead of the built-in one.
    #[arg(long, value_name = "FILE.sql", requires = "target")]
    pub sql: Option<PathBuf>,
    /// Target: faults to inject, comma-separated (pause, kill). flashcheck then starts its
    /// own server on a free 127.0.0.1 port in a temporary directory (only the scheme of
    /// --target is used), durable (Redis: AOF, appendfsync always; MariaDB: InnoDB defaults).
    #[arg(long, value_enum, value_delimiter = ',', requires = "target")]
    pub faults: Vec<crate::target::run::Fault>,
    /// Target: operations each client invokes.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub ops: usize,
    /// Target: SKUs (each holds --stock units).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub skus: u32,
    /// Target: how long a client waits for an answer before recording it lost.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub timeout_ms: u64,
}

/// `flashcheck lincheck`.
#[derive(Debug, Args)]
pub struct LincheckArgs {
    /// The history: Jepsen's log lines (`process :invoke|:ok|:fail|:info :f value`) or EDN
    /// event maps (`{:type :invoke, :f :read, :process 0, :value nil}`).
    #[arg(long, value_name = "FILE")]
    pub history: PathBuf,
    /// The model: register (:read, :write), cas-register (also :cas [old new]), counter
    /// (:add n, :read), stock (:reserve → :reserved|:sold-out, :release, :read).
    #[arg(long, value_enum)]
    pub model: crate::history::models::JepsenModel,
    /// The initial value as EDN (default: nil for the registers, 0 for the counter; the
    /// stock model needs it).
    #[arg(long, value_name = "EDN")]
    pub initial: Option<String>,
    /// Values are `[key value]` tuples (Jepsen's `independent`): each key is checked alone.
    #[arg(long)]
    pub independent: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `flashcheck hw`.
#[derive(Debug, Clone, clap::Args)]
pub struct HwArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Read sysfs/procfs under this directory instead of `/` (for fixtures); the affinity
    /// mask is then taken to be all online CPUs.
    #[arg(long, hide = true)]
    pub root: Option<std::path::PathBuf>,
}
