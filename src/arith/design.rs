//! Loads and validates `specs/double11.toml`: the tenants of §4.1, the capacity, the latency
//! layers of §3.1, the SLA of §1.2 and every other numeric input, all as exact rationals.

use super::error::ArithError;
use super::rational::{from_toml_float, parse_decimal, Q};
use num_traits::Signed;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One tenant of the quota game (§4.1).
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    /// Identifier used in claims, e.g. `ecommerce`.
    pub name: String,
    /// The document's label, e.g. `租户1 电商业务`.
    pub label: String,
    /// Value coefficient α (> 0).
    pub alpha: Q,
    /// Traffic T (> 0).
    pub traffic: Q,
    /// Cost coefficient β (> 0).
    pub beta: Q,
    /// The quota the document claims for this tenant, if it claims one.
    pub claimed_quota: Option<Q>,
}

impl Tenant {
    /// α·T, the revenue weight.
    pub fn weight(&self) -> Q {
        &self.alpha * &self.traffic
    }
}

/// One part of a latency layer's breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyPart {
    /// The document's name for it.
    pub name: String,
    /// Milliseconds.
    pub ms: Q,
}

/// One layer of the §3.1 latency model.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyLayer {
    /// Identifier, e.g. `saga`.
    pub name: String,
    /// The total the document states for the layer.
    pub stated_ms: Q,
    /// The breakdown.
    pub parts: Vec<LatencyPart>,
    /// The optimised latency the document promises for this layer, if any.
    pub optimised_ms: Option<Q>,
}

/// The §3.1 latency model and its stated results.
#[derive(Debug, Clone, PartialEq)]
pub struct Latency {
    /// Layers in order.
    pub layers: Vec<LatencyLayer>,
    /// The stated end-to-end total (163 ms).
    pub stated_total_ms: Q,
    /// The stated P95 (120 ms) of the SLA line.
    pub stated_p95_ms: Q,
    /// The stated optimised total (128 ms).
    pub stated_optimised_total_ms: Q,
}

/// The SLA of §1.2.
#[derive(Debug, Clone, PartialEq)]
pub struct Sla {
    /// P99 bound, ms (strict).
    pub p99_ms: Q,
    /// P95 bound, ms (strict).
    pub p95_ms: Q,
    /// Availability lower bound, percent (strict).
    pub availability_pct: Q,
    /// Error-rate upper bound, percent (strict).
    pub error_rate_pct: Q,
}

/// The document's own §4.2 VCG numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct VcgClaims {
    /// Allocation of tenants 2..n when tenant 1 does not participate (79, 16).
    pub without_first: Vec<Q>,
    /// Σ_(j≠1) u_j at that allocation (245.3).
    pub others_welfare: Q,
    /// Tenant 1's payment (0).
    pub payment_first: Q,
    /// Tolerance of the welfare figure (it is printed to one decimal).
    pub welfare_tolerance: Q,
}

/// The whole spec.
#[derive(Debug, Clone)]
pub struct Design {
    /// Where it was read from (for error messages).
    pub file: PathBuf,
    /// Tenants of §4.1.
    pub tenants: Vec<Tenant>,
    /// Cores available (Σx ≤ capacity).
    pub capacity: Q,
    /// Tolerance of the document's rounded quotas (0.5: they are printed as integers).
    pub quota_tolerance: Q,
    /// The total quota the document claims (§4.1 "总配额").
    pub claimed_total: Option<Q>,
    /// §4.2's numbers, if given.
    pub vcg_claims: Option<VcgClaims>,
    /// §3.1.
    pub latency: Latency,
    /// §1.2.
    pub sla: Sla,
    /// Every numeric leaf of the file by dotted path (`components.nginx.instances`), for claims.
    pub values: BTreeMap<String, Q>,
}

impl Design {
    /// Reads and validates a spec file.
    pub fn load(path: &Path) -> Result<Design, ArithError> {
        let text = crate::input::read_text(path, crate::input::SPEC_LIMIT).map_err(|e| {
            ArithError::Io {
                file: path.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
        Design::parse(&text, path)
    }

    /// Parses spec text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Design, ArithError> {
        let root: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ArithError::Toml {
                file: path.to_path_buf(),
                reason: e.message().to_string(),
            })?;
        let r = Reader { file: path };

        let tenants_v = r.array(&root, "tenant", "tenant")?;
        let mut tenants = Vec::new();
        for (i, tv) in tenants_v.iter().enumerate() {
            let p = format!("tenant[{i}]");
            let t = r.table(tv, &p)?;
            r.known(
                t,
                &p,
                &["name", "label", "alpha", "traffic", "beta", "claimed_quota"],
            )?;
            let name = r.string(t, "name", &p)?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.is_empty() {
                return Err(ArithError::field(
                    path,
                    format!("{p}.name"),
                    "must be a non-empty identifier of [A-Za-z0-9_]",
                ));
            }
            if tenants.iter().any(|x: &Tenant| x.name == name) {
                return Err(ArithError::field(
                    path,
                    format!("{p}.name"),
                    format!("duplicate tenant `{name}`"),
                ));
            }
            tenants.push(Tenant {
                label: r
                    .opt_string(t, "label", &p)?
                    .unwrap_or_else(|| name.clone()),
                alpha: r.positive(t, "alpha", &p)?,
                traffic: r.positive(t, "traffic", &p)?,
                beta: r.positive(t, "beta", &p)?,
                claimed_quota: r.opt_number(t, "claimed_quota", &p)?,
                name,
            });
        }
        if tenants.is_empty() {
            return Err(ArithError::field(
                path,
                "tenant",
                "at least one tenant is required",
            ));
        }
        let cap = r.table_at(&root, "capacity")?;
        r.known(cap, "capacity", &["cores"])?;
        let capacity = r.positive(cap, "cores", "capacity")?;

        let qt = r.table_at(&root, "quota")?;
        r.known(qt, "quota", &["tolerance", "claimed_total"])?;
        let quota_tolerance = r.non_negative(qt, "tolerance", "quota")?;
        let claimed_total = r.opt_number(qt, "claimed_total", "quota")?;
        let vcg_claims = match root.get("vcg") {
            None => None,
            Some(v) => {
                let t = r.table(v, "vcg")?;
                r.known(
                    t,
                    "vcg",
                    &[
                        "claimed_without_first",
                        "claimed_others_welfare",
                        "claimed_payment_first",
                        "welfare_tolerance",
                    ],
                )?;
                let arr = r.array(t, "claimed_without_first", "vcg")?;
                let without_first = arr
                    .iter()
                    .enumerate()
                    .map(|(i, v)| r.number_value(v, format!("vcg.claimed_without_first[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                Some(VcgClaims {
                    without_first,
                    others_welfare: r.number(t, "claimed_others_welfare", "vcg")?,
                    payment_first: r.number(t, "claimed_payment_first", "vcg")?,
                    welfare_tolerance: r.non_negative(t, "welfare_tolerance", "vcg")?,
                })
            }
        };
        let lat = r.table_at(&root, "latency")?;
        r.known(
            lat,
            "latency",
            &[
                "layer",
                "stated_total_ms",
                "stated_p95_ms",
                "stated_optimised_total_ms",
            ],
        )?;
        let mut layers = Vec::new();
        for (i, lv) in r.array(lat, "layer", "latency")?.iter().enumerate() {
            let p = format!("latency.layer[{i}]");
            let l = r.table(lv, &p)?;
            r.known(l, &p, &["name", "stated_ms", "optimised_ms", "part"])?;
            let mut parts = Vec::new();
            for (j, pv) in r.array(l, "part", &p)?.iter().enumerate() {
                let pp = format!("{p}.part[{j}]");
                let pt = r.table(pv, &pp)?;
                r.known(pt, &pp, &["name", "ms"])?;
                parts.push(LatencyPart {
                    name: r.string(pt, "name", &pp)?,
                    ms: r.non_negative(pt, "ms", &pp)?,
                });
            }
            layers.push(LatencyLayer {
                name: r.string(l, "name", &p)?,
                stated_ms: r.non_negative(l, "stated_ms", &p)?,
                optimised_ms: match r.opt_number(l, "optimised_ms", &p)? {
                    Some(v) if v.is_negative() => {
                        return Err(ArithError::field(
                            path,
                            format!("{p}.optimised_ms"),
                            "must be >= 0",
                        ))
                    }
                    v => v,
                },
                parts,
            });
        }
        let latency = Latency {
            layers,
            stated_total_ms: r.non_negative(lat, "stated_total_ms", "latency")?,
            stated_p95_ms: r.non_negative(lat, "stated_p95_ms", "latency")?,
            stated_optimised_total_ms: r.non_negative(
                lat,
                "stated_optimised_total_ms",
                "latency",
            )?,
        };
        let s = r.table_at(&root, "sla")?;
        r.known(
            s,
            "sla",
            &["p99_ms", "p95_ms", "availability_pct", "error_rate_pct"],
        )?;
        let sla = Sla {
            p99_ms: r.positive(s, "p99_ms", "sla")?,
            p95_ms: r.positive(s, "p95_ms", "sla")?,
            availability_pct: r.positive(s, "availability_pct", "sla")?,
            error_rate_pct: r.positive(s, "error_rate_pct", "sla")?,
        };
        // Every other numeric leaf, for claims (after the typed fields, so their errors name
        // the typed path first).
        let mut values = BTreeMap::new();
        r.flatten("", &toml::Value::Table(root.clone()), &mut values)?;
        Ok(Design {
            file: path.to_path_buf(),
            tenants,
            capacity,
            quota_tolerance,
            claimed_total,
            vcg_claims,
            latency,
            sla,
            values,
        })
    }

    /// The tenant called `name`.
    pub fn tenant(&self, name: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.name == name)
    }

    /// The capacity to use: the command line's if given (validated), else the spec's.
    pub fn capacity_or(&self, arg: Option<&str>) -> Result<Q, ArithError> {
        match arg {
            None => Ok(self.capacity.clone()),
            Some(s) => match parse_decimal(s) {
                Some(q) if q.is_positive() => Ok(q),
                Some(_) => Err(ArithError::Arg {
                    arg: "--capacity".into(),
                    reason: format!("`{s}` must be > 0"),
                }),
                None => Err(ArithError::Arg {
                    arg: "--capacity".into(),
                    reason: format!("`{s}` is not a decimal number"),
                }),
            },
        }
    }
}

/// Field accessors that produce [`ArithError::Field`] naming the file and the dotted field.
pub(crate) struct Reader<'a> {
    pub(crate) file: &'a Path,
}

impl Reader<'_> {
    fn err(&self, field: String, reason: impl Into<String>) -> ArithError {
        ArithError::field(self.file, field, reason)
    }
    fn join(prefix: &str, key: &str) -> String {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    }
    /// Refuses a key of a typed table that nobody reads (a typo such as `sla.p99_msec` would
    /// otherwise leave the field missing or, worse, silently unused). The other tables of the
    /// file are free-form: claims cite their leaves.
    fn known(&self, t: &toml::Table, p: &str, keys: &[&str]) -> Result<(), ArithError> {
        match t.keys().find(|k| !keys.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => Err(self.err(
                Self::join(p, k),
                format!("unknown key (this table takes {})", keys.join(", ")),
            )),
        }
    }
    pub(crate) fn table<'v>(
        &self,
        v: &'v toml::Value,
        p: &str,
    ) -> Result<&'v toml::Table, ArithError> {
        v.as_table()
            .ok_or_else(|| self.err(p.to_string(), "must be a table"))
    }
    pub(crate) fn table_at<'v>(
        &self,
        t: &'v toml::Table,
        key: &str,
    ) -> Result<&'v toml::Table, ArithError> {
        match t.get(key) {
            None => Err(self.err(key.to_string(), "missing")),
            Some(v) => self.table(v, key),
        }
    }
    pub(crate) fn array<'v>(
        &self,
        t: &'v toml::Table,
        key: &str,
        p: &str,
    ) -> Result<&'v Vec<toml::Value>, ArithError> {
        let f = Self::join(if p == key { "" } else { p }, key);
        match t.get(key) {
            None => Err(self.err(f, "missing")),
            Some(v) => v
                .as_array()
                .ok_or_else(|| self.err(f, "must be an array of tables")),
        }
    }
    pub(crate) fn string(&self, t: &toml::Table, key: &str, p: &str) -> Result<String, ArithError> {
        self.opt_string(t, key, p)?
            .ok_or_else(|| self.err(Self::join(p, key), "missing"))
    }
    pub(crate) fn opt_string(
        &self,
        t: &toml::Table,
        key: &str,
        p: &str,
    ) -> Result<Option<String>, ArithError> {
        match t.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.err(Self::join(p, key), "must be a string")),
        }
    }
    /// A number written as an integer, a float (converted through its shortest decimal) or a
    /// decimal string such as `"0.1"`.
    pub(crate) fn number_value(&self, v: &toml::Value, field: String) -> Result<Q, ArithError> {
        match v {
            toml::Value::Integer(n) => Ok(super::rational::int(*n)),
            toml::Value::Float(x) => from_toml_float(*x)
                .ok_or_else(|| self.err(field, format!("`{x}` is not a finite number"))),
            toml::Value::String(s) => parse_decimal(s)
                .ok_or_else(|| self.err(field, format!("`{s}` is not a decimal number"))),
            _ => Err(self.err(field, "must be a number")),
        }
    }
    pub(crate) fn opt_number(
        &self,
        t: &toml::Table,
        key: &str,
        p: &str,
    ) -> Result<Option<Q>, ArithError> {
        t.get(key)
            .map(|v| self.number_value(v, Self::join(p, key)))
            .transpose()
    }
    pub(crate) fn number(&self, t: &toml::Table, key: &str, p: &str) -> Result<Q, ArithError> {
        self.opt_number(t, key, p)?
            .ok_or_else(|| self.err(Self::join(p, key), "missing"))
    }
    fn positive(&self, t: &toml::Table, key: &str, p: &str) -> Result<Q, ArithError> {
        let q = self.number(t, key, p)?;
        if !q.is_positive() {
            return Err(self.err(
                Self::join(p, key),
                format!("must be > 0, got {}", super::rational::render_exact(&q)),
            ));
        }
        Ok(q)
    }
    fn non_negative(&self, t: &toml::Table, key: &str, p: &str) -> Result<Q, ArithError> {
        let q = self.number(t, key, p)?;
        if q.is_negative() {
            return Err(self.err(
                Self::join(p, key),
                format!("must be >= 0, got {}", super::rational::render_exact(&q)),
            ));
        }
        Ok(q)
    }
    /// Collects every numeric leaf of plain tables (not arrays) under its dotted path.
    fn flatten(
        &self,
        prefix: &str,
        v: &toml::Value,
        out: &mut BTreeMap<String, Q>,
    ) -> Result<(), ArithError> {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    self.flatten(&Self::join(prefix, k), v, out)?;
                }
            }
            toml::Value::Integer(_) | toml::Value::Float(_) => {
                let q = self.number_value(v, prefix.to_string())?;
                out.insert(prefix.to_string(), q);
            }
            // Decimal strings ("0.1", "99.95") are numbers written exactly.
            toml::Value::String(s) => {
                if let Some(q) = parse_decimal(s) {
                    out.insert(prefix.to_string(), q);
                }
            }
            toml::Value::Array(items) => {
                // Arrays of named tables (`[[tenant]] name = "ads"`) flatten as `tenant.ads.*`.
                for item in items {
                    if let Some(t) = item.as_table() {
                        if let Some(toml::Value::String(n)) = t.get("name") {
                            if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                                self.flatten(&Self::join(prefix, n), item, out)?;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
