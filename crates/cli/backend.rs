//! The only place that names concrete backends: `--backend NAME` → a [`train::Engine`].

use anyhow::{Result, bail};
use train::Engine;

/// A backend this binary may know, whether it was compiled in, and how to enable it if not.
pub struct BackendInfo {
    pub name: &'static str,
    pub compiled: bool,
    pub what: &'static str,
    pub enable: &'static str,
}

/// The backend `--backend` uses when not given.
pub const DEFAULT: &str = "fused-cpu";

pub fn all() -> Vec<BackendInfo> {
    vec![
        BackendInfo {
            name: "fused-cpu",
            compiled: true,
            what: "hand-fused CPU kernel on sparse batches, all cores (default; fastest on CPU)",
            enable: "always built",
        },
        BackendInfo {
            name: "ndarray",
            compiled: cfg!(feature = "ndarray"),
            what: "burn autodiff on the embedded ndarray CPU backend (reference path)",
            enable: "cargo feature `ndarray` (default)",
        },
        BackendInfo {
            name: "flex",
            compiled: cfg!(feature = "flex"),
            what: "burn autodiff on the pure-Rust flex CPU backend",
            enable: "cargo feature `flex`: cargo xtask sweep --backend flex",
        },
    ]
}

pub fn list() -> String {
    let mut out = String::from("backends:\n");
    for b in all() {
        let state = if b.compiled { "available" } else { "not built" };
        out += &format!("  {:<10} {:<10} {} [{}]\n", b.name, state, b.what, b.enable);
    }
    out
}

/// The engine for `name`, or an error that lists what exists and how to enable it.
pub fn engine(name: &str) -> Result<Box<dyn Engine>> {
    let Some(info) = all().into_iter().find(|b| b.name == name) else {
        bail!("--backend {name:?} does not exist\n{}", list());
    };
    if !info.compiled {
        bail!(
            "--backend {name} is not built into this binary; enable it with {}\n{}",
            info.enable,
            list()
        );
    }
    Ok(match name {
        "fused-cpu" => Box::new(train::FusedCpuEngine::default()),
        #[cfg(feature = "ndarray")]
        "ndarray" => Box::new(train::AutodiffEngine {
            name: name.into(),
            #[allow(deprecated)] // the design card's reference backend
            device: burn::prelude::Device::ndarray().autodiff(),
        }),
        #[cfg(feature = "flex")]
        "flex" => Box::new(train::AutodiffEngine {
            name: name.into(),
            device: burn::prelude::Device::flex().autodiff(),
        }),
        _ => unreachable!("every compiled backend has an arm"),
    })
}
