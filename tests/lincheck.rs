//! `flashcheck lincheck` and the checker behind it on known histories: Knossos-style register
//! and compare-and-set register examples (linearizable and not), indeterminate (`:info`)
//! operations taken either way, generated Jepsen-shaped histories (5–50 clients, many
//! `:info`), and the command's exit codes (issue 15, item 6).

use assert_cmd::Command;
use flashcheck::history::check::check_jepsen;
use flashcheck::history::edn::Value;
use flashcheck::history::jepsen;
use flashcheck::history::models::JepsenModel;
use flashcheck::history::synth::{cas_register, to_log, Shape};

fn verdict(text: &str, model: JepsenModel, initial: Option<Value>) -> bool {
    let h = jepsen::parse(text).unwrap();
    check_jepsen(&h, model, initial, false, "test".into(), "test".into())
        .unwrap()
        .linearizable
}

const REG: JepsenModel = JepsenModel::Register;
const CAS: JepsenModel = JepsenModel::CasRegister;

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    let h = "0 :invoke :write 1\n1 :invoke :read nil\n1 :ok :read nil\n0 :ok :write 1\n";
    assert!(verdict(h, REG, None));
    let h = "0 :invoke :write 1\n1 :invoke :read nil\n1 :ok :read 1\n0 :ok :write 1\n";
    assert!(verdict(h, REG, None));
}

#[test]
fn a_stale_read_after_the_write_returned_is_not_linearizable() {
    let h = "0 :invoke :write 1\n0 :ok :write 1\n1 :invoke :read nil\n1 :ok :read nil\n";
    assert!(!verdict(h, REG, None));
}

#[test]
fn a_read_of_a_value_never_written_is_not_linearizable() {
    let h = "0 :invoke :write 1\n1 :invoke :read nil\n1 :ok :read 2\n0 :ok :write 1\n";
    assert!(!verdict(h, REG, None));
}

/// Knossos's classic: an indeterminate write may show up later, or never.
#[test]
fn an_info_write_may_take_effect_later_or_never() {
    let later = "0 :invoke :write 2\n0 :info :write 2\n1 :invoke :read nil\n1 :ok :read 2\n\
                 2 :invoke :read nil\n2 :ok :read 2\n";
    assert!(verdict(later, REG, None));
    let never = "0 :invoke :write 2\n0 :info :write 2\n1 :invoke :read nil\n1 :ok :read nil\n";
    assert!(verdict(never, REG, None));
    // But not before it was invoked.
    let before = "1 :invoke :read nil\n1 :ok :read 2\n0 :invoke :write 2\n0 :info :write 2\n";
    assert!(!verdict(before, REG, None));
    // Nor twice: once seen, then gone back to nil with nothing else written.
    let flicker = "0 :invoke :write 2\n0 :info :write 2\n1 :invoke :read nil\n1 :ok :read 2\n\
                   1 :invoke :read nil\n1 :ok :read nil\n";
    assert!(!verdict(flicker, REG, None));
}

#[test]
fn two_successful_cas_from_the_same_value_are_not_linearizable() {
    let h = "0 :invoke :write 0\n0 :ok :write 0\n\
             1 :invoke :cas [0 1]\n2 :invoke :cas [0 2]\n1 :ok :cas [0 1]\n2 :ok :cas [0 2]\n";
    assert!(!verdict(h, CAS, None));
    // One of them failing (took no effect) is fine, and so is one being indeterminate.
    let h = "0 :invoke :write 0\n0 :ok :write 0\n\
             1 :invoke :cas [0 1]\n2 :invoke :cas [0 2]\n1 :ok :cas [0 1]\n2 :fail :cas [0 2]\n\
             3 :invoke :read nil\n3 :ok :read 1\n";
    assert!(verdict(h, CAS, None));
    let h = "0 :invoke :write 0\n0 :ok :write 0\n\
             1 :invoke :cas [0 1]\n2 :invoke :cas [0 2]\n1 :info :cas [0 1]\n2 :ok :cas [0 2]\n\
             3 :invoke :read nil\n3 :ok :read 2\n";
    assert!(verdict(h, CAS, None));
    // An indeterminate cas that must have happened, after the value it needs was there.
    let h = "0 :invoke :write 0\n0 :ok :write 0\n1 :invoke :cas [0 1]\n1 :info :cas [0 1]\n\
             3 :invoke :read nil\n3 :ok :read 1\n";
    assert!(verdict(h, CAS, None));
    let h = "1 :invoke :cas [0 1]\n1 :info :cas [0 1]\n0 :invoke :write 0\n0 :ok :write 0\n\
             0 :invoke :write 5\n0 :ok :write 5\n3 :invoke :read nil\n3 :ok :read 1\n";
    assert!(
        !verdict(h, CAS, None),
        "the cas needs 0, and 5 was written after 0"
    );
}

#[test]
fn stock_units_are_never_sold_twice_even_with_lost_responses() {
    // 2 units, 3 reservations all told reserved: one unit sold twice.
    let h = "0 :invoke :reserve nil\n1 :invoke :reserve nil\n2 :invoke :reserve nil\n\
             0 :ok :reserve :reserved\n1 :ok :reserve :reserved\n2 :ok :reserve :reserved\n";
    assert!(!verdict(h, JepsenModel::Stock, Some(Value::Int(2))));
    // 2 units, one lost reservation, then a read of 0 and one more reserved: the lost one
    // must not have happened... and then the read of 0 is wrong.
    let mut h = String::new();
    for p in 0..40 {
        h.push_str(&format!(
            "{p} :invoke :reserve nil\n{p} :info :reserve nil\n"
        ));
    }
    h.push_str("50 :invoke :read nil\n50 :ok :read 3\n");
    assert!(
        verdict(&h, JepsenModel::Stock, Some(Value::Int(10))),
        "7 of 40 happened"
    );
    h.push_str("51 :invoke :release nil\n51 :ok :release nil\n");
    h.push_str("50 :invoke :read nil\n50 :ok :read 11\n");
    assert!(
        !verdict(&h, JepsenModel::Stock, Some(Value::Int(10))),
        "a unit invented"
    );
}

#[test]
fn generated_histories_are_linearizable_and_stale_reads_are_caught() {
    // 50 clients all overlapping one register is past the checker (reports/stores.md).
    for (clients, seed) in [(5, 1), (10, 2), (20, 3)] {
        let shape = Shape {
            clients,
            operations: 2_000,
            info_per_mille: 20,
            stale_per_mille: 0,
            values: 5,
            seed,
        };
        let h = cas_register(shape);
        let r = check_jepsen(&h, CAS, None, false, "gen".into(), "gen".into()).unwrap();
        assert!(r.linearizable, "{clients} clients: {:?}", r.window);
        assert!(r.indeterminate > 20, "{}", r.indeterminate);
        // The same history read back from Jepsen's text format gives the same verdict.
        let back = jepsen::parse(&to_log(&h)).unwrap();
        assert_eq!(back.events.len(), h.events.len());
        // Few lost writes and many values: a stale read cannot pass for a late lost write.
        let stale = cas_register(Shape {
            stale_per_mille: 100,
            info_per_mille: 5,
            values: 1_000,
            clients: 5,
            operations: 1_000,
            ..shape
        });
        let r = check_jepsen(&stale, CAS, None, false, "gen".into(), "gen".into()).unwrap();
        assert!(!r.linearizable, "{clients} clients: stale reads missed");
        assert!(!r.window.is_empty());
    }
}

#[test]
fn independent_keys_are_checked_apart() {
    let h = "0 :invoke :write [a 1]\n0 :ok :write [a 1]\n1 :invoke :read [b nil]\n\
             1 :ok :read [b nil]\n1 :invoke :read [a nil]\n1 :ok :read [a 1]\n";
    let parsed = jepsen::parse(h).unwrap();
    let r = check_jepsen(&parsed, REG, None, true, "t".into(), "t".into()).unwrap();
    assert!(r.linearizable);
    let h = h.replace("1 :ok :read [a 1]", "1 :ok :read [a nil]");
    let parsed = jepsen::parse(&h).unwrap();
    let r = check_jepsen(&parsed, REG, None, true, "t".into(), "t".into()).unwrap();
    assert!(!r.linearizable);
    assert!(check_jepsen(&parsed, REG, None, false, "t".into(), "t".into()).is_ok());
}

/// Runs `flashcheck lincheck ARGS… --history FILE`: (exit code, stdout, stderr).
fn lincheck(args: &[&str], file: &std::path::Path) -> (i32, String, String) {
    let out = Command::cargo_bin("flashcheck")
        .unwrap()
        .arg("lincheck")
        .args(args)
        .arg("--history")
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_exits_0_1_and_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    std::fs::write(
        &good,
        "0 :invoke :write 1\n0 :ok :write 1\n1 :invoke :read nil\n1 :ok :read 1\n",
    )
    .unwrap();
    let (code, out, _) = lincheck(&["--model", "register"], &good);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("LINEARIZABLE"), "{out}");
    let bad = dir.path().join("bad.edn");
    std::fs::write(
        &bad,
        "{:type :invoke, :f :write, :process 0, :value 1}\n{:type :ok, :f :write, :process 0, :value 1}\n\
         {:type :invoke, :f :read, :process 1, :value nil}\n{:type :ok, :f :read, :process 1, :value 0}\n",
    )
    .unwrap();
    let (code, out, _) = lincheck(&["--model", "register", "--json"], &bad);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\"linearizable\": false"), "{out}");
    let garbage = dir.path().join("garbage.txt");
    std::fs::write(&garbage, "0 :invoke :read nil\nthis is not a history\n").unwrap();
    let (code, _, err) = lincheck(&["--model", "register"], &garbage);
    assert_eq!(code, 2);
    assert!(err.contains("line 2"), "{err}");
    let (code, _, err) = lincheck(&["--model", "stock"], &good);
    assert_eq!(code, 2);
    assert!(err.contains("--initial"), "{err}");
}
