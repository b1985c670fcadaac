//! Records the commit the `tmh` binary is built from as `TMH_GIT_COMMIT` (`<sha>`,
//! `<sha>-dirty` when tracked files differ from it, or `unknown` outside a git checkout), so
//! that a run folder names the code that trained it even when the binary runs on another
//! machine or the checkout has moved on since the build.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    // The dirty flag covers exactly what the rerun below watches, untracked files included
    // (a new module not yet added is compiled in all the same).
    let watched = ["crates", "Cargo.toml", "Cargo.lock"];
    let commit = match git(&["rev-parse", "HEAD"]) {
        Some(head) => {
            let mut status = vec!["status", "--porcelain", "--"];
            status.extend(watched);
            match git(&status) {
                Some(changes) if !changes.is_empty() => format!("{head}-dirty"),
                _ => head,
            }
        }
        None => "unknown".into(),
    };
    println!("cargo:rustc-env=TMH_GIT_COMMIT={commit}");

    // Run again when the commit moves (HEAD's log and the branch's ref, through `--git-path`,
    // which also finds them from a linked worktree) or a watched source changes. Not the
    // index: `git status` itself refreshes it, which would rebuild on every build.
    let mut refs = vec!["logs/HEAD".to_string(), "HEAD".into()];
    refs.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in refs {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            // A path that does not exist would make cargo rerun this script on every build.
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    for path in watched {
        println!("cargo:rerun-if-changed={path}");
    }
}
