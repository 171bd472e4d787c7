//! `--target` URLs: `redis://[HOST][:PORT]`, `mysql://USER[:PASSWORD]@[HOST][:PORT]/DB`
//! (`mariadb://` too), `http://HOST:PORT[/PREFIX]`. The host defaults to 127.0.0.1: nothing
//! but loopback is touched unless the user names another host.

use super::TargetError;
use std::net::{SocketAddr, ToSocketAddrs};

/// A parsed `--target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetUrl {
    /// A Redis server.
    Redis {
        /// Its address.
        addr: SocketAddr,
    },
    /// A MariaDB (or MySQL) server.
    Mysql {
        /// Its address.
        addr: SocketAddr,
        /// The user.
        user: String,
        /// The password (empty: none).
        password: String,
        /// The database the run's tables go into.
        database: String,
    },
    /// A service speaking flashcheck's JSON protocol.
    Http {
        /// Its address.
        addr: SocketAddr,
        /// Path prefix of its endpoints ("" or "/api").
        prefix: String,
        /// The host as written (the `Host` header).
        host: String,
    },
}

/// How to start a server the URL can reach, for the one-line error.
pub fn how_to_start(url: &TargetUrl) -> String {
    match url {
        TargetUrl::Redis { addr } => format!(
            "start one with `redis-server --port {} --bind 127.0.0.1 --save ''` (Debian: apt-get install redis-server)",
            addr.port()
        ),
        TargetUrl::Mysql { addr, .. } => format!(
            "start one with `mariadb-install-db --no-defaults --datadir=DIR && mariadbd --no-defaults --datadir=DIR --port={} --bind-address=127.0.0.1 --socket=DIR/s` (as root add --user=root; Debian: apt-get install mariadb-server)",
            addr.port()
        ),
        TargetUrl::Http { addr, .. } => format!(
            "start your service on {addr}; it must answer flashcheck's JSON protocol (README, \"Targets\")"
        ),
    }
}

fn bad(url: &str, why: impl Into<String>) -> TargetError {
    TargetError::BadUrl {
        url: url.to_string(),
        why: why.into(),
    }
}

fn resolve(
    url: &str,
    hostport: &str,
    default_port: u16,
) -> Result<(SocketAddr, String), TargetError> {
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => {
            let port: u16 = p
                .parse()
                .map_err(|_| bad(url, format!("port {p:?} is not a number in 1..65535")))?;
            (h, port)
        }
        _ => (hostport, default_port),
    };
    if port == 0 {
        return Err(bad(url, "port 0"));
    }
    let host = if host.is_empty() { "127.0.0.1" } else { host };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addr = (bare, port)
        .to_socket_addrs()
        .map_err(|e| bad(url, format!("host {host}: {e}")))?
        .next()
        .ok_or_else(|| bad(url, format!("host {host} has no address")))?;
    Ok((addr, host.to_string()))
}

impl TargetUrl {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, TargetError> {
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(bad(
                text,
                "expected redis://HOST:PORT, mysql://USER@HOST:PORT/DB or http://HOST:PORT",
            ));
        };
        match scheme {
            "redis" => {
                let hostport = rest.trim_end_matches('/');
                if hostport.contains('/') || hostport.contains('@') {
                    return Err(bad(
                        text,
                        "expected redis://HOST:PORT (no user, no database)",
                    ));
                }
                let (addr, _) = resolve(text, hostport, 6379)?;
                Ok(TargetUrl::Redis { addr })
            }
            "mysql" | "mariadb" => {
                let (auth, hostdb) = rest
                    .rsplit_once('@')
                    .ok_or_else(|| bad(text, "expected mysql://USER[:PASSWORD]@HOST:PORT/DB"))?;
                let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
                if user.is_empty() {
                    return Err(bad(text, "no user"));
                }
                let (hostport, database) = hostdb
                    .split_once('/')
                    .ok_or_else(|| bad(text, "no database: mysql://USER@HOST:PORT/DB"))?;
                if database.is_empty()
                    || !database
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return Err(bad(text, "the database name must be letters, digits and _"));
                }
                let (addr, _) = resolve(text, hostport, 3306)?;
                Ok(TargetUrl::Mysql {
                    addr,
                    user: user.to_string(),
                    password: password.to_string(),
                    database: database.to_string(),
                })
            }
            "http" => {
                let (hostport, path) = match rest.find('/') {
                    Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
                    None => (rest, ""),
                };
                if hostport.is_empty() {
                    return Err(bad(text, "no host: http://HOST:PORT"));
                }
                let (addr, host) = resolve(text, hostport, 80)?;
                Ok(TargetUrl::Http {
                    addr,
                    prefix: path.to_string(),
                    host: format!("{host}:{}", addr.port()),
                })
            }
            "https" => Err(bad(text, "https is not supported: use http on loopback")),
            other => Err(bad(
                text,
                format!("unknown scheme {other}: use redis://, mysql:// or http://"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_three_schemes_read() {
        assert_eq!(
            TargetUrl::parse("redis://127.0.0.1:7000").unwrap(),
            TargetUrl::Redis {
                addr: "127.0.0.1:7000".parse().unwrap()
            }
        );
        assert_eq!(
            TargetUrl::parse("redis://").unwrap(),
            TargetUrl::Redis {
                addr: "127.0.0.1:6379".parse().unwrap()
            }
        );
        let TargetUrl::Mysql {
            user,
            password,
            database,
            addr,
        } = TargetUrl::parse("mysql://shop:pw@127.0.0.1:3307/sale").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (user.as_str(), password.as_str(), database.as_str()),
            ("shop", "pw", "sale")
        );
        assert_eq!(addr.port(), 3307);
        let TargetUrl::Http { prefix, .. } =
            TargetUrl::parse("http://127.0.0.1:8080/api/").unwrap()
        else {
            panic!()
        };
        assert_eq!(prefix, "/api");
    }

    #[test]
    fn bad_urls_say_why() {
        for bad in [
            "127.0.0.1:6379",
            "redis://127.0.0.1:notaport",
            "mysql://127.0.0.1:3306/db",
            "mysql://u@127.0.0.1:3306/",
            "mysql://u@127.0.0.1:3306/d;drop",
            "ftp://x",
            "https://127.0.0.1:1",
            "redis://127.0.0.1:0",
        ] {
            assert!(TargetUrl::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(text in "(redis|mysql|http)://[0-9:@/.]{0,24}") {
            let _ = TargetUrl::parse(&text);
        }
    }
}
