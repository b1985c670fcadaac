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

const TCH_HINT: &str =
    "cargo feature `tch`: cargo xtask setup-libtorch, then cargo xtask sweep --backend tch-cuda";

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
            name: "fused-cpu-burn-adam",
            compiled: cfg!(feature = "ndarray"),
            what: "the fused kernel with burn's Adam on ndarray instead of the native one (for comparison)",
            enable: "cargo feature `ndarray` (default)",
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
        BackendInfo {
            name: "tch-cpu",
            compiled: cfg!(feature = "tch"),
            what: "burn autodiff on libtorch, CPU",
            enable: TCH_HINT,
        },
        BackendInfo {
            name: "tch-cuda",
            compiled: cfg!(feature = "tch"),
            what: "burn autodiff on libtorch, NVIDIA GPU (--device cuda:N)",
            enable: TCH_HINT,
        },
        BackendInfo {
            name: "tch-mps",
            compiled: cfg!(feature = "tch"),
            what: "burn autodiff on libtorch, Apple GPU (Metal)",
            enable: TCH_HINT,
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

/// The engine for `name` (and `--device`, for GPUs), or an error that lists what exists and
/// how to enable it.
pub fn engine(name: &str, device: Option<&str>) -> Result<Box<dyn Engine>> {
    engine_with(name, device, None)
}

/// [`engine`] with `--upload dense|sparse` for the autodiff backends (default: sparse on GPUs).
pub fn engine_with(
    name: &str,
    device: Option<&str>,
    upload: Option<&str>,
) -> Result<Box<dyn Engine>> {
    if upload.is_some() && name.starts_with("fused-cpu") {
        bail!(
            "--upload only applies to the burn autodiff backends (ndarray, flex, tch-*);              {name} reads its sparse batches directly"
        );
    }
    let upload = |default| match upload {
        Some("sparse") => train::Upload::Sparse,
        Some(_) => train::Upload::Dense,
        None => default,
    };
    let Some(info) = all().into_iter().find(|b| b.name == name) else {
        bail!("--backend {name:?} does not exist\n{}", list());
    };
    if let Some(device) = device.filter(|_| name != "tch-cuda") {
        bail!("--device {device} only applies to --backend tch-cuda, not {name}");
    }
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
        #[allow(deprecated)] // the design card's reference backend
        "fused-cpu-burn-adam" => Box::new(train::FusedCpuEngine {
            optimizer: train::FusedOptimizer::Burn(burn::prelude::Device::ndarray().autodiff()),
        }),
        #[cfg(feature = "ndarray")]
        "ndarray" => Box::new(train::AutodiffEngine {
            name: name.into(),
            #[allow(deprecated)] // the design card's reference backend
            device: burn::prelude::Device::ndarray().autodiff(),
            upload: upload(train::Upload::Dense),
        }),
        #[cfg(feature = "flex")]
        "flex" => Box::new(train::AutodiffEngine {
            name: name.into(),
            device: burn::prelude::Device::flex().autodiff(),
            upload: upload(train::Upload::Dense),
        }),
        #[cfg(feature = "tch")]
        "tch-cpu" | "tch-cuda" | "tch-mps" => tch_engine(name, device, upload)?,
        _ => unreachable!("every compiled backend has an arm"),
    })
}

/// The CUDA index of `--device cuda:N` (default 0).
#[cfg(feature = "tch")]
fn cuda_index(device: Option<&str>) -> Result<usize> {
    let Some(device) = device else { return Ok(0) };
    device
        .strip_prefix("cuda:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("--device {device:?}: expected cuda:N, e.g. cuda:0"))
}

#[cfg(feature = "tch")]
#[allow(deprecated)] // burn-tch is deprecated upstream, but it is the design card's GPU route
fn tch_engine(
    name: &str,
    device: Option<&str>,
    upload: impl Fn(train::Upload) -> train::Upload,
) -> Result<Box<dyn Engine>> {
    use burn::prelude::{Device, Tensor};
    let (label, dev) = match name {
        "tch-cpu" => ("tch-cpu".to_string(), Device::libtorch()),
        "tch-mps" => ("tch-mps".to_string(), Device::libtorch_mps()),
        _ => {
            let index = cuda_index(device)?;
            (format!("tch-cuda:{index}"), Device::libtorch_cuda(index))
        }
    };
    // libtorch panics on a device it cannot open; turn that into one clear message.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let probe = std::panic::catch_unwind(|| {
        let _ = Tensor::<1>::zeros([1], &dev).into_data();
    });
    std::panic::set_hook(hook);
    if probe.is_err() {
        bail!(
            "--backend {name}: libtorch could not open device {label}. For CUDA, check `nvidia-smi` and that the \
             installed torch is a CUDA build (`cargo xtask setup-libtorch` installs one); for MPS, a Mac with \
             Apple silicon and a torch with MPS; or use --backend tch-cpu or fused-cpu."
        );
    }
    // A GPU pays for every uploaded byte; libtorch's CPU device shares the host's memory.
    let upload = upload(match name {
        "tch-cpu" => train::Upload::Dense,
        _ => train::Upload::Sparse,
    });
    Ok(Box::new(train::AutodiffEngine {
        name: label,
        device: dev.autodiff(),
        upload,
    }))
}
