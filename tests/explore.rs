//! `flashcheck explore <model>`: stateright's Explorer on 127.0.0.1 (the issue "explore
//! subcommand with a headless-browser test").
//!
//! The server tests run everywhere: the binary prints one `Explorer: http://127.0.0.1:PORT/`
//! line, and `/`, `/.status` and `/.states/...` answer plain HTTP from a raw `TcpStream`.
//! The browser test drives headless Chromium through chromedriver (WebDriver, spoken here
//! over `TcpStream` too): it opens the Explorer, clicks into the initial state and then into
//! its successor `Reserve(1)`, checks that the page shows that step, and saves a PNG
//! screenshot. Without `chromium` or `chromedriver` (Debian packages `chromium`,
//! `chromium-driver`, which `scripts/setup` installs) it prints one line
//! `explore browser test skipped: <why>` and returns — except under CI (`CI=true`), where
//! their absence fails the test.

#[path = "support/skip.rs"]
mod skip;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long anything may take to appear (server start, a page element): generous, because
/// the test machines are shared.
const PATIENCE: Duration = Duration::from_secs(60);

/// A child process killed (and reaped) when the test ends, also when it panics.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `flashcheck explore ARGS...` and the `host:port` its URL names.
fn start_explorer(args: &[&str]) -> (KillOnDrop, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_flashcheck"))
        .arg("explore")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("flashcheck starts");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(PATIENCE)
        .expect("flashcheck explore prints its URL");
    let host = line
        .strip_prefix("Explorer: http://")
        .and_then(|rest| rest.strip_suffix("/\n"))
        .unwrap_or_else(|| panic!("not an `Explorer: http://HOST:PORT/` line: {line:?}"));
    let port = host
        .strip_prefix("127.0.0.1:")
        .unwrap_or_else(|| panic!("not on 127.0.0.1: {line:?}"));
    assert!(port.parse::<u16>().is_ok_and(|p| p > 0), "{line:?}");
    (child, host.to_string())
}

/// One HTTP/1.1 request to `host`; the status code and the body. chromedriver keeps the
/// connection open despite `Connection: close`, so the body is read by its `Content-Length`.
fn http(host: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let code = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: no status code in {status_line:?}"));
    let mut length = None;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((header, ""));
        let name = name.to_ascii_lowercase();
        assert!(
            !(name == "transfer-encoding" && value.contains("chunked")),
            "{method} {path}: a chunked response (not needed so far, so not decoded)"
        );
        if name == "content-length" {
            length = Some(value.trim().parse::<usize>().unwrap());
        }
    }
    let mut raw = Vec::new();
    match length {
        Some(n) => {
            raw.resize(n, 0);
            reader.read_exact(&mut raw).unwrap();
        }
        None => {
            reader.read_to_end(&mut raw).unwrap();
        }
    }
    (code, String::from_utf8(raw).expect("a UTF-8 body"))
}

/// GET `path` from the Explorer at `host` as JSON, insisting on 200.
fn get_json(host: &str, path: &str) -> Value {
    let (code, body) = http(host, "GET", path, None);
    assert_eq!(code, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

#[test]
fn explore_prints_its_url_and_serves_status_and_states() {
    let (_server, host) = start_explorer(&["inventory"]);

    let (code, page) = http(&host, "GET", "/", None);
    assert_eq!(code, 200);
    assert!(
        page.contains("<title>Stateright Explorer</title>"),
        "{page}"
    );

    let status = get_json(&host, "/.status");
    assert!(
        status["model"]
            .as_str()
            .unwrap()
            .ends_with("Explorable<flashcheck_models::inventory::Inventory>"),
        "{status}"
    );
    let properties: Vec<(&str, &str)> = status["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap(), p[1].as_str().unwrap()))
        .collect();
    assert_eq!(
        properties,
        [
            ("Always", "no_oversell"),
            ("Always", "conservation"),
            ("Always", "no_false_soldout"),
            ("Always", "deadlock_free"),
            ("Sometimes", "sold_out_reachable"),
        ]
    );

    // `/.states` lists the initial states, `/.states/0` the steps out of the first one: the
    // path the Explorer's `#/steps/0/...` routes fetch.
    let init = get_json(&host, "/.states");
    assert_eq!(init.as_array().unwrap().len(), 1, "{init}");
    let steps = get_json(&host, "/.states/0");
    let actions: Vec<&str> = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["Reserve(1)", "Reserve(2)", "Reserve(3)"]);
    // A step shows the TLA+ variables, not the packed Rust state.
    let outcome: Value = serde_json::from_str(steps[0]["outcome"].as_str().unwrap()).unwrap();
    assert_eq!(
        outcome,
        json!({"available": 1, "phase": ["reserved", "idle", "idle"], "seen": [0, 0, 0],
               "falseSoldOut": false})
    );
}

#[test]
fn explore_serves_every_model() {
    for model in [
        "inventory-seed",
        "inventory",
        "saga-seed",
        "saga",
        "breaker-seed",
        "breaker",
        "token-bucket",
    ] {
        let (_server, host) = start_explorer(&[model]);
        let steps = get_json(&host, "/.states/0");
        let steps = steps.as_array().unwrap();
        assert!(
            !steps.is_empty(),
            "{model}: no step out of the initial state"
        );
        for step in steps {
            assert!(step["action"].is_string(), "{model}: {step}");
            let outcome = step["outcome"].as_str().unwrap();
            assert!(
                serde_json::from_str::<Value>(outcome).is_ok_and(|v| v.is_object()),
                "{model}: the step's state is not the TLA+ variables: {outcome}"
            );
        }
    }
}

#[test]
fn explore_refuses_bad_input_with_exit_2_and_one_line() {
    // A port that is taken: hold it for the duration of the command.
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    for args in [
        vec!["inventory", "-c", "Users=99"],
        vec!["inventory", "-c", "Colour=red"],
        vec!["breaker", "--saga", "specs/create_order.saga.yaml"],
        vec!["inventory", "--port", &taken_port],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_flashcheck"))
            .arg("explore")
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("flashcheck: "), "{stderr}");
    }
    drop(taken);
}

/// The first of `names` on `PATH`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A port free when asked (chromedriver binds it a moment later; see `explore`'s
/// `pick_address` for the same race).
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// Polls `probe` until it returns `Ok`, for at most [`PATIENCE`]; `Err` says what it saw.
fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match probe() {
            Ok(value) => return value,
            Err(seen) if Instant::now() > deadline => {
                panic!("gave up waiting for {what}; last saw: {seen}")
            }
            Err(_) => thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A WebDriver session, deleted (closing its browser) when the test ends.
struct Session {
    driver: String,
    id: String,
}

impl Session {
    fn new(driver: &str, chromium: &Path) -> Session {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu",
                         "--disable-background-networking", "--window-size=1280,900"],
            },
        }}});
        let (code, body) = http(driver, "POST", "/session", Some(&capabilities));
        assert_eq!(code, 200, "new session: {body}");
        let reply: Value = serde_json::from_str(&body).unwrap();
        Session {
            driver: driver.to_string(),
            id: reply["value"]["sessionId"].as_str().unwrap().to_string(),
        }
    }

    /// A WebDriver command; its `value`, insisting on success.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.id);
        let (code, text) = http(&self.driver, method, &path, body.as_ref());
        assert_eq!(code, 200, "{method} {path}: {text}");
        serde_json::from_str::<Value>(&text).unwrap()["value"].take()
    }

    /// Runs `script` in the page and returns what it returns.
    fn script(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Waits for the link whose text is `text` and clicks it.
    fn click_link(&self, text: &str) {
        let xpath = format!("//a[normalize-space(.)='{text}']");
        let element = wait_for(&format!("a link `{text}`"), || {
            let found = self.command(
                "POST",
                "/elements",
                Some(json!({"using": "xpath", "value": xpath})),
            );
            found
                .as_array()
                .and_then(|all| all.first().cloned())
                .ok_or_else(|| format!("{found}"))
        });
        let id = element["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap()
            .to_string();
        self.command("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// The page as a PNG.
    fn screenshot(&self) -> Vec<u8> {
        let encoded = self.command("GET", "/screenshot", None);
        base64_decode(encoded.as_str().unwrap())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.id);
        let _ = std::panic::catch_unwind(|| http(&self.driver, "DELETE", &path, None));
    }
}

/// Standard base64 with padding, as WebDriver's screenshot uses.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut held) = (0u32, 0);
    for byte in text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
    {
        let value = ALPHABET
            .iter()
            .position(|&a| a == byte)
            .unwrap_or_else(|| panic!("not base64: {:?}", byte as char));
        bits = (bits << 6) | value as u32;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
        }
    }
    out
}

/// The width and height of a PNG, after checking its signature and header chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24, "{} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "PNG header chunk");
    let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn explore_in_headless_chromium_steps_into_a_state_and_takes_a_screenshot() {
    // Under CI (`CI=true`) `scripts/setup` has installed both: their absence is a failure.
    let skip = |why: &str| skip::skip_unless_ci("explore browser test", why);
    let Some(chromium) = on_path(&["chromium", "chromium-browser", "google-chrome"]) else {
        skip("no chromium on PATH (Debian package chromium)");
        return;
    };
    let Some(chromedriver) = on_path(&["chromedriver"]) else {
        skip("no chromedriver on PATH (Debian package chromium-driver)");
        return;
    };
    let started = Instant::now();
    let (_server, host) = start_explorer(&["inventory"]);

    let driver_port = free_port();
    let _driver = KillOnDrop(
        Command::new(&chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let driver = format!("127.0.0.1:{driver_port}");
    wait_for("chromedriver to be ready", || {
        TcpStream::connect(&driver).map_err(|e| e.to_string())?;
        let (_, body) = http(&driver, "GET", "/status", None);
        let status: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        match status["value"]["ready"].as_bool() {
            Some(true) => Ok(()),
            _ => Err(body),
        }
    });
    // Declared after the driver guard, so it is dropped (the browser closed) first.
    let session = Session::new(&driver, &chromium);

    session.command(
        "POST",
        "/url",
        Some(json!({"url": format!("http://{host}/")})),
    );
    session.click_link("Init 0");
    session.click_link("Reserve(1)");

    // The page now shows the step: its route, the path of actions (from the Explorer's root,
    // "Pre-init") and the state it reached, as the TLA+ variables.
    let shown = wait_for("the page to show the step Reserve(1)", || {
        let page = session.script(
            "return {
                hash: location.hash,
                path: [...document.querySelectorAll('.path-list a')].map(a => a.textContent.trim()),
                state: document.querySelector('.main-flex-right .font-small').textContent,
            };",
        );
        match page["path"] == json!(["Pre-init", "Init 0", "Reserve(1)"]) {
            true => Ok(page),
            false => Err(page.to_string()),
        }
    });
    assert_eq!(shown["hash"], "#/steps/0/0", "{shown}");
    let state: Value = serde_json::from_str(shown["state"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("the state panel is not the TLA+ variables: {e}: {shown}"));
    assert_eq!(
        state["phase"],
        json!(["reserved", "idle", "idle"]),
        "{shown}"
    );
    assert_eq!(state["available"], 1, "{shown}");

    let png = session.screenshot();
    let (width, height) = png_size(&png);
    assert!(width >= 800 && height >= 400, "{width}x{height}");
    // A blank page of that size compresses to a few KB; the Explorer's text makes it larger.
    assert!(
        png.len() > 10_000,
        "a near-empty screenshot: {} bytes",
        png.len()
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("explore");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("inventory-reserve-1.png");
    std::fs::write(&file, &png).unwrap();
    println!(
        "explore browser test: {} ({width}x{height}, {} bytes) in {:.1} s",
        file.display(),
        png.len(),
        started.elapsed().as_secs_f64()
    );
}
