//! Fused, hand-derived CPU forward + backward pass for a stack of independent tied
//! ReLU autoencoders ("instances") on sparse inputs, plus a pure-Rust Adam that
//! matches burn's.
//!
//! # Math
//! Per instance, with `W: [H, F]`, bias `b: [F]`, importance `imp: [F]`, and a sparse
//! sample `x` (a few active features `j`):
//!
//! ```text
//! h   = W x            h_k = Σ_j W[k,j] x_j        (a sum of ≤ depth columns)
//! z   = Wᵀ h + b       out = ReLU(z)
//! L_i = 1/(B·F) Σ_samples Σ_f imp_f (x_f − out_f)²      (total loss L = Σ_i L_i)
//! ```
//!
//! With `e_f = out_f − x_f` and `g_f = 2/(B·F) · imp_f · e_f · [z_f > 0]` (ReLU'(0) = 0,
//! as in PyTorch), summed over samples:
//!
//! ```text
//! db_f    += g_f
//! dW[k,f] += h_k g_f                               (decoder use of W)
//! v_k      = Σ_f W[k,f] g_f;   dW[k,j] += v_k x_j   (encoder use of W, active j only)
//! ```
//!
//! # Why it is fast
//! * The encoder touches only the ≤ depth active columns of `W`.
//! * The decoder `z = Wᵀh + b` is a small dense GEMM computed in register tiles of
//!   `MR` samples × `NR` features; the loss is computed in the tile's epilogue while
//!   `z` is still in registers (`z` is never stored). Only tiles with some `z > 0`
//!   produce `g` and a bitmask of its nonzeros.
//! * The backward only visits features with `z > 0`: per such (sample, feature), two
//!   short axpys over the hidden dimension, on `W` stored transposed (`[F][H]`) so
//!   they are contiguous. After a little training almost every `z` is negative and
//!   the backward all but vanishes; even at initialisation (half the `z` positive) it
//!   was as fast as a dense backward GEMM, so there is no dense path.
//! * Hot loops work on fixed-size arrays (the padded hidden width is a const generic
//!   for the common sizes), load all operands before storing, and have no bounds
//!   checks or branches inside, so they autovectorise with baseline SSE2. On x86-64
//!   the same code is also compiled with AVX2 and with AVX-512F enabled, picked at run
//!   time. Rust never fuses `a * b + c` into an FMA and nothing is reassociated, so
//!   every build performs the same f32 operations in the same order: the results are
//!   bit-identical across instruction sets.
//! * Work items are (instance, fixed chunk of [`CHUNK`] samples), run in parallel with
//!   rayon. Each item writes its own partial sums, which are then added in chunk
//!   order, so results do not depend on the number of threads, bit for bit.
//! * For training, [`InstanceTrainer`] keeps one instance's parameters in these padded
//!   layouts across steps and runs its chunks, their sum and Adam as one piece of code
//!   on one thread: instances train side by side without waiting for each other.
//!   It takes [`CountedRows`], where one row may stand for many equal samples: the
//!   loss and `g` of a row are scaled by its count, so a batch costs its distinct rows.
//!   Training reads the loss back only now and then, and the kernel skips it otherwise.
//! * Masked hidden rows (`k >= active_hidden[i]`) are never read, cost nothing, and get
//!   exactly zero gradient.

use rayon::prelude::*;

/// Samples per work item. Fixed, so the partial sums and their reduction order (and
/// hence every bit of the result) do not depend on the number of threads.
pub const CHUNK: usize = 256;
/// Samples per register tile.
const MR: usize = 4;
/// Features per register tile (f32 lanes); `F` is padded to a multiple of it.
const NR: usize = 16;
const _: () = assert!(64 % NR == 0 && MR == 4);

/// Sizes of the stacked model: `n_instances` models, each with `W: [n_hidden,
/// n_features]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub n_instances: usize,
    pub n_hidden: usize,
    pub n_features: usize,
}

/// A batch of sparse samples in CSR form, instance-major: row `r = instance * batch +
/// sample` has features `indices[offsets[r]..offsets[r + 1]]` with `values[..]`.
/// Rows may be empty; repeated indices in a row add up.
#[derive(Clone, Copy, Debug)]
pub struct SparseRows<'a> {
    pub batch: usize,
    pub offsets: &'a [u32],
    pub indices: &'a [u32],
    pub values: &'a [f32],
}

/// One instance's batch with equal samples merged: CSR row `r` (laid out as in
/// [`SparseRows`]) stands for `counts[r]` of the batch's `batch` samples. Losses and
/// gradients are those of the full batch.
#[derive(Clone, Copy, Debug)]
pub struct CountedRows<'a> {
    pub batch: usize,
    pub offsets: &'a [u32],
    pub indices: &'a [u32],
    pub values: &'a [f32],
    pub counts: &'a [u32],
}

/// Output of [`loss_and_grads`], plus scratch reused across calls (a call with the
/// same shape and batch size allocates nothing).
pub struct FusedGrads {
    /// Per-instance loss, `[I]`.
    pub loss: Vec<f32>,
    /// `dL/dW`, `[I, H, F]` row-major; masked rows are exactly zero.
    pub dw: Vec<f32>,
    /// `dL/db`, `[I, F]`.
    pub db: Vec<f32>,
    ws: Workspace,
}

impl FusedGrads {
    pub fn new(shape: Shape) -> Self {
        let Shape {
            n_instances: ni,
            n_hidden: nh,
            n_features: nf,
        } = shape;
        Self {
            loss: vec![0.0; ni],
            dw: vec![0.0; ni * nh * nf],
            db: vec![0.0; ni * nf],
            ws: Workspace::default(),
        }
    }
}

/// Computes the per-instance losses and the gradients of the total loss `Σ_i L_i`
/// into `out` (overwritten). `w: [I, H, F]`; `b`, `importance: [I, F]`; rows
/// `active_hidden[i]..H` of instance `i` are masked: never read (they should be zero)
/// and given zero gradient.
///
/// Panics if a slice length does not match `shape` / `rows`, `rows` is not valid CSR,
/// a feature index is `>= F`, or `rows.batch == 0`.
pub fn loss_and_grads(
    shape: &Shape,
    w: &[f32],
    b: &[f32],
    importance: &[f32],
    active_hidden: &[u32],
    rows: &SparseRows,
    out: &mut FusedGrads,
) {
    let model = Model::new(shape, w, b, importance, active_hidden, rows);
    let FusedGrads { loss, dw, db, ws } = out;
    loss.resize(shape.n_instances, 0.0);
    dw.resize(shape.n_instances * shape.n_hidden * shape.n_features, 0.0);
    db.resize(shape.n_instances * shape.n_features, 0.0);
    ws.run::<true>(&model, rows);
    ws.reduce(&model, loss, Some((dw, db)));
}

/// Per-instance loss only (for evaluation; allocates its own scratch). Bit-identical
/// to the `loss` of [`loss_and_grads`].
pub fn loss_per_instance(
    shape: &Shape,
    w: &[f32],
    b: &[f32],
    importance: &[f32],
    active_hidden: &[u32],
    rows: &SparseRows,
) -> Vec<f32> {
    let model = Model::new(shape, w, b, importance, active_hidden, rows);
    let mut ws = Workspace::default();
    let mut loss = vec![0.0; shape.n_instances];
    ws.run::<false>(&model, rows);
    ws.reduce(&model, &mut loss, None);
    loss
}

/// One instance trained on its own with the kernel and [`Adam`]. Its parameters stay in
/// the kernel's padded layouts between steps, and a step allocates nothing and wakes no
/// threads, so that many instances can train side by side, one per thread.
///
/// The loss of a stacked model is a sum over instances and Adam is elementwise, so the
/// steps give, bit for bit, the parameters of [`loss_and_grads`] and [`Adam::step`] on a
/// stacked model holding this instance (same chunks, same operations in the same order).
pub struct InstanceTrainer {
    nf: usize,
    fp: usize,
    /// Live hidden rows, and their padded width.
    a: usize,
    hp: usize,
    /// `Wᵀ`, `[Fp][hp]`, zero outside the live `[F][a]`: what Adam updates.
    wt: Vec<f32>,
    /// `W` rows padded to `Fp`, `[a][Fp]`, copied from `wt` before each step.
    wp: Vec<f32>,
    /// `b` and importance, zero-padded to `[Fp]`.
    b: Vec<f32>,
    imp: Vec<f32>,
    adam_w: Adam,
    adam_b: Adam,
    /// One per chunk of the batch, for the last batch size seen.
    items: Vec<Item>,
}

impl InstanceTrainer {
    /// `w`: the live rows of `W`, `[a, F]`; `b` and `importance`: `[F]`; `adam`: `(β1,
    /// β2, ε)`.
    pub fn new(
        n_features: usize,
        w: &[f32],
        b: &[f32],
        importance: &[f32],
        (beta1, beta2, eps): (f32, f32, f32),
    ) -> Self {
        let nf = n_features;
        assert!(nf > 0, "n_features must be > 0");
        assert_eq!(w.len() % nf, 0, "w must be [a, F]");
        assert_eq!(b.len(), nf, "b must be [F]");
        assert_eq!(importance.len(), nf, "importance must be [F]");
        let a = w.len() / nf;
        let (fp, hp) = (nf.div_ceil(NR) * NR, padded_hidden(a));
        let mut wt = vec![0.0; fp * hp];
        for (k, row) in w.chunks_exact(nf).enumerate() {
            for (f, &v) in row.iter().enumerate() {
                wt[f * hp + k] = v;
            }
        }
        let padded = |v: &[f32]| {
            let mut p = vec![0.0; fp];
            p[..nf].copy_from_slice(v);
            p
        };
        Self {
            nf,
            fp,
            a,
            hp,
            wt,
            wp: vec![0.0; a * fp],
            b: padded(b),
            imp: padded(importance),
            adam_w: Adam::new(fp * hp, beta1, beta2, eps),
            adam_b: Adam::new(fp, beta1, beta2, eps),
            items: Vec::new(),
        }
    }

    /// One training step on `rows`, a batch of this instance alone: the gradients, then
    /// an Adam step of rate `lr`. Returns the batch's loss when `with_loss`; without it
    /// the kernel skips the loss altogether. With every count 1, the loss and the step
    /// are bit for bit those of [`loss_and_grads`] on the same rows.
    ///
    /// Panics if `rows` is not valid CSR, a count is 0, the counts do not add up to
    /// `rows.batch`, or a feature is `>= F`.
    pub fn step(&mut self, rows: &CountedRows, lr: f32, with_loss: bool) -> Option<f32> {
        let n_rows = rows.counts.len();
        check_rows(
            &SparseRows {
                batch: n_rows,
                offsets: rows.offsets,
                indices: rows.indices,
                values: rows.values,
            },
            1,
        );
        assert!(rows.counts.iter().all(|&c| c > 0), "counts must be > 0");
        let total: usize = rows.counts.iter().map(|&c| c as usize).sum();
        assert_eq!(total, rows.batch, "counts must add up to the batch size");
        let n_chunks = n_rows.div_ceil(CHUNK);
        if self.items.len() < n_chunks {
            self.items
                .resize_with(n_chunks, || Item::new(self.fp, self.hp, true));
        }
        let (nf, fp) = (self.nf, self.fp);
        let sum = dispatch(StepJob {
            t: self,
            ctx: Ctx {
                nf,
                fp,
                n_rows,
                grad_scale: 2.0 / (rows.batch * nf) as f32,
                offsets: rows.offsets,
                indices: rows.indices,
                values: rows.values,
                counts: Some(rows.counts),
            },
            lr,
            with_loss,
        });
        with_loss.then(|| (sum / (rows.batch * nf) as f64) as f32)
    }

    /// Runs `work(i, trainer, state)` for every trainer `i` and its companion state (say,
    /// its batch buffer) on rayon's pool, one task per instance: instances never wait for
    /// each other, and each one's steps run in order on one thread whatever the pool size.
    pub fn for_each_parallel<S: Send>(
        trainers: &mut [InstanceTrainer],
        state: &mut [S],
        work: impl Fn(usize, &mut InstanceTrainer, &mut S) + Sync,
    ) {
        assert_eq!(trainers.len(), state.len(), "one state per trainer");
        trainers
            .par_iter_mut()
            .zip(state.par_iter_mut())
            .enumerate()
            .for_each(|(i, (t, s))| work(i, t, s));
    }

    /// Copies the parameters out: the live rows of `W` into `w` (`[a, F]`), and `b`
    /// (`[F]`).
    pub fn params_into(&self, w: &mut [f32], b: &mut [f32]) {
        let (nf, hp) = (self.nf, self.hp);
        assert_eq!(w.len(), self.a * nf, "w must be [a, F]");
        for (k, row) in w.chunks_exact_mut(nf).enumerate() {
            for (f, v) in row.iter_mut().enumerate() {
                *v = self.wt[f * hp + k];
            }
        }
        b.copy_from_slice(&self.b[..nf]);
    }
}

/// One [`InstanceTrainer::step`], compiled per instruction set as a whole (kernel,
/// reduction and Adam).
struct StepJob<'a> {
    t: &'a mut InstanceTrainer,
    ctx: Ctx<'a>,
    lr: f32,
    with_loss: bool,
}

impl Vectorised for StepJob<'_> {
    /// `Σ imp e²` over the batch (0 without `with_loss`).
    type Output = f64;

    #[inline(always)]
    fn run(self) -> f64 {
        let StepJob {
            t,
            ctx,
            lr,
            with_loss,
        } = self;
        let (nf, fp, a, hp) = (t.nf, t.fp, t.a, t.hp);
        for (k, row) in t.wp.chunks_exact_mut(fp).enumerate() {
            for (f, v) in row[..nf].iter_mut().enumerate() {
                *v = t.wt[f * hp + k];
            }
        }
        let inst = Inst {
            i: 0,
            a,
            hp,
            wp: &t.wp,
            wt: &t.wt,
            bp: &t.b,
            imp: &t.imp,
        };
        let items = &mut t.items[..ctx.n_rows.div_ceil(CHUNK)];
        for (c, it) in items.iter_mut().enumerate() {
            let samples = c * CHUNK..((c + 1) * CHUNK).min(ctx.n_rows);
            if with_loss {
                run_item_hp::<true, true>(&ctx, &inst, samples, it);
            } else {
                run_item_hp::<true, false>(&ctx, &inst, samples, it);
            }
        }
        let loss = sum_partials(items, fp * hp, true);
        let sum = &t.items[0].part;
        t.adam_w.step_inline(lr, &mut t.wt, &sum.dwt[..fp * hp]);
        t.adam_b.step_inline(lr, &mut t.b, &sum.db);
        loss
    }
}

/// Validated view of the parameters.
struct Model<'a> {
    shape: Shape,
    w: &'a [f32],
    b: &'a [f32],
    importance: &'a [f32],
    active_hidden: &'a [u32],
}

impl<'a> Model<'a> {
    fn new(
        shape: &Shape,
        w: &'a [f32],
        b: &'a [f32],
        importance: &'a [f32],
        active_hidden: &'a [u32],
        rows: &SparseRows,
    ) -> Self {
        let Shape {
            n_instances: ni,
            n_hidden: nh,
            n_features: nf,
        } = *shape;
        assert!(nf > 0, "n_features must be > 0");
        assert_eq!(w.len(), ni * nh * nf, "w must be [I, H, F]");
        assert_eq!(b.len(), ni * nf, "b must be [I, F]");
        assert_eq!(importance.len(), ni * nf, "importance must be [I, F]");
        assert_eq!(active_hidden.len(), ni, "active_hidden must be [I]");
        assert!(
            active_hidden.iter().all(|&a| a as usize <= nh),
            "active_hidden[i] must be <= n_hidden"
        );
        check_rows(rows, ni);
        Self {
            shape: *shape,
            w,
            b,
            importance,
            active_hidden,
        }
    }
}

/// Panics unless `rows` is valid CSR for `n_instances` instances. (Feature indices are
/// checked where they are used.)
fn check_rows(rows: &SparseRows, n_instances: usize) {
    assert!(rows.batch > 0, "batch must be > 0");
    assert_eq!(
        rows.offsets.len(),
        n_instances * rows.batch + 1,
        "offsets must have I * batch + 1 entries"
    );
    assert_eq!(rows.indices.len(), rows.values.len(), "indices vs values");
    assert!(
        rows.offsets.windows(2).all(|p| p[0] <= p[1])
            && *rows.offsets.last().unwrap() as usize <= rows.indices.len(),
        "offsets must be non-decreasing and within indices"
    );
}

/// Padded hidden width for an instance with `a` live rows. The kernel is compiled for
/// these fixed widths so that the hidden-dimension axpys have constant length.
fn padded_hidden(a: usize) -> usize {
    match a {
        0..=4 => 4,
        5..=8 => 8,
        9..=12 => 12,
        13..=16 => 16,
        17..=24 => 24,
        25..=32 => 32,
        _ => a.div_ceil(8) * 8,
    }
}

/// A work item's partial sums.
#[derive(Default)]
struct Partial {
    /// `dW`, transposed: `[Fp][hp]`.
    dwt: Vec<f32>,
    /// `[Fp]`.
    db: Vec<f32>,
    /// `Σ imp e²`, not yet divided by `B·F`.
    loss: f64,
}

/// A work item's scratch for one tile of `MR` samples.
#[derive(Default)]
struct Scratch {
    /// Dense `x`, `[MR][Fp]`; all zero between tiles.
    x: Vec<f32>,
    /// `g`, `[MR][Fp]`; only valid for 16-feature tiles with a mask bit set.
    g: Vec<f32>,
    /// `h` and `v = W g`, `[MR][hp]`; `ht` is `h` transposed, `[hp][MR]`.
    h: Vec<f32>,
    ht: Vec<f32>,
    v: Vec<f32>,
    /// Bitmask of `z > 0`, `[MR][ceil(Fp / 64)]`.
    mask: Vec<u64>,
}

#[derive(Default)]
struct Item {
    part: Partial,
    s: Scratch,
}

impl Item {
    /// An item for `Fp = fp` features and hidden width (up to) `hp`; without `grads`,
    /// skips the buffers only the backward needs.
    fn new(fp: usize, hp: usize, grads: bool) -> Self {
        let g = |n: usize| if grads { n } else { 0 };
        Item {
            part: Partial {
                dwt: vec![0.0; g(fp * hp)],
                db: vec![0.0; g(fp)],
                loss: 0.0,
            },
            s: Scratch {
                x: vec![0.0; MR * fp],
                g: vec![0.0; g(MR * fp)],
                h: vec![0.0; MR * hp],
                ht: vec![0.0; MR * hp],
                v: vec![0.0; g(MR * hp)],
                mask: vec![0; g(MR * fp.div_ceil(64))],
            },
        }
    }
}

/// Adds one instance's item partials, in chunk order, into the first item; returns the
/// summed `Σ imp e²`. `dwt_len` is the live part of `dwt` (`Fp · hp`).
fn sum_partials(items: &mut [Item], dwt_len: usize, grads: bool) -> f64 {
    let loss = items.iter().map(|it| it.part.loss).sum::<f64>();
    if grads {
        let (first, rest) = items.split_first_mut().expect("at least one chunk");
        let sum = &mut first.part;
        for p in rest.iter().map(|it| &it.part) {
            add_assign(&mut sum.dwt[..dwt_len], &p.dwt[..dwt_len]);
            add_assign(&mut sum.db, &p.db);
        }
    }
    loss
}

/// Padded copies of the parameters and the work items.
#[derive(Default)]
struct Workspace {
    /// `(shape, batch, with gradients)` the buffers are laid out for.
    key: Option<(Shape, usize, bool)>,
    fp: usize,
    /// Padded hidden width of `n_hidden`: stride of the per-instance regions.
    hp_max: usize,
    n_chunks: usize,
    /// `W` with rows padded to `Fp`, `[I][H][Fp]`, masked rows zero.
    wp: Vec<f32>,
    /// `Wᵀ` per instance `[Fp][hp_i]`, in regions of `Fp * hp_max`; masked rows zero.
    wt: Vec<f32>,
    /// `b` and importance padded to `[I][Fp]` (zero padding: padded lanes add nothing).
    bp: Vec<f32>,
    impp: Vec<f32>,
    items: Vec<Item>,
}

/// Read-only context shared by the items of one call.
struct Ctx<'a> {
    nf: usize,
    fp: usize,
    /// CSR rows per instance (the stride between instances).
    n_rows: usize,
    /// `2 / (samples · F)`.
    grad_scale: f32,
    offsets: &'a [u32],
    indices: &'a [u32],
    values: &'a [f32],
    /// How many samples each row stands for; `None`: one each.
    counts: Option<&'a [u32]>,
}

impl<'a> Ctx<'a> {
    /// The context for the rows of a stacked batch, one per sample.
    fn stacked(nf: usize, fp: usize, rows: &'a SparseRows<'a>) -> Self {
        Ctx {
            nf,
            fp,
            n_rows: rows.batch,
            grad_scale: 2.0 / (rows.batch * nf) as f32,
            offsets: rows.offsets,
            indices: rows.indices,
            values: rows.values,
            counts: None,
        }
    }
}

/// One instance's padded parameters.
struct Inst<'a> {
    i: usize,
    /// Live hidden rows.
    a: usize,
    /// Padded hidden width (row stride of `wt`, `h`, `v`, `dwt`).
    hp: usize,
    wp: &'a [f32],
    wt: &'a [f32],
    bp: &'a [f32],
    imp: &'a [f32],
}

impl Workspace {
    /// Lays the buffers out for `shape` and `batch`; without `grads`, skips those only
    /// the backward needs.
    fn ensure(&mut self, shape: Shape, batch: usize, grads: bool) {
        if self.key == Some((shape, batch, grads)) {
            return;
        }
        let Shape {
            n_instances: ni,
            n_hidden: nh,
            n_features: nf,
        } = shape;
        let fp = nf.div_ceil(NR) * NR;
        let hp = padded_hidden(nh);
        let n_chunks = batch.div_ceil(CHUNK);
        self.key = Some((shape, batch, grads));
        self.fp = fp;
        self.hp_max = hp;
        self.n_chunks = n_chunks;
        self.wp = vec![0.0; ni * nh * fp];
        self.wt = vec![0.0; ni * fp * hp];
        self.bp = vec![0.0; ni * fp];
        self.impp = vec![0.0; ni * fp];
        self.items = (0..ni * n_chunks)
            .map(|_| Item::new(fp, hp, grads))
            .collect();
    }

    /// Copies the parameters into the padded layouts the kernel wants.
    fn prepare(&mut self, m: &Model) {
        let (nh, nf) = (m.shape.n_hidden, m.shape.n_features);
        let (fp, hm) = (self.fp, self.hp_max);
        for (i, &a) in m.active_hidden.iter().enumerate() {
            let a = a as usize;
            let hp = padded_hidden(a);
            let wi = &m.w[i * nh * nf..(i + 1) * nh * nf];
            let wpi = &mut self.wp[i * nh * fp..(i + 1) * nh * fp];
            let wti = &mut self.wt[i * fp * hm..(i + 1) * fp * hm];
            wpi.fill(0.0);
            wti.fill(0.0);
            for k in 0..a {
                let row = &wi[k * nf..(k + 1) * nf];
                wpi[k * fp..k * fp + nf].copy_from_slice(row);
                for (f, &v) in row.iter().enumerate() {
                    wti[f * hp + k] = v;
                }
            }
            self.bp[i * fp..i * fp + nf].copy_from_slice(&m.b[i * nf..(i + 1) * nf]);
            self.impp[i * fp..i * fp + nf].copy_from_slice(&m.importance[i * nf..(i + 1) * nf]);
        }
    }

    fn run<const GRADS: bool>(&mut self, m: &Model, rows: &SparseRows) {
        self.ensure(m.shape, rows.batch, GRADS);
        self.prepare(m);
        let (nh, nf) = (m.shape.n_hidden, m.shape.n_features);
        let ctx = Ctx::stacked(nf, self.fp, rows);
        let (fp, hm, n_chunks) = (self.fp, self.hp_max, self.n_chunks);
        let (wp, wt, bp, impp) = (&self.wp, &self.wt, &self.bp, &self.impp);
        let work = |(idx, item): (usize, &mut Item)| {
            let (i, c) = (idx / n_chunks, idx % n_chunks);
            let a = m.active_hidden[i] as usize;
            let inst = Inst {
                i,
                a,
                hp: padded_hidden(a),
                wp: &wp[i * nh * fp..(i + 1) * nh * fp],
                wt: &wt[i * fp * hm..(i + 1) * fp * hm],
                bp: &bp[i * fp..(i + 1) * fp],
                imp: &impp[i * fp..(i + 1) * fp],
            };
            let samples = c * CHUNK..((c + 1) * CHUNK).min(rows.batch);
            dispatch(ItemJob::<GRADS, true> {
                ctx: &ctx,
                inst: &inst,
                samples,
                it: item,
            });
        };
        // Tiny problems are not worth waking the pool; the result is the same.
        if m.shape.n_instances * rows.batch * fp * hm < 1 << 18 {
            self.items.iter_mut().enumerate().for_each(work);
        } else {
            self.items.par_iter_mut().enumerate().for_each(work);
        }
    }

    /// Adds up the items' partial sums in chunk order into the outputs.
    fn reduce(&mut self, m: &Model, loss: &mut [f32], grads: Option<(&mut [f32], &mut [f32])>) {
        let (nh, nf) = (m.shape.n_hidden, m.shape.n_features);
        let (fp, n_chunks) = (self.fp, self.n_chunks);
        let batch = self.key.expect("run before reduce").1;
        let loss_scale = 1.0 / (batch * nf) as f64;
        let per_inst = self.items.par_chunks_mut(n_chunks);
        let Some((dw, db)) = grads else {
            per_inst.zip(loss.par_iter_mut()).for_each(|(items, l)| {
                *l = (sum_partials(items, 0, false) * loss_scale) as f32;
            });
            return;
        };
        // Sum into the first chunk's buffers, then transpose dWᵀ into `dw`.
        per_inst
            .zip(loss.par_iter_mut().zip(db.par_chunks_mut(nf)))
            .enumerate()
            .for_each(|(i, (items, (l, dbi)))| {
                let hp = padded_hidden(m.active_hidden[i] as usize);
                *l = (sum_partials(items, fp * hp, true) * loss_scale) as f32;
                dbi.copy_from_slice(&items[0].part.db[..nf]);
            });
        if nh == 0 {
            return;
        }
        self.items
            .par_chunks(n_chunks)
            .zip(dw.par_chunks_mut(nh * nf))
            .enumerate()
            .for_each(|(i, (items, dwi))| {
                let a = m.active_hidden[i] as usize;
                let (hp, dwt) = (padded_hidden(a), &items[0].part.dwt);
                dwi.fill(0.0);
                for (k, row) in dwi.chunks_exact_mut(nf).take(a).enumerate() {
                    for (f, d) in row.iter_mut().enumerate() {
                        *d = dwt[f * hp + k];
                    }
                }
            });
    }
}

/// Instruction sets the kernel is compiled for, best last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Isa {
    Portable,
    Avx2,
    Avx512,
}

/// Tests lower this to check that every build gives the same bits.
#[cfg(test)]
static ISA_CAP: std::sync::Mutex<Isa> = std::sync::Mutex::new(Isa::Avx512);

/// Best instruction set of this CPU (feature detection is cached by std).
fn isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    let best = if std::arch::is_x86_feature_detected!("avx512f") {
        Isa::Avx512
    } else if std::arch::is_x86_feature_detected!("avx2") {
        Isa::Avx2
    } else {
        Isa::Portable
    };
    #[cfg(not(target_arch = "x86_64"))]
    let best = Isa::Portable;
    #[cfg(test)]
    let best = best.min(*ISA_CAP.lock().unwrap());
    best
}

/// Work compiled once per instruction set: `run` and everything it calls are
/// `#[inline(always)]`, so each copy uses its instruction set's vectors throughout.
trait Vectorised {
    type Output;
    fn run(self) -> Self::Output;
}

/// Runs `job` compiled for the best instruction set of this CPU.
fn dispatch<J: Vectorised>(job: J) -> J::Output {
    match isa() {
        // SAFETY: `isa()` checked that the CPU has the features these enable.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { on_avx512(job) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { on_avx2(job) },
        _ => job.run(),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn on_avx2<J: Vectorised>(job: J) -> J::Output {
    job.run()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn on_avx512<J: Vectorised>(job: J) -> J::Output {
    job.run()
}

/// One work item of the stacked model: forward (+ backward when `GRADS`; the loss when
/// `LOSS`) of `samples` of instance `inst.i`.
struct ItemJob<'a, const GRADS: bool, const LOSS: bool> {
    ctx: &'a Ctx<'a>,
    inst: &'a Inst<'a>,
    samples: std::ops::Range<usize>,
    it: &'a mut Item,
}

impl<const GRADS: bool, const LOSS: bool> Vectorised for ItemJob<'_, GRADS, LOSS> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        run_item_hp::<GRADS, LOSS>(self.ctx, self.inst, self.samples, self.it);
    }
}

/// Selects the kernel compiled for this instance's padded hidden width.
#[inline(always)]
fn run_item_hp<const GRADS: bool, const LOSS: bool>(
    ctx: &Ctx,
    inst: &Inst,
    samples: std::ops::Range<usize>,
    it: &mut Item,
) {
    match inst.hp {
        4 => run_item::<GRADS, LOSS, 4>(ctx, inst, samples, it),
        8 => run_item::<GRADS, LOSS, 8>(ctx, inst, samples, it),
        12 => run_item::<GRADS, LOSS, 12>(ctx, inst, samples, it),
        16 => run_item::<GRADS, LOSS, 16>(ctx, inst, samples, it),
        24 => run_item::<GRADS, LOSS, 24>(ctx, inst, samples, it),
        32 => run_item::<GRADS, LOSS, 32>(ctx, inst, samples, it),
        _ => run_item::<GRADS, LOSS, 0>(ctx, inst, samples, it),
    }
}

/// CSR entries of row `s` of instance `i`.
#[inline(always)]
fn sample_row<'a>(ctx: &Ctx<'a>, i: usize, s: usize) -> (&'a [u32], &'a [f32]) {
    let r = i * ctx.n_rows + s;
    let e = ctx.offsets[r] as usize..ctx.offsets[r + 1] as usize;
    (&ctx.indices[e.clone()], &ctx.values[e])
}

/// How many samples row `s` of instance `i` stands for. (Multiplying by the 1.0 of
/// unmerged rows changes no bits.)
#[inline(always)]
fn row_weight(ctx: &Ctx, i: usize, s: usize) -> f32 {
    match ctx.counts {
        Some(c) => c[i * ctx.n_rows + s] as f32,
        None => 1.0,
    }
}

/// Forward (+ backward when `GRADS`) of `samples` of instance `inst.i`; the loss only
/// when `LOSS` (training reads it back only now and then). `HPC` is the padded hidden
/// width when fixed at compile time, else 0.
#[inline(always)]
fn run_item<const GRADS: bool, const LOSS: bool, const HPC: usize>(
    ctx: &Ctx,
    inst: &Inst,
    samples: std::ops::Range<usize>,
    it: &mut Item,
) {
    let hp = if HPC > 0 { HPC } else { inst.hp };
    let (fp, a) = (ctx.fp, inst.a);
    let Item { part, s } = it;
    if GRADS {
        part.dwt[..fp * hp].fill(0.0);
        part.db.fill(0.0);
    }
    // Per-lane f64 loss sums: adding each tile's f32 lanes in a single f64 chain would
    // be a long serial dependency.
    let mut loss64 = [0.0f64; NR];
    let mut s0 = samples.start;
    while s0 < samples.end {
        let nv = MR.min(samples.end - s0);
        // Encoder h = W x over the active columns, and a dense copy of x.
        let h = &mut s.h[..MR * hp];
        h.fill(0.0);
        for m in 0..nv {
            let (idx, val) = sample_row(ctx, inst.i, s0 + m);
            let xm = &mut s.x[m * fp..][..fp];
            for (&j, &xv) in idx.iter().zip(val) {
                assert!((j as usize) < ctx.nf, "feature index out of range");
                xm[j as usize] += xv;
            }
            sparse_combination::<HPC>(&mut h[m * hp..][..hp], idx, val, inst.wt);
        }
        let ht = &mut s.ht.as_chunks_mut::<MR>().0[..a];
        for (k, hk) in ht.iter_mut().enumerate() {
            for (m, v) in hk.iter_mut().enumerate() {
                *v = h[m * hp + k];
            }
        }
        let mut weight = [0.0f32; MR];
        for (m, w) in weight.iter_mut().enumerate().take(nv) {
            *w = row_weight(ctx, inst.i, s0 + m);
        }
        // Decoder z = Wᵀh + b per register tile, consumed by the epilogue.
        let mut loss_lanes = [0.0f32; NR];
        if GRADS {
            s.mask.fill(0);
        }
        for f0 in (0..fp).step_by(NR) {
            let [z0, z1, z2, z3] = decoder_tile(tile(inst.bp, f0), inst.wp, fp, f0, ht);
            let imp = tile::<NR>(inst.imp, f0);
            let x = &s.x;
            // Spelled out so that `z*` stay in registers. `pos` flags lanes with z > 0
            // in any sample: usually none, and then there is no gradient work at all.
            let w = &weight;
            let mut pos = tile_loss::<LOSS>(&z0, tile(x, f0), imp, w[0], &mut loss_lanes);
            if nv > 1 {
                let p = tile_loss::<LOSS>(&z1, tile(x, fp + f0), imp, w[1], &mut loss_lanes);
                or_assign(&mut pos, &p);
            }
            if nv > 2 {
                let p = tile_loss::<LOSS>(&z2, tile(x, 2 * fp + f0), imp, w[2], &mut loss_lanes);
                or_assign(&mut pos, &p);
            }
            if nv > 3 {
                let p = tile_loss::<LOSS>(&z3, tile(x, 3 * fp + f0), imp, w[3], &mut loss_lanes);
                or_assign(&mut pos, &p);
            }
            if GRADS && pos.iter().fold(0, |acc, &p| acc | p) != 0 {
                let tc = TileCtx { fp, f0, imp };
                let mut gs = weight;
                for g in &mut gs {
                    *g *= ctx.grad_scale;
                }
                tile_grad(&s.x, (&mut s.g, &mut s.mask), 0, &z0, gs[0], &tc);
                if nv > 1 {
                    tile_grad(&s.x, (&mut s.g, &mut s.mask), 1, &z1, gs[1], &tc);
                }
                if nv > 2 {
                    tile_grad(&s.x, (&mut s.g, &mut s.mask), 2, &z2, gs[2], &tc);
                }
                if nv > 3 {
                    tile_grad(&s.x, (&mut s.g, &mut s.mask), 3, &z3, gs[3], &tc);
                }
            }
        }
        if LOSS {
            for l in 0..NR {
                loss64[l] += loss_lanes[l] as f64;
            }
        }
        if GRADS {
            sparse_backward::<HPC>(inst, hp, fp, nv, part, s);
            // Encoder use of W: dW[k,j] += v_k x_j (v = 0 if no z > 0: skip).
            let nw = fp.div_ceil(64);
            for m in 0..nv {
                if s.mask[m * nw..][..nw].iter().all(|&w| w == 0) {
                    continue;
                }
                let vm = &s.v[m * hp..][..hp];
                let (idx, val) = sample_row(ctx, inst.i, s0 + m);
                for (&j, &xv) in idx.iter().zip(val) {
                    axpy::<HPC>(&mut part.dwt[j as usize * hp..], xv, vm, hp);
                }
            }
        }
        // Restore x to all-zero.
        for m in 0..nv {
            let (idx, _) = sample_row(ctx, inst.i, s0 + m);
            for &j in idx {
                s.x[m * fp + j as usize] = 0.0;
            }
        }
        s0 += nv;
    }
    part.loss = loss64.iter().sum();
}

/// `out = Σ_e val[e] · table[idx[e]]`, where `table` has rows of `out.len()`.
#[inline(always)]
fn sparse_combination<const HPC: usize>(out: &mut [f32], idx: &[u32], val: &[f32], table: &[f32]) {
    let hp = out.len();
    if HPC > 0 {
        // Accumulate in registers: through memory each term would wait for the last.
        let mut acc = [0.0f32; HPC];
        for (&j, &x) in idx.iter().zip(val) {
            let row = tile::<HPC>(table, j as usize * HPC);
            for l in 0..HPC {
                acc[l] += x * row[l];
            }
        }
        out.copy_from_slice(&acc);
    } else {
        out.fill(0.0);
        for (&j, &x) in idx.iter().zip(val) {
            axpy::<0>(out, x, &table[j as usize * hp..], hp);
        }
    }
}

/// `z[m] = b + Σ_k ht[k][m] · W[k, f0..f0 + NR]` for one `MR × NR` register tile.
#[inline(always)]
fn decoder_tile(
    b: &[f32; NR],
    w: &[f32],
    fp: usize,
    f0: usize,
    ht: &[[f32; MR]],
) -> [[f32; NR]; MR] {
    let mut acc = [*b; MR];
    for (k, hk) in ht.iter().enumerate() {
        let wr = *tile::<NR>(w, k * fp + f0);
        for m in 0..MR {
            for l in 0..NR {
                acc[m][l] += hk[m] * wr[l];
            }
        }
    }
    acc
}

/// Where a feature tile sits, and what its epilogue needs.
struct TileCtx<'a> {
    fp: usize,
    f0: usize,
    imp: &'a [f32; NR],
}

/// Adds one row's tile, times its `weight`, to the loss lanes (if `LOSS`); returns
/// all-ones in lanes with `z > 0`.
#[inline(always)]
fn tile_loss<const LOSS: bool>(
    z: &[f32; NR],
    x: &[f32; NR],
    imp: &[f32; NR],
    weight: f32,
    loss: &mut [f32; NR],
) -> [u32; NR] {
    let mut pos = [0u32; NR];
    for l in 0..NR {
        let p = z[l] > 0.0;
        if LOSS {
            let e = if p { z[l] } else { 0.0 } - x[l];
            loss[l] += weight * (imp[l] * e * e);
        }
        pos[l] = if p { u32::MAX } else { 0 };
    }
    pos
}

/// `g` (`scale` = `2 / (samples · F)` times the row's weight) and mask bits of row
/// `m`'s tile, stored if some `z > 0`.
#[inline(always)]
fn tile_grad(
    x: &[f32],
    (g, mask): (&mut [f32], &mut [u64]),
    m: usize,
    z: &[f32; NR],
    scale: f32,
    tc: &TileCtx,
) {
    let at = m * tc.fp + tc.f0;
    let x = tile::<NR>(x, at);
    let mut bit = [0u32; NR];
    let mut gt = [0.0f32; NR];
    for l in 0..NR {
        let keep = if z[l] > 0.0 { u32::MAX } else { 0 };
        // Masking the bits (rather than `if z > 0 { v } else { 0.0 }`) keeps the
        // compiler from turning this into per-lane branches.
        let v = scale * (tc.imp[l] * (z[l] - x[l]));
        gt[l] = f32::from_bits(v.to_bits() & keep);
        bit[l] = keep & (1 << l);
    }
    // An integer OR-reduction vectorises well (`bits |= (p as u32) << l` does not).
    let bits = bit.iter().fold(0, |acc, &b| acc | b);
    if bits != 0 {
        *tile_mut::<NR>(g, at) = gt;
        let nw = tc.fp.div_ceil(64);
        mask[m * nw + tc.f0 / 64] |= (bits as u64) << (tc.f0 % 64);
    }
}

#[inline(always)]
fn or_assign(a: &mut [u32; NR], b: &[u32; NR]) {
    for l in 0..NR {
        a[l] |= b[l];
    }
}

/// Backward visiting only features with `z > 0`: per such `(sample, f)`, two axpys
/// over the hidden dimension, `dWᵀ[f] += g_f h` and `v += g_f Wᵀ[f]`.
#[inline(always)]
fn sparse_backward<const HPC: usize>(
    inst: &Inst,
    hp: usize,
    fp: usize,
    nv: usize,
    part: &mut Partial,
    s: &mut Scratch,
) {
    let hp = if HPC > 0 { HPC } else { hp };
    let nw = fp.div_ceil(64);
    for m in 0..nv {
        let hm = &s.h[m * hp..][..hp];
        let gm = &s.g[m * fp..][..fp];
        let masks = &s.mask[m * nw..][..nw];
        if HPC > 0 {
            let h = *tile::<HPC>(hm, 0);
            // Rows as arrays: one bounds check per access.
            let dwt = part.dwt[..fp * HPC].as_chunks_mut::<HPC>().0;
            let wt = inst.wt[..fp * HPC].as_chunks::<HPC>().0;
            // v stays in registers: through memory each feature would wait for the last.
            let mut v = [0.0f32; HPC];
            for (word, &mask) in masks.iter().enumerate() {
                let mut bits = mask;
                while bits != 0 {
                    let f = word * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let gf = gm[f];
                    part.db[f] += gf;
                    let (d, w) = (&mut dwt[f], &wt[f]);
                    let mut r = *d;
                    for l in 0..HPC {
                        r[l] += gf * h[l];
                        v[l] += gf * w[l];
                    }
                    *d = r;
                }
            }
            s.v[m * hp..][..HPC].copy_from_slice(&v);
        } else {
            let vm = &mut s.v[m * hp..][..hp];
            vm.fill(0.0);
            for (word, &mask) in masks.iter().enumerate() {
                let mut bits = mask;
                while bits != 0 {
                    let f = word * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let gf = gm[f];
                    part.db[f] += gf;
                    axpy::<0>(&mut part.dwt[f * hp..], gf, hm, hp);
                    axpy::<0>(vm, gf, &inst.wt[f * hp..], hp);
                }
            }
        }
    }
}

#[inline(always)]
fn add_assign(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// `dst[..n] += alpha · src[..n]` with `n = N`, or `n = len` when `N == 0`. Loads
/// everything before storing, so the compiler need not prove `dst` and `src` disjoint
/// to vectorise.
#[inline(always)]
fn axpy<const N: usize>(dst: &mut [f32], alpha: f32, src: &[f32], len: usize) {
    if N > 0 {
        let s = *tile::<N>(src, 0);
        let d = tile_mut::<N>(dst, 0);
        let mut r = *d;
        for l in 0..N {
            r[l] += alpha * s[l];
        }
        *d = r;
    } else {
        for (d, s) in dst[..len].iter_mut().zip(&src[..len]) {
            *d += alpha * s;
        }
    }
}

#[inline(always)]
fn tile<const N: usize>(s: &[f32], at: usize) -> &[f32; N] {
    s[at..at + N].try_into().unwrap()
}

#[inline(always)]
fn tile_mut<const N: usize>(s: &mut [f32], at: usize) -> &mut [f32; N] {
    (&mut s[at..at + N]).try_into().unwrap()
}

/// Adam, reproducing burn 0.22.1's `Adam` (no weight decay, no AMSGrad) operation for
/// operation in f32:
///
/// ```text
/// m = β1 m + (1−β1) g;   v = β2 v + (1−β2) g²        (first step: m = (1−β1) g, …)
/// c2 = sqrt(1 − β2^t);   k = c2 / (1 − β1^t)
/// p -= lr · (k m) / (sqrt(v) + ε c2)
/// ```
#[derive(Clone, Debug)]
pub struct Adam {
    beta1: f32,
    beta2: f32,
    eps: f32,
    time: usize,
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Adam {
    pub fn new(n_params: usize, beta1: f32, beta2: f32, eps: f32) -> Self {
        Self {
            beta1,
            beta2,
            eps,
            time: 0,
            m: vec![0.0; n_params],
            v: vec![0.0; n_params],
        }
    }

    /// Number of steps taken so far.
    pub fn time(&self) -> usize {
        self.time
    }

    /// One Adam step: `params -= lr * update(grads)`. burn turns its f64 learning rate
    /// into an f32 before multiplying, so pass `lr as f32` to match it bit for bit.
    pub fn step(&mut self, lr: f32, params: &mut [f32], grads: &[f32]) {
        self.step_inline(lr, params, grads);
    }

    /// [`Adam::step`], inlined so that callers compiled for wider vectors vectorise it
    /// with them (the same operations, so the same bits).
    #[inline(always)]
    fn step_inline(&mut self, lr: f32, params: &mut [f32], grads: &[f32]) {
        assert_eq!(params.len(), self.m.len(), "params length");
        assert_eq!(grads.len(), self.m.len(), "grads length");
        let (b1, b2) = (self.beta1, self.beta2);
        let (f1, f2) = (1.0 - b1, 1.0 - b2);
        let first = self.time == 0;
        let (k, eps) = self.advance();
        let it = params
            .iter_mut()
            .zip(grads)
            .zip(self.m.iter_mut().zip(self.v.iter_mut()));
        // Two loops rather than a branch inside one, so that both vectorise.
        if first {
            // burn initialises the moments from the first gradient rather than from 0.
            for ((p, &g), (m, v)) in it {
                *m = g * f1;
                *v = (g * g) * f2;
                let update = (*m * k) / (v.sqrt() + eps);
                *p -= update * lr;
            }
        } else {
            for ((p, &g), (m, v)) in it {
                *m = *m * b1 + g * f1;
                *v = *v * b2 + (g * g) * f2;
                let update = (*m * k) / (v.sqrt() + eps);
                *p -= update * lr;
            }
        }
    }

    /// Counts a step; returns its bias corrections `k = c2 / (1 − β1^t)` and `ε c2`.
    /// Not inlined: every caller gets these scalars from the same code.
    #[inline(never)]
    fn advance(&mut self) -> (f32, f32) {
        self.time += 1;
        let t = self.time as i32;
        let c2 = (1.0 - self.beta2.powi(t)).sqrt();
        let k = c2 / (1.0 - self.beta1.powi(t));
        (k, self.eps * c2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: a tiny deterministic generator for test data.
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// Uniform in [0, 1).
        fn unif(&mut self) -> f32 {
            (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
        }
        /// Uniform in [-s, s).
        fn sym(&mut self, s: f32) -> f32 {
            (2.0 * self.unif() - 1.0) * s
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// `(n_instances, n_hidden, n_features, batch)`.
    type Dims = (usize, usize, usize, usize);

    struct Problem {
        shape: Shape,
        w: Vec<f32>,
        b: Vec<f32>,
        imp: Vec<f32>,
        active: Vec<u32>,
        batch: usize,
        offsets: Vec<u32>,
        indices: Vec<u32>,
        values: Vec<f32>,
    }

    impl Problem {
        /// Random problem: W uniform in ±`w_scale` (masked rows zero), b uniform in
        /// `b_mid ± 0.2`, rows are root paths of a heap-ordered binary tree (parent of
        /// `f` is `(f + 1) / 2 - 1`) of length ≤ 6, about 15% empty, plus a repeated
        /// index now and then.
        fn random(seed: u64, dims: Dims, active: &[u32], w_scale: f32, b_mid: f32) -> Self {
            let (ni, nh, nf, batch) = dims;
            let mut rng = Rng(seed);
            let mut w = vec![0.0; ni * nh * nf];
            for (i, &a) in active.iter().enumerate() {
                for v in &mut w[i * nh * nf..(i * nh + a as usize) * nf] {
                    *v = rng.sym(w_scale);
                }
            }
            let b = (0..ni * nf).map(|_| b_mid + rng.sym(0.2)).collect();
            let imp = (0..ni * nf).map(|_| 0.2 + rng.unif()).collect();
            let (mut offsets, mut indices, mut values) = (vec![0u32], vec![], vec![]);
            for _ in 0..ni * batch {
                if rng.unif() > 0.15 {
                    let mut f = rng.below(nf) as i64;
                    let len = 1 + rng.below(6);
                    for _ in 0..len {
                        if f < 0 {
                            break;
                        }
                        indices.push(f as u32);
                        values.push(0.1 + rng.unif());
                        f = (f + 1) / 2 - 1;
                    }
                    if rng.unif() < 0.05 {
                        indices.push(*indices.last().unwrap());
                        values.push(rng.unif());
                    }
                }
                offsets.push(indices.len() as u32);
            }
            Self {
                shape: Shape {
                    n_instances: ni,
                    n_hidden: nh,
                    n_features: nf,
                },
                w,
                b,
                imp,
                active: active.to_vec(),
                batch,
                offsets,
                indices,
                values,
            }
        }

        fn rows(&self) -> SparseRows<'_> {
            SparseRows {
                batch: self.batch,
                offsets: &self.offsets,
                indices: &self.indices,
                values: &self.values,
            }
        }

        fn grads(&self) -> FusedGrads {
            let mut out = FusedGrads::new(self.shape);
            self.grads_into(&mut out);
            out
        }

        fn grads_into(&self, out: &mut FusedGrads) {
            let rows = self.rows();
            loss_and_grads(
                &self.shape,
                &self.w,
                &self.b,
                &self.imp,
                &self.active,
                &rows,
                out,
            );
        }

        /// Dense x of sample `s` of instance `i`, in f64.
        fn dense_x(&self, i: usize, s: usize) -> Vec<f64> {
            let mut x = vec![0.0; self.shape.n_features];
            let r = i * self.batch + s;
            for e in self.offsets[r] as usize..self.offsets[r + 1] as usize {
                x[self.indices[e] as usize] += self.values[e] as f64;
            }
            x
        }

        /// Straightforward dense f64 reference: per-instance loss, dW, db. `w` and `b`
        /// are f64 copies (so that finite differences can perturb them).
        fn reference(&self, w: &[f64], b: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
            let Shape {
                n_instances: ni,
                n_hidden: nh,
                n_features: nf,
            } = self.shape;
            let scale = 1.0 / (self.batch * nf) as f64;
            let (mut loss, mut dw, mut db) =
                (vec![0.0; ni], vec![0.0; ni * nh * nf], vec![0.0; ni * nf]);
            for i in 0..ni {
                let a = self.active[i] as usize;
                let wi = |k: usize, f: usize| w[(i * nh + k) * nf + f];
                for s in 0..self.batch {
                    let x = self.dense_x(i, s);
                    let h: Vec<f64> = (0..a)
                        .map(|k| (0..nf).map(|j| wi(k, j) * x[j]).sum())
                        .collect();
                    let z: Vec<f64> = (0..nf)
                        .map(|f| b[i * nf + f] + (0..a).map(|k| wi(k, f) * h[k]).sum::<f64>())
                        .collect();
                    let mut g = vec![0.0; nf];
                    for f in 0..nf {
                        let imp = self.imp[i * nf + f] as f64;
                        let e = z[f].max(0.0) - x[f];
                        loss[i] += scale * imp * e * e;
                        if z[f] > 0.0 {
                            g[f] = 2.0 * scale * imp * e;
                        }
                    }
                    for f in 0..nf {
                        db[i * nf + f] += g[f];
                        for k in 0..a {
                            dw[(i * nh + k) * nf + f] += h[k] * g[f];
                        }
                    }
                    for k in 0..a {
                        let v: f64 = (0..nf).map(|f| wi(k, f) * g[f]).sum();
                        for j in 0..nf {
                            dw[(i * nh + k) * nf + j] += v * x[j];
                        }
                    }
                }
            }
            (loss, dw, db)
        }

        fn reference_f32_params(&self) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
            let w: Vec<f64> = self.w.iter().map(|&v| v as f64).collect();
            let b: Vec<f64> = self.b.iter().map(|&v| v as f64).collect();
            self.reference(&w, &b)
        }
    }

    fn max_abs(v: &[f64]) -> f64 {
        v.iter().fold(0.0, |m, x| m.max(x.abs()))
    }

    /// Largest `|got − want|`, relative to the largest `|want|`.
    fn rel_err(got: &[f32], want: &[f64]) -> f64 {
        assert_eq!(got.len(), want.len());
        let diff = got
            .iter()
            .zip(want)
            .fold(0.0f64, |m, (&g, &w)| m.max((g as f64 - w).abs()));
        diff / max_abs(want).max(1e-30)
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn gradients_match_finite_differences() {
        let p = Problem::random(7, (2, 3, 6, 8), &[3, 2], 0.6, 0.1);
        let got = p.grads();
        let Shape {
            n_hidden: nh,
            n_features: nf,
            ..
        } = p.shape;
        let w0: Vec<f64> = p.w.iter().map(|&v| v as f64).collect();
        let b0: Vec<f64> = p.b.iter().map(|&v| v as f64).collect();
        let total = |w: &[f64], b: &[f64]| p.reference(w, b).0.iter().sum::<f64>();
        // z of every (instance, sample, feature): FD is only valid away from the kink.
        let zs = |w: &[f64], b: &[f64]| {
            let mut out = vec![];
            for i in 0..2 {
                let a = p.active[i] as usize;
                for s in 0..p.batch {
                    let x = p.dense_x(i, s);
                    let h: Vec<f64> = (0..a)
                        .map(|k| (0..nf).map(|j| w[(i * nh + k) * nf + j] * x[j]).sum())
                        .collect();
                    for f in 0..nf {
                        out.push(
                            b[i * nf + f]
                                + (0..a).map(|k| w[(i * nh + k) * nf + f] * h[k]).sum::<f64>(),
                        );
                    }
                }
            }
            out
        };
        let eps = 1e-5;
        let scale = max_abs(
            &got.dw
                .iter()
                .chain(&got.db)
                .map(|&v| v as f64)
                .collect::<Vec<_>>(),
        );
        let (mut checked, mut skipped) = (0, 0);
        // Every W entry (including masked rows, whose gradient must be 0) and every b.
        for which in 0..w0.len() + b0.len() {
            let (mut wp, mut bp, mut wm, mut bm) = (w0.clone(), b0.clone(), w0.clone(), b0.clone());
            let (analytic, live) = if which < w0.len() {
                wp[which] += eps;
                wm[which] -= eps;
                let (i, k) = (which / (nh * nf), which / nf % nh);
                (got.dw[which], k < p.active[i] as usize)
            } else {
                bp[which - w0.len()] += eps;
                bm[which - w0.len()] -= eps;
                (got.db[which - w0.len()], true)
            };
            if !live {
                assert_eq!(analytic, 0.0, "masked entry {which}");
                continue;
            }
            let (z0, zp, zm) = (zs(&w0, &b0), zs(&wp, &bp), zs(&wm, &bm));
            let kink = z0.iter().zip(&zp).zip(&zm).any(|((a, b), c)| {
                (*a > 0.0) != (*b > 0.0) || (*a > 0.0) != (*c > 0.0) || a.abs() < 1e-4
            });
            if kink {
                skipped += 1;
                continue;
            }
            let fd = (total(&wp, &bp) - total(&wm, &bm)) / (2.0 * eps);
            let tol = 1e-3 * fd.abs().max(0.01 * scale);
            assert!(
                (analytic as f64 - fd).abs() <= tol,
                "entry {which}: kernel {analytic}, finite difference {fd}"
            );
            checked += 1;
        }
        assert!(
            checked > 40 && skipped < checked,
            "checked {checked}, skipped {skipped}"
        );
    }

    #[test]
    fn kernel_matches_dense_reference() {
        // (dims (I, H, F, B), active_hidden, w scale, b centre). Covers: batches that
        // are not multiples of MR or CHUNK, F not a multiple of NR, padded hidden
        // widths 4..32 and the dynamic width (> 32), masked rows, an instance with no
        // live rows, few (b < 0) and many (b > 0) positive z.
        type Case = (Dims, &'static [u32], f32, f32);
        let cases: &[Case] = &[
            ((3, 5, 7, 13), &[5, 2, 0], 0.5, 0.1),
            ((2, 10, 126, 300), &[10, 7], 0.3, -0.3),
            ((2, 10, 126, 300), &[10, 7], 0.3, 0.2),
            ((4, 17, 33, 40), &[17, 13, 24 - 7, 1], 0.3, 0.0),
            ((2, 40, 20, 9), &[40, 33], 0.2, 0.2),
            ((1, 2, 2, 37), &[2], 0.8, 0.0),
            ((2, 0, 5, 7), &[0, 0], 0.0, 0.1),
        ];
        for (n, &(dims, active, ws, bm)) in cases.iter().enumerate() {
            let p = Problem::random(100 + n as u64, dims, active, ws, bm);
            let got = p.grads();
            let (loss, dw, db) = p.reference_f32_params();
            let errs = [
                rel_err(&got.loss, &loss),
                rel_err(&got.dw, &dw),
                rel_err(&got.db, &db),
            ];
            assert!(
                errs.iter().all(|&e| e < 1e-5),
                "case {n}: relative errors (loss, dw, db) {errs:?}"
            );
            assert!(max_abs(&db) > 0.0, "case {n} has no gradient");
            let eval = loss_per_instance(&p.shape, &p.w, &p.b, &p.imp, &p.active, &p.rows());
            assert_eq!(bits(&eval), bits(&got.loss), "case {n}: eval loss differs");
        }
    }

    #[test]
    fn all_or_no_z_positive() {
        for b_mid in [-0.8, 1.5] {
            let p = Problem::random(5, (1, 12, 64, 64), &[12], 0.3, b_mid);
            let got = p.grads();
            let (_, dw, db) = p.reference_f32_params();
            assert!(
                rel_err(&got.dw, &dw) < 1e-5 && rel_err(&got.db, &db) < 1e-5,
                "b = {b_mid}"
            );
        }
    }

    #[test]
    fn reusing_scratch_across_shapes_and_batches() {
        let mut out = FusedGrads::new(Shape {
            n_instances: 1,
            n_hidden: 1,
            n_features: 1,
        });
        for (seed, dims, active) in [
            (1, (2, 6, 30, 300), &[6, 3][..]),
            (2, (2, 6, 30, 17), &[2, 6][..]),
            (3, (3, 4, 9, 5), &[4, 4, 1][..]),
        ] {
            let p = Problem::random(seed, dims, active, 0.5, 0.0);
            p.grads_into(&mut out);
            let (loss, dw, db) = p.reference_f32_params();
            assert!(rel_err(&out.loss, &loss) < 1e-5);
            assert!(rel_err(&out.dw, &dw) < 1e-5);
            assert!(rel_err(&out.db, &db) < 1e-5);
        }
    }

    #[test]
    fn one_and_two_threads_are_bit_identical() {
        // Big enough to take the parallel path, with several chunks per instance.
        let p = Problem::random(11, (6, 10, 126, 600), &[10, 9, 5, 10, 1, 3], 0.3, 0.0);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| p.grads())
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(bits(&one.loss), bits(&two.loss));
        assert_eq!(bits(&one.dw), bits(&two.dw));
        assert_eq!(bits(&one.db), bits(&two.db));
    }

    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        let p = Problem::random(12, (3, 10, 50, 300), &[10, 6, 2], 0.3, 0.0);
        let best = p.grads();
        let available = isa();
        for cap in [Isa::Portable, Isa::Avx2]
            .into_iter()
            .filter(|&c| c < available)
        {
            // Other tests may run meanwhile with the lower cap: they get the same bits.
            *ISA_CAP.lock().unwrap() = cap;
            let other = p.grads();
            *ISA_CAP.lock().unwrap() = Isa::Avx512;
            assert_eq!(bits(&best.loss), bits(&other.loss), "{cap:?}");
            assert_eq!(bits(&best.dw), bits(&other.dw), "{cap:?}");
            assert_eq!(bits(&best.db), bits(&other.db), "{cap:?}");
        }
    }

    #[test]
    fn masked_rows_are_skipped_and_get_zero_gradient() {
        let mut p = Problem::random(13, (3, 8, 40, 100), &[8, 3, 0], 0.4, 0.1);
        let clean = p.grads();
        // Garbage in masked rows must not be read at all.
        let (nh, nf) = (8, 40);
        for (i, &a) in p.active.iter().enumerate() {
            for v in &mut p.w[(i * nh + a as usize) * nf..(i + 1) * nh * nf] {
                *v = f32::NAN;
            }
        }
        let dirty = p.grads();
        assert_eq!(bits(&clean.dw), bits(&dirty.dw));
        assert_eq!(bits(&clean.db), bits(&dirty.db));
        assert_eq!(bits(&clean.loss), bits(&dirty.loss));
        for (i, &a) in p.active.iter().enumerate() {
            let masked = &clean.dw[(i * nh + a as usize) * nf..(i + 1) * nh * nf];
            assert!(masked.iter().all(|&g| g.to_bits() == 0), "instance {i}");
            let live = &clean.dw[i * nh * nf..(i * nh + a as usize) * nf];
            assert!(a == 0 || live.iter().any(|&g| g != 0.0), "instance {i}");
        }
    }

    /// The Adam formula in f64, written the plain way.
    fn adam_f64(
        steps: &[Vec<f64>],
        p0: &[f64],
        lr: f64,
        (b1, b2, eps): (f64, f64, f64),
    ) -> Vec<f64> {
        let (mut p, mut m, mut v) = (p0.to_vec(), vec![0.0; p0.len()], vec![0.0; p0.len()]);
        for (t, g) in steps.iter().enumerate() {
            let t = t as i32 + 1;
            let c2 = (1.0 - b2.powi(t)).sqrt();
            let k = c2 / (1.0 - b1.powi(t));
            for j in 0..p.len() {
                m[j] = b1 * m[j] + (1.0 - b1) * g[j];
                v[j] = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
                p[j] -= lr * k * m[j] / (v[j].sqrt() + eps * c2);
            }
        }
        p
    }

    #[test]
    fn adam_matches_f64_formula() {
        let mut rng = Rng(3);
        let n = 50;
        let p0: Vec<f32> = (0..n).map(|_| rng.sym(1.0)).collect();
        // Gradients of scales 1e-3..10, with some exact zeros.
        let steps: Vec<Vec<f32>> = (0..100)
            .map(|t| {
                (0..n)
                    .map(|j| {
                        if (j + t) % 7 == 0 {
                            0.0
                        } else {
                            rng.sym(1.0) * 10f32.powi(j as i32 % 5 - 3)
                        }
                    })
                    .collect()
            })
            .collect();
        let steps64: Vec<Vec<f64>> = steps
            .iter()
            .map(|g| g.iter().map(|&x| x as f64).collect())
            .collect();
        let p064: Vec<f64> = p0.iter().map(|&x| x as f64).collect();
        // A large epsilon too, where applying it as ε·sqrt(1 − β2^t) matters.
        for (lr, eps) in [(1e-3f32, 1e-8f32), (1e-2, 1e-3)] {
            let mut adam = Adam::new(n, 0.9, 0.999, eps);
            let mut p = p0.clone();
            for g in &steps {
                adam.step(lr, &mut p, g);
            }
            assert_eq!(adam.time(), 100);
            let want = adam_f64(
                &steps64,
                &p064,
                lr as f64,
                (0.9f32 as f64, 0.999f32 as f64, eps as f64),
            );
            let err = rel_err(&p, &want);
            assert!(err < 1e-6, "eps {eps}: relative error {err}");
            // The test can tell: the parameters did move, by much more than the error.
            let moved: Vec<f64> = want.iter().zip(&p064).map(|(w, p)| w - p).collect();
            assert!(max_abs(&moved) > 1e3 * err * max_abs(&want));
        }
    }

    #[test]
    fn adam_keeps_zero_params_with_zero_grads_at_zero() {
        let n = 10;
        let mut adam = Adam::new(n, 0.9, 0.999, 1e-8);
        let mut p = vec![0.0f32; n];
        let mut g = vec![0.0f32; n];
        for t in 0..200 {
            // Live entries move, masked ones (the last half) always see zero gradient.
            for (j, gj) in g.iter_mut().enumerate().take(n / 2) {
                *gj = ((t * 7 + j) % 5) as f32 - 2.0;
            }
            adam.step(1e-2, &mut p, &g);
            assert!(p[n / 2..].iter().all(|&x| x.to_bits() == 0), "step {t}");
        }
        assert!(p[..n / 2].iter().any(|&x| x != 0.0));
    }

    /// CSR rows on their own (offsets from 0).
    type Rows = (Vec<u32>, Vec<u32>, Vec<f32>);

    /// Instance `i`'s rows of `p`'s stacked batch.
    fn instance_rows(p: &Problem, i: usize) -> Rows {
        let o = &p.offsets[i * p.batch..=(i + 1) * p.batch];
        let (lo, hi) = (o[0] as usize, o[p.batch] as usize);
        let offsets = o.iter().map(|&x| x - o[0]).collect();
        (
            offsets,
            p.indices[lo..hi].to_vec(),
            p.values[lo..hi].to_vec(),
        )
    }

    fn counted<'a>(rows: &'a Rows, counts: &'a [u32]) -> CountedRows<'a> {
        CountedRows {
            batch: counts.iter().sum::<u32>() as usize,
            offsets: &rows.0,
            indices: &rows.1,
            values: &rows.2,
            counts,
        }
    }

    const BETAS_EPS: (f32, f32, f32) = (0.9, 0.999, 1e-8);

    fn trainer(p: &Problem, i: usize) -> InstanceTrainer {
        let Shape {
            n_hidden: nh,
            n_features: nf,
            ..
        } = p.shape;
        let live = &p.w[i * nh * nf..][..p.active[i] as usize * nf];
        let (b, imp) = (&p.b[i * nf..][..nf], &p.imp[i * nf..][..nf]);
        InstanceTrainer::new(nf, live, b, imp, BETAS_EPS)
    }

    fn params(t: &InstanceTrainer, a: usize, nf: usize) -> (Vec<f32>, Vec<f32>) {
        let (mut w, mut b) = (vec![0.0; a * nf], vec![0.0; nf]);
        t.params_into(&mut w, &mut b);
        (w, b)
    }

    #[test]
    fn instance_trainers_step_like_the_stacked_kernel_and_adam() {
        // Several chunks per instance, masked rows, padded widths 4, 8 and 12.
        let mut p = Problem::random(21, (3, 10, 40, 600), &[10, 5, 2], 0.3, 0.05);
        let (nh, nf) = (p.shape.n_hidden, p.shape.n_features);
        let mut trainers: Vec<_> = (0..3).map(|i| trainer(&p, i)).collect();
        let (b1, b2, eps) = BETAS_EPS;
        let mut adam_w = Adam::new(p.w.len(), b1, b2, eps);
        let mut adam_b = Adam::new(p.b.len(), b1, b2, eps);
        let mut out = FusedGrads::new(p.shape);
        let ones = vec![1; p.batch];
        for step in 0..6 {
            p.grads_into(&mut out);
            adam_w.step(1e-2, &mut p.w, &out.dw);
            adam_b.step(1e-2, &mut p.b, &out.db);
            let with_loss = step % 2 == 0;
            for (i, t) in trainers.iter_mut().enumerate() {
                let rows = instance_rows(&p, i);
                let loss = t.step(&counted(&rows, &ones), 1e-2, with_loss);
                let want = with_loss.then(|| out.loss[i].to_bits());
                assert_eq!(loss.map(f32::to_bits), want, "step {step}, instance {i}");
            }
        }
        for (i, t) in trainers.iter().enumerate() {
            let a = p.active[i] as usize;
            let (w, b) = params(t, a, nf);
            assert_eq!(bits(&w), bits(&p.w[i * nh * nf..][..a * nf]), "W {i}");
            assert_eq!(bits(&b), bits(&p.b[i * nf..][..nf]), "b {i}");
        }
    }

    #[test]
    fn merged_rows_train_like_repeated_rows() {
        let p = Problem::random(22, (1, 6, 30, 64), &[6], 0.4, 0.05);
        let nf = p.shape.n_features;
        let merged = instance_rows(&p, 0);
        let counts: Vec<u32> = (0..64).map(|r| 1 + r % 4).collect();
        // The same batch row by row: row r repeated counts[r] times, the copies apart.
        let mut repeated: Rows = (vec![0], vec![], vec![]);
        for round in 0..4 {
            for (r, &c) in counts.iter().enumerate() {
                if c > round {
                    let range = merged.0[r] as usize..merged.0[r + 1] as usize;
                    repeated.1.extend_from_slice(&merged.1[range.clone()]);
                    repeated.2.extend_from_slice(&merged.2[range]);
                    repeated.0.push(repeated.1.len() as u32);
                }
            }
        }
        let ones = vec![1; repeated.0.len() - 1];
        let (mut a, mut b) = (trainer(&p, 0), trainer(&p, 0));
        for step in 0..20 {
            let la = a.step(&counted(&merged, &counts), 1e-2, true).unwrap();
            let lb = b.step(&counted(&repeated, &ones), 1e-2, true).unwrap();
            assert!(
                (la - lb).abs() <= 1e-5 * lb,
                "step {step}: loss {la} vs {lb}"
            );
        }
        let ((wa, ba), (wb, bb)) = (params(&a, 6, nf), params(&b, 6, nf));
        let f64s = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
        assert!(rel_err(&wa, &f64s(&wb)) < 1e-5 && rel_err(&ba, &f64s(&bb)) < 1e-5);
        // And they did train.
        assert!(rel_err(&wa, &f64s(&p.w)) > 1e-2);
    }
}
