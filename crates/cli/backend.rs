//! The only place that names concrete backends: `--backend NAME` → a [`train::Engine`].

use anyhow::{Result, bail};
use train::Engine;

/// A backend this binary may know, whether it was compiled in, and how to enable it if not.
pub struct BackendInfo {
    pub name: &'static str,
    pub compiled: bool,
    pub what: &'static str,
    /// The cargo feature that builds it (`None`: always built), and whether it is a default one.
    pub feature: Option<(&'static str, bool)>,
    /// What to run before sweeping with it, if anything.
    pub setup: Option<&'static str>,
}

impl BackendInfo {
    /// How to get this backend, e.g. "cargo feature `flex`: cargo xtask sweep --backend flex".
    pub fn enable(&self) -> String {
        match self.feature {
            None => "always built".into(),
            Some((feature, true)) => format!("cargo feature `{feature}` (default)"),
            Some((feature, false)) => {
                let setup = self
                    .setup
                    .map(|s| format!("{s}, then "))
                    .unwrap_or_default();
                format!(
                    "cargo feature `{feature}`: {setup}cargo xtask sweep --backend {}",
                    self.name
                )
            }
        }
    }
}

/// The backend `--backend` uses when not given.
pub const DEFAULT: &str = "fused-cpu";

pub fn all() -> Vec<BackendInfo> {
    let ndarray = Some(("ndarray", true));
    let tch = |name, what| BackendInfo {
        name,
        compiled: cfg!(feature = "tch"),
        what,
        feature: Some(("tch", false)),
        setup: Some("cargo xtask setup-libtorch"),
    };
    vec![
        BackendInfo {
            name: "fused-cpu",
            compiled: true,
            what: "hand-fused CPU kernel on sparse batches, all cores (default; fastest on CPU)",
            feature: None,
            setup: None,
        },
        BackendInfo {
            name: "fused-cpu-burn-adam",
            compiled: cfg!(feature = "ndarray"),
            what: "the fused kernel with burn's Adam on ndarray instead of the native one (for comparison)",
            feature: ndarray,
            setup: None,
        },
        BackendInfo {
            name: "ndarray",
            compiled: cfg!(feature = "ndarray"),
            what: "burn on the embedded ndarray CPU backend, autodiff (the reference path; --gradients by-hand too)",
            feature: ndarray,
            setup: None,
        },
        BackendInfo {
            name: "flex",
            compiled: cfg!(feature = "flex"),
            what: "burn on the pure-Rust flex CPU backend, autodiff (--gradients by-hand too)",
            feature: Some(("flex", false)),
            setup: None,
        },
        tch(
            "tch-cpu",
            "burn on libtorch, CPU, autodiff (--gradients by-hand too)",
        ),
        tch(
            "tch-cuda",
            "burn on libtorch, NVIDIA GPU (--device cuda:N), gradients by hand (--gradients autodiff too)",
        ),
        tch(
            "tch-mps",
            "burn on libtorch, Apple GPU (Metal), gradients by hand (--gradients autodiff too)",
        ),
    ]
}

pub fn list() -> String {
    let backends = all();
    let width = backends.iter().map(|b| b.name.len()).max().unwrap_or(0);
    let mut out = String::from("backends:\n");
    for b in backends {
        let state = if b.compiled { "available" } else { "not built" };
        out += &format!(
            "  {:<width$}  {:<9}  {} [{}]\n",
            b.name,
            state,
            b.what,
            b.enable()
        );
    }
    out
}

/// How `--backend` is set up beyond its name (each `None`: the backend's default).
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineOptions<'a> {
    /// `--device`, for tch-cuda.
    pub device: Option<&'a str>,
    /// `--upload dense|sparse|counts`, for the burn backends (default: counts on GPUs, dense on
    /// CPUs).
    pub upload: Option<&'a str>,
    /// `--gradients autodiff|by-hand`, for the burn backends (default: see [`default_gradients`]).
    pub gradients: Option<&'a str>,
}

/// The engine for `name` with its defaults.
pub fn engine(name: &str) -> Result<Box<dyn Engine>> {
    engine_with(name, EngineOptions::default())
}

/// The engine of a benchmark's `NAME[+OPTION...]`, where an option is a `--gradients` or an
/// `--upload` value: `tch-cpu+by-hand+counts` is `--backend tch-cpu --gradients by-hand
/// --upload counts`, so that one run can time the ways one backend can train.
pub fn engine_spec(spec: &str) -> Result<Box<dyn Engine>> {
    let mut parts = spec.split('+');
    let name = parts.next().unwrap_or_default();
    let mut options = EngineOptions::default();
    for option in parts {
        match option {
            "autodiff" | "by-hand" => options.gradients = Some(option),
            "dense" | "sparse" | "counts" => options.upload = Some(option),
            _ => bail!(
                "{spec:?}: unknown option {option:?} after `+`; expected one of autodiff, by-hand \
                 (gradients) or dense, sparse, counts (upload)"
            ),
        }
    }
    engine_with(name, options)
}

/// How a benchmark labels the engine of `spec`: its name (which says its device and, when by
/// hand, its gradients: `tch-cuda:0+by-hand`) and the spec's `--upload` option, if any.
pub fn spec_label(spec: &str, engine: &dyn Engine) -> String {
    let uploads = spec
        .split('+')
        .skip(1)
        .filter(|o| matches!(*o, "dense" | "sparse" | "counts"));
    uploads.fold(engine.name(), |label, upload| format!("{label}+{upload}"))
}

/// The engine for `name` (and `--device`, for GPUs), or an error that lists what exists and
/// how to enable it.
pub fn engine_with(name: &str, options: EngineOptions) -> Result<Box<dyn Engine>> {
    let EngineOptions {
        device,
        upload,
        gradients,
    } = options;
    if name.starts_with("fused-cpu") && (upload.is_some() || gradients.is_some()) {
        bail!(
            "--upload and --gradients only apply to the burn backends (ndarray, flex, tch-*); \
             {name} reads its sparse batches directly and derives its gradients by hand"
        );
    }
    let upload = match upload {
        Some("dense") => Some(train::Upload::Dense),
        Some("sparse") => Some(train::Upload::Sparse),
        Some("counts") => Some(train::Upload::NodeCounts),
        Some(other) => bail!("--upload {other:?}: expected dense, sparse or counts"),
        None => None,
    };
    let upload = |default| upload.unwrap_or(default);
    let gradients = match gradients {
        Some("autodiff") => train::Gradients::Autodiff,
        Some("by-hand") => train::Gradients::ByHand,
        Some(other) => bail!("--gradients {other:?}: expected autodiff or by-hand"),
        None => default_gradients(name),
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
            info.enable(),
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
        "ndarray" => Box::new(train::DeviceEngine {
            name: name.into(),
            #[allow(deprecated)] // the design card's reference backend
            device: burn::prelude::Device::ndarray(),
            upload: upload(train::Upload::Dense),
            gradients,
        }),
        #[cfg(feature = "flex")]
        "flex" => Box::new(train::DeviceEngine {
            name: name.into(),
            device: burn::prelude::Device::flex(),
            upload: upload(train::Upload::Dense),
            gradients,
        }),
        #[cfg(feature = "tch")]
        "tch-cpu" | "tch-cuda" | "tch-mps" => tch_engine(name, device, upload, gradients)?,
        _ => unreachable!("every compiled backend has an arm"),
    })
}

/// `--gradients` when not given: by hand on GPUs, where a step costs its ops' dispatch, and
/// autodiff (the reference) on CPUs. On libtorch's CPU device, where small ops cost their
/// dispatch too, by hand stepped the seed groups 1.45–2.19× faster with node counts, and the
/// packed seed grid at 300 steps took 6.1 and 6.5 s against 13.5 and 12.2 s, with AGREE on
/// all 42 configs (every ratio 1.000).
fn default_gradients(backend: &str) -> train::Gradients {
    match backend {
        "tch-cuda" | "tch-mps" => train::Gradients::ByHand,
        _ => train::Gradients::Autodiff,
    }
}

/// Groups per pack (`--pack-groups`) when not given: 8 on GPUs with node-count uploads (their
/// default), else 1. On a GPU a step of these small models costs its ops' dispatch (an H100
/// stepped depth 1 at 1240 steps/s and depth 6 at 863), so a pack should step at about one
/// group's rate; on a CPU, padding only adds arithmetic (the seed grid at 300 steps on ndarray
/// took 16.7 and 17.3 s packed against 4.6 and 4.2 s one group at a time).
pub fn default_pack_groups(backend: &str, upload: Option<&str>) -> usize {
    match (backend, upload) {
        ("tch-cuda" | "tch-mps", None | Some("counts")) => 8,
        _ => 1,
    }
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
    gradients: train::Gradients,
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
    // A GPU pays for every uploaded byte and every row; libtorch's CPU device shares the
    // host's memory.
    let upload = upload(match name {
        "tch-cpu" => train::Upload::Dense,
        _ => train::Upload::NodeCounts,
    });
    Ok(Box::new(train::DeviceEngine {
        name: label,
        device: dev,
        upload,
        gradients,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use toy_model::InstanceInit;
    use tree_data::{DataSpec, Magnitude, StreamKey, Structure, TreeSpec};

    /// Whether `engine` packs a job of tree paths: only burn engines uploading node counts do.
    fn packs_tree_paths(engine: &dyn Engine) -> bool {
        let tree = TreeSpec::new(2, 2, 0.5).unwrap();
        let data = DataSpec::tree(tree, Structure::Tree, Magnitude::Binary);
        let instances = [InstanceInit {
            n_hidden: 2,
            init_std: 0.1,
            key: StreamKey {
                seed: 0,
                config: 0,
                instance: 0,
            },
        }];
        let config = train::TrainConfig::default();
        let job = train::Job {
            data: &data,
            instances: &instances,
            importance: &[1.0; 6],
            config: &config,
        };
        engine.can_pack(&job)
    }

    #[test]
    fn a_spec_sets_gradients_and_upload_in_any_order() {
        let name = |spec: &str| engine_spec(spec).unwrap().name();
        assert_eq!(name("ndarray"), "ndarray");
        assert_eq!(name("ndarray+autodiff"), "ndarray");
        assert_eq!(name("ndarray+by-hand"), "ndarray+by-hand");
        assert_eq!(name("ndarray+counts+by-hand"), "ndarray+by-hand");
        let label = |spec: &str| spec_label(spec, engine_spec(spec).unwrap().as_ref());
        assert_eq!(label("ndarray+counts+by-hand"), "ndarray+by-hand+counts");
        assert_eq!(label("ndarray+autodiff"), "ndarray");
        let packs = |spec: &str| packs_tree_paths(engine_spec(spec).unwrap().as_ref());
        assert!(packs("ndarray+by-hand+counts") && packs("ndarray+counts"));
        assert!(!packs("ndarray+by-hand") && !packs("ndarray+sparse"));
    }

    #[test]
    fn a_bad_spec_names_the_option_and_what_is_allowed() {
        let error = |spec: &str| engine_spec(spec).err().unwrap().to_string();
        let unknown = error("ndarray+fast");
        assert!(
            unknown.contains("\"fast\"") && unknown.contains("by-hand"),
            "{unknown}"
        );
        assert!(unknown.contains("counts"), "{unknown}");
        let fused = error("fused-cpu+by-hand");
        assert!(fused.contains("only apply to the burn backends"), "{fused}");
        let options = |gradients| EngineOptions {
            gradients: Some(gradients),
            ..EngineOptions::default()
        };
        let wrong = engine_with("ndarray", options("fast"))
            .err()
            .unwrap()
            .to_string();
        assert!(wrong.contains("autodiff or by-hand"), "{wrong}");
    }
}
