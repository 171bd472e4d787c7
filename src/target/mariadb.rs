//! MariaDB (or MySQL) as the stock service: each SKU's stock a row of an InnoDB table, each
//! buyer's status a row of another, both fresh for the run (`{TAG}_stock (sku, n)`,
//! `{TAG}_buyers (sku, user, status)` in the URL's database, which is created if missing and
//! then dropped again), dropped afterwards. Every statement runs with autocommit on, at the
//! server's default isolation level (REPEATABLE READ), over [`super::mysql_wire`].
//!
//! Deduction (the reservation's stock step):
//! - **atomic** (a): `UPDATE {TAG}_stock SET n = n - 1 WHERE sku = ? AND n > 0`; one
//!   affected row means a unit was taken, none means sold out;
//! - **read_then_write** (b): in one transaction, `SELECT n`, then `UPDATE … SET n = ?` with
//!   the value read minus one (a release likewise writes the value read plus one). InnoDB's
//!   plain `SELECT` reads a snapshot and takes no lock, so two buyers can read the same `n`
//!   and both write `n - 1`: a unit sold twice, which the checker must catch;
//! - **custom** (c): `--sql FILE.sql`, the user's reservation (contract below). Releases use
//!   `UPDATE {stock} SET n = n + 1 WHERE sku = @sku`.
//!
//! ## The `--sql` contract
//! The file holds one or more statements, each ended by a `;` at the end of a line (lines
//! starting with `--` are comments). Before they run, flashcheck sets the session variables
//! `@sku` (INT) and `@user` (BIGINT), and replaces `{stock}` with the run's stock table,
//! `(sku INT PRIMARY KEY, n BIGINT NOT NULL)`. The statements run one by one on the client's
//! connection, autocommit on (write `START TRANSACTION` … `COMMIT` yourself if you want
//! one; a `CALL` of your own procedure works too). The last row that any statement returns
//! decides: its first column `1` means a unit was reserved, `0` sold out; any other value,
//! no row at all, or a server error breaks the contract and stops the run (exit 2). Example,
//! the atomic deduction:
//!
//! ```sql
//! UPDATE {stock} SET n = n - 1 WHERE sku = @sku AND n > 0;
//! SELECT ROW_COUNT();
//! ```
//!
//! The buyer's status (`reserved`, `sold`, `released`, `rejected`) is written after the stock
//! step; pay and release check it first (one client per buyer: no race there).

use super::mysql_wire::{Answer, MysqlConnection, WireError};
use super::{Connection, Deduction, Setup, StoreOp, StoreRet, Target, TargetError};
use std::net::SocketAddr;
use std::time::Duration;

/// Where and how to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The server.
    pub addr: SocketAddr,
    /// User name.
    pub user: String,
    /// Password (empty: none).
    pub password: String,
    /// The database the run's tables go into (letters, digits, `_`).
    pub database: String,
}

/// A MariaDB server as the stock service.
#[derive(Debug)]
pub struct MariaDbTarget {
    login: Login,
    deduction: Deduction,
    timeout: Duration,
    tag: String,
    setup: Option<Setup>,
    created_database: bool,
    statements: Vec<String>,
}

/// The user's statements, comments dropped, split at a `;` that ends a line.
pub fn split_sql(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("--") || trimmed.is_empty() {
            continue;
        }
        if let Some(stmt) = trimmed.strip_suffix(';') {
            current.push_str(stmt);
            if !current.trim().is_empty() {
                out.push(current.trim().to_string());
            }
            current.clear();
        } else {
            current.push_str(trimmed);
            current.push('\n');
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

fn lost(e: WireError) -> TargetError {
    match e {
        WireError::Io(e) => TargetError::Lost(e.to_string()),
        WireError::Server { .. } => TargetError::Server(e.to_string()),
        WireError::Protocol(p) => TargetError::Protocol(p),
    }
}

impl MariaDbTarget {
    /// The server `login` names, deducting by `deduction`, each statement given `timeout`.
    /// A `--sql` file with no statement is refused here.
    pub fn new(login: Login, deduction: Deduction, timeout: Duration) -> Result<Self, TargetError> {
        let tag = super::run_tag();
        let statements = match &deduction {
            Deduction::Custom { file, text } => {
                let stock = Self::table(&tag, "stock");
                let s: Vec<String> = split_sql(text)
                    .into_iter()
                    .map(|s| s.replace("{stock}", &stock))
                    .collect();
                if s.is_empty() {
                    return Err(TargetError::Contract(format!(
                        "--sql {file}: no statement (end each with ; at the end of a line)"
                    )));
                }
                s
            }
            _ => Vec::new(),
        };
        Ok(MariaDbTarget {
            login,
            deduction,
            timeout,
            tag,
            setup: None,
            created_database: false,
            statements,
        })
    }

    fn table(tag: &str, what: &str) -> String {
        format!("`{tag}_{what}`")
    }

    fn unreachable(&self, e: WireError) -> TargetError {
        let url = super::url::TargetUrl::Mysql {
            addr: self.login.addr,
            user: self.login.user.clone(),
            password: String::new(),
            database: self.login.database.clone(),
        };
        match e {
            WireError::Io(e) => TargetError::Unreachable(format!(
                "no MariaDB at {}: {e}; {}",
                self.login.addr,
                super::url::how_to_start(&url)
            )),
            other => TargetError::Unreachable(format!(
                "MariaDB at {} refused the login as {}: {other}",
                self.login.addr, self.login.user
            )),
        }
    }

    fn admin(&self, database: Option<&str>) -> Result<MysqlConnection, TargetError> {
        MysqlConnection::connect(
            &self.login.addr,
            &self.login.user,
            &self.login.password,
            database,
            self.timeout.max(Duration::from_secs(10)),
        )
        .map_err(|e| self.unreachable(e))
    }
}

impl Target for MariaDbTarget {
    fn describe(&self) -> String {
        let how = match &self.deduction {
            Deduction::Atomic => "atomic UPDATE … WHERE n > 0".to_string(),
            Deduction::ReadThenWrite => "read_then_write (SELECT n, then UPDATE SET n = ?)".into(),
            Deduction::Custom { file, .. } => format!("--sql {file}"),
        };
        format!(
            "mysql://{}@{}/{} ({how})",
            self.login.user, self.login.addr, self.login.database
        )
    }

    fn setup(&mut self, setup: Setup) -> Result<(), TargetError> {
        let db = &self.login.database;
        let mut c = self.admin(None)?;
        let exists = c
            .query(&format!("SHOW DATABASES LIKE '{db}'"))
            .map_err(lost)?;
        if exists == Answer::Rows(vec![]) {
            c.query(&format!("CREATE DATABASE `{db}`")).map_err(lost)?;
            self.created_database = true;
        }
        let stock = format!("`{db}`.{}", Self::table(&self.tag, "stock"));
        let buyers = format!("`{db}`.{}", Self::table(&self.tag, "buyers"));
        c.query(&format!(
            "CREATE TABLE {stock} (sku INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB"
        ))
        .map_err(lost)?;
        c.query(&format!(
            "CREATE TABLE {buyers} (sku INT NOT NULL, user BIGINT NOT NULL, status VARCHAR(10) NOT NULL, PRIMARY KEY (sku, user)) ENGINE=InnoDB"
        ))
        .map_err(lost)?;
        self.setup = Some(setup);
        let rows: Vec<String> = (0..setup.skus)
            .map(|sku| format!("({sku}, {})", setup.stock))
            .collect();
        c.query(&format!("INSERT INTO {stock} VALUES {}", rows.join(", ")))
            .map_err(lost)?;
        Ok(())
    }

    fn connect(&self) -> Result<Box<dyn Connection>, TargetError> {
        let conn = MysqlConnection::connect(
            &self.login.addr,
            &self.login.user,
            &self.login.password,
            Some(&self.login.database),
            self.timeout,
        )
        .map_err(|e| TargetError::Lost(e.to_string()))?;
        Ok(Box::new(MariaDbConnection {
            conn,
            stock: Self::table(&self.tag, "stock"),
            buyers: Self::table(&self.tag, "buyers"),
            deduction: self.deduction.clone(),
            statements: self.statements.clone(),
        }))
    }

    fn teardown(&mut self) -> Result<(), TargetError> {
        if self.setup.take().is_none() {
            return Ok(());
        }
        let db = &self.login.database;
        let mut c = self.admin(None)?;
        if self.created_database {
            c.query(&format!("DROP DATABASE `{db}`")).map_err(lost)?;
            return Ok(());
        }
        for what in ["stock", "buyers"] {
            c.query(&format!(
                "DROP TABLE IF EXISTS `{db}`.{}",
                Self::table(&self.tag, what)
            ))
            .map_err(lost)?;
        }
        Ok(())
    }
}

/// One client's connection to MariaDB.
#[derive(Debug)]
struct MariaDbConnection {
    conn: MysqlConnection,
    stock: String,
    buyers: String,
    deduction: Deduction,
    statements: Vec<String>,
}

impl MariaDbConnection {
    fn exec(&mut self, sql: &str) -> Result<Answer, TargetError> {
        self.conn.query(sql).map_err(lost)
    }

    fn affected(&mut self, sql: &str) -> Result<u64, TargetError> {
        match self.exec(sql)? {
            Answer::Ok { affected_rows } => Ok(affected_rows),
            other => Err(TargetError::Protocol(format!("{sql}: {other:?}"))),
        }
    }

    /// The first column of the only row `sql` returns (`None`: no row or NULL).
    fn value(&mut self, sql: &str) -> Result<Option<String>, TargetError> {
        match self.exec(sql)? {
            Answer::Rows(rows) => Ok(rows.into_iter().next().and_then(|r| r.into_iter().next()?)),
            other => Err(TargetError::Protocol(format!("{sql}: {other:?}"))),
        }
    }

    fn number(&mut self, sql: &str) -> Result<i64, TargetError> {
        let v = self.value(sql)?;
        v.as_deref()
            .unwrap_or("0")
            .parse()
            .map_err(|_| TargetError::Protocol(format!("{sql}: not a number: {v:?}")))
    }

    /// Adds `delta` to the SKU's stock by reading it and writing the result, in one
    /// transaction at the default isolation level (the read takes no lock). Returns false,
    /// writing nothing, when taking a unit finds none left.
    fn read_then_write(&mut self, sku: u32, delta: i64) -> Result<bool, TargetError> {
        self.exec("START TRANSACTION")?;
        let n = self.number(&format!("SELECT n FROM {} WHERE sku = {sku}", self.stock))?;
        if n + delta < 0 {
            self.exec("COMMIT")?;
            return Ok(false);
        }
        self.affected(&format!(
            "UPDATE {} SET n = {} WHERE sku = {sku}",
            self.stock,
            n + delta
        ))?;
        self.exec("COMMIT")?;
        Ok(true)
    }

    /// The reservation's stock step: true when a unit was taken.
    fn take(&mut self, sku: u32, user: u64) -> Result<bool, TargetError> {
        match self.deduction {
            Deduction::Atomic => Ok(self.affected(&format!(
                "UPDATE {} SET n = n - 1 WHERE sku = {sku} AND n > 0",
                self.stock
            ))? == 1),
            Deduction::ReadThenWrite => self.read_then_write(sku, -1),
            Deduction::Custom { ref file, .. } => {
                let file = file.clone();
                self.exec(&format!("SET @sku = {sku}, @user = {user}"))?;
                let mut last = None;
                for stmt in self.statements.clone() {
                    match self.conn.query_all(&stmt) {
                        Ok(answers) => {
                            for a in answers {
                                if let Answer::Rows(rows) = a {
                                    if let Some(row) = rows.into_iter().last() {
                                        last = Some(row.into_iter().next().flatten());
                                    }
                                }
                            }
                        }
                        Err(e @ (WireError::Server { .. } | WireError::Protocol(_))) => {
                            return Err(TargetError::Contract(format!(
                                "--sql {file}: `{stmt}` failed: {e}"
                            )));
                        }
                        Err(e) => return Err(lost(e)),
                    }
                }
                match last.as_ref().and_then(|v| v.as_deref()) {
                    Some("1") => Ok(true),
                    Some("0") => Ok(false),
                    other => Err(TargetError::Contract(format!(
                        "--sql {file} must end by returning a row whose first column is 1 (reserved) or 0 (sold out); its last row's was {other:?}"
                    ))),
                }
            }
        }
    }

    fn status(&mut self, sku: u32, user: u64) -> Result<Option<String>, TargetError> {
        self.value(&format!(
            "SELECT status FROM {} WHERE sku = {sku} AND user = {user}",
            self.buyers
        ))
    }

    fn set_status(&mut self, sku: u32, user: u64, status: &str) -> Result<(), TargetError> {
        self.exec(&format!(
            "INSERT INTO {} VALUES ({sku}, {user}, '{status}') ON DUPLICATE KEY UPDATE status = '{status}'",
            self.buyers
        ))?;
        Ok(())
    }
}

impl Connection for MariaDbConnection {
    fn invoke(&mut self, op: &StoreOp) -> Result<StoreRet, TargetError> {
        let sku = op.sku();
        match *op {
            StoreOp::Read { .. } => Ok(StoreRet::Stock(
                self.number(&format!("SELECT n FROM {} WHERE sku = {sku}", self.stock))?,
            )),
            StoreOp::Reserve { user, .. } => {
                if matches!(
                    self.status(sku, user)?.as_deref(),
                    Some("reserved" | "sold")
                ) {
                    return Ok(StoreRet::Refused);
                }
                if self.take(sku, user)? {
                    self.set_status(sku, user, "reserved")?;
                    Ok(StoreRet::Reserved)
                } else {
                    self.set_status(sku, user, "rejected")?;
                    Ok(StoreRet::SoldOut)
                }
            }
            StoreOp::Pay { user, .. } | StoreOp::Release { user, .. } => {
                if self.status(sku, user)?.as_deref() != Some("reserved") {
                    return Ok(StoreRet::Refused);
                }
                if let StoreOp::Pay { .. } = op {
                    self.set_status(sku, user, "sold")?;
                    return Ok(StoreRet::Paid);
                }
                if self.deduction == Deduction::ReadThenWrite {
                    self.read_then_write(sku, 1)?;
                } else {
                    self.affected(&format!(
                        "UPDATE {} SET n = n + 1 WHERE sku = {sku}",
                        self.stock
                    ))?;
                }
                self.set_status(sku, user, "released")?;
                Ok(StoreRet::Released)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_sql;

    #[test]
    fn statements_split_at_line_ending_semicolons() {
        let text = "-- reserve\nUPDATE {stock}\n  SET n = n - 1 WHERE sku = @sku AND n > 0;\n\nSELECT ROW_COUNT();\n";
        assert_eq!(
            split_sql(text),
            vec![
                "UPDATE {stock}\nSET n = n - 1 WHERE sku = @sku AND n > 0",
                "SELECT ROW_COUNT()"
            ]
        );
        assert_eq!(split_sql("SELECT 1"), vec!["SELECT 1"]);
        assert!(split_sql("-- nothing\n;\n").is_empty());
    }
}
