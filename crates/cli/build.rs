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
    let commit = match git(&["rev-parse", "HEAD"]) {
        Some(head) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(changes) if !changes.is_empty() => format!("{head}-dirty"),
            _ => head,
        },
        None => "unknown".into(),
    };
    println!("cargo:rustc-env=TMH_GIT_COMMIT={commit}");

    // Run again when the commit moves or a tracked source changes (the dirty flag follows).
    if let Some(git_dir) = git(&["rev-parse", "--git-dir"]) {
        let mut watched = vec!["HEAD".to_string(), "index".into(), "packed-refs".into()];
        watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
        for name in watched {
            let path = Path::new(&git_dir).join(name);
            // A path that does not exist would make cargo rerun this script on every build.
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    for path in ["crates", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
