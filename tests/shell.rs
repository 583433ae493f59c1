//! `rpasim completions` and `rpasim man`: scripts shells load, pages `man`
//! renders.

use crate::common;

use std::fs;
use std::process::Command;

use common::{run_in, stderr, stdout};

/// Whether a program is on the PATH.
fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn completion_scripts_are_written_for_every_shell_and_bash_loads_its_own() {
    let dir = tempfile::tempdir().expect("temp dir");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run_in(dir.path(), &["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        // Every subcommand can be completed.
        for sub in ["run", "sweep", "plan", "import", "completions", "man"] {
            assert!(script.contains(sub), "{shell}: no {sub}");
        }
    }
    let o = run_in(dir.path(), &["completions", "bash"]);
    let path = dir.path().join("rpasim.bash");
    fs::write(&path, o.stdout).expect("write");
    let check = Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash");
    assert!(check.status.success(), "bash -n: {}", stderr(&check));
    let loaded = Command::new("bash")
        .arg("-c")
        .arg(format!("source '{}' && complete -p rpasim", path.display()))
        .output()
        .expect("bash");
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    assert!(
        stdout(&loaded).contains("-F _rpasim rpasim"),
        "{}",
        stdout(&loaded)
    );
    let o = run_in(dir.path(), &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn man_pages_render_for_rpasim_and_each_subcommand() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = run_in(dir.path(), &["man"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH rpasim 1"), "{page}");
    assert!(page.contains("rpasim\\-import(1)"), "{page}");
    let o = run_in(dir.path(), &["man", "import"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sub = stdout(&o);
    assert!(sub.contains(".TH rpasim-import 1"), "{sub}");
    assert!(sub.contains("\\-\\-fleet"), "{sub}");
    let o = run_in(dir.path(), &["man", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("one of run, validate"),
        "{}",
        stderr(&o)
    );
    if !have("man") {
        eprintln!("man is not installed: the pages were checked as roff text only");
        return;
    }
    let path = dir.path().join("rpasim-import.1");
    fs::write(&path, sub).expect("write");
    let shown = Command::new("man")
        .arg("-l")
        .arg(&path)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man");
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = stdout(&shown);
    assert!(
        text.contains("SYNOPSIS") && text.contains("--fleet"),
        "{text}"
    );
}
