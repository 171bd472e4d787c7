//! `flashcheck explore`: stateright's Explorer for a Rust port, on 127.0.0.1 only.
//!
//! Prints one line, `Explorer: http://127.0.0.1:PORT/`, once the Explorer answers, then
//! serves until the process is stopped (Ctrl-C: the default SIGINT action ends it).

use crate::cli::ExploreArgs;
use crate::outcome::Outcome;
use crate::registry::Registry;
use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long the Explorer may take to answer its first request.
const STARTUP: Duration = Duration::from_secs(30);

/// Runs `flashcheck explore`: exits 2 on a bad model, bad constants or a port it cannot
/// listen on; otherwise it does not return until the server stops.
pub fn run(args: &ExploreArgs, registry: &Registry) -> Result<Outcome> {
    let (_, port) = args.model.build(registry)?;
    let address = pick_address(args.port)?;
    let server = thread::Builder::new()
        .name("explorer".to_string())
        .spawn(move || port.checkable().serve_explorer(address))
        .context("cannot start the Explorer thread")?;
    wait_until_serving(address, &server)?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "Explorer: http://{address}/")?;
        out.flush()?;
    }
    // The server thread only ends by panicking (stateright unwraps its socket errors).
    let _ = server.join();
    bail!("the Explorer on {address} stopped")
}

/// The address to serve on: 127.0.0.1 and `port`, or a free port when `port` is 0.
///
/// stateright's `serve` takes an address, binds it itself and never returns, so it cannot
/// report the port it got. This binds the address first, which turns "in use" or "not
/// permitted" into a one-line error and lets the kernel choose the free port, then releases it
/// for stateright. Between the release and stateright's bind another process may take the port;
/// [`wait_until_serving`] notices (stateright's bind fails and its thread ends, or the
/// process answering is not an Explorer) and the command exits 2: run it again.
fn pick_address(port: u16) -> Result<SocketAddr> {
    let wanted = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener =
        TcpListener::bind(wanted).with_context(|| format!("cannot listen on {wanted}"))?;
    Ok(listener.local_addr()?)
}

/// Waits until the Explorer answers `GET /.status` on `address`, or fails when its thread
/// ends first (stateright could not bind) or after [`STARTUP`].
fn wait_until_serving(address: SocketAddr, server: &JoinHandle<()>) -> Result<()> {
    let deadline = Instant::now() + STARTUP;
    loop {
        if server.is_finished() {
            bail!("the Explorer could not listen on {address} (taken after it was checked free?)");
        }
        if is_explorer(address) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the Explorer did not answer on {address} within {} s",
                STARTUP.as_secs()
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// True when `address` answers `GET /.status` with an Explorer status of our model type.
fn is_explorer(address: SocketAddr) -> bool {
    let ask = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(stream, "GET /.status HTTP/1.0\r\nHost: {address}\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    };
    ask().is_ok_and(|r| {
        let status_line = r.lines().next().unwrap_or_default();
        status_line.starts_with("HTTP/1.")
            && status_line.contains(" 200 ")
            && r.contains("flashcheck::explorer::Explorable<")
    })
}
