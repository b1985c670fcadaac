//! Packs: several jobs trained as one burn model, for GPUs.
//!
//! On a GPU these models are so small that a step costs the dispatch of its ops, not their
//! arithmetic: with autodiff (~70 ops a step) an H100 ran depth 1 (2 features) at 1240 steps/s
//! and depth 6 (126) at 863. And jobs trained on parallel threads overlap poorly with autodiff
//! (1.6× with 6 threads on an H100), because burn-autodiff serialises every graph operation on
//! one process-wide lock. A pack issues one step's ops for all its jobs, with either
//! [`Gradients`]. Measured on an H100 by hand: the seed sweep's 6 groups as one pack stepped at
//! 964 steps/s against about 2150 for one group alone, 10.4 s of training against 30.8 s; a
//! pack whose padding dominates (depth 8 with depths 1–7, all at 510 features and width 32)
//! stepped at 146 and gained nothing (docs/gpu.md).
//!
//! The pack pads every instance to the widest `n_hidden` (masked rows, as within a job) and to
//! the largest tree: its features and its node rows (`node_rows.rs`). A padded feature is 0 in
//! every row and has importance 0, and a padded row has weight 0, so neither reaches the loss
//! or the gradients of an instance without them. Importance is scaled by `n_pad / n_features`
//! so that the pack's mean over `n_pad` features is the job's mean over its own. Each job keeps
//! its init and data streams, so its results are the ones it gets alone, up to float order
//! (which depends on its pack-mates: the padded sizes and the scale).

use crate::node_rows::NodeRows;
use crate::{
    Batches, Feed, Gradients, Job, JobResult, Progress, Upload, evaluate, final_loss, fit,
};
use burn::prelude::*;
use toy_model::{ToyModel, initial_weights};

/// Whether `job` can join a pack: its batches train on their node rows.
pub(crate) fn can_join(job: &Job) -> bool {
    NodeRows::pays(job.data, job.config.batch)
}

/// Trains `jobs` (each [`can_join`], all with the same config) as one model on `device`, with
/// `gradients`; calls `on_step(j, progress)` for job `j` after every step and returns the
/// results in order.
pub(crate) fn train_pack(
    jobs: &[Job],
    device: &Device,
    upload: Upload,
    gradients: Gradients,
    on_step: &mut dyn FnMut(usize, Progress),
) -> Vec<JobResult> {
    let config = jobs[0].config;
    assert!(
        jobs.iter().all(|j| can_join(j) && j.config == config),
        "a pack trains node-row jobs of one config"
    );
    let n_pad = jobs.iter().map(|j| j.data.n_features()).max().unwrap_or(0);
    let h_pad = jobs.iter().map(Job::n_hidden).max().unwrap_or(0);
    // Instance range of each job in the pack.
    let mut ranges = Vec::with_capacity(jobs.len());
    let mut at = 0;
    for job in jobs {
        ranges.push(at..at + job.instances.len());
        at += job.instances.len();
    }

    let mut w = vec![0.0f32; at * h_pad * n_pad];
    let mut importance = vec![0.0f32; at * n_pad];
    let (mut widths, mut specs, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for (job, range) in jobs.iter().zip(&ranges) {
        let (n, h) = (job.data.n_features(), job.n_hidden());
        let job_w = initial_weights(job.instances, n);
        let scale = n_pad as f32 / n as f32;
        for (k, instance) in range.clone().enumerate() {
            for row in 0..h {
                let from = &job_w[(k * h + row) * n..][..n];
                w[(instance * h_pad + row) * n_pad..][..n].copy_from_slice(from);
            }
            for (to, &from) in importance[instance * n_pad..][..n]
                .iter_mut()
                .zip(&job.importance[k * n..][..n])
            {
                *to = from * scale;
            }
        }
        widths.extend(job.instances.iter().map(|i| i.n_hidden));
        specs.extend(std::iter::repeat_n(job.data, job.instances.len()));
        keys.extend(job.keys());
    }
    let b_final = vec![0.0; at * n_pad];
    let model = ToyModel::from_weights(w, b_final, &widths, n_pad, &importance, device);
    let rows = NodeRows::new(specs, &keys, config.batch, device).expect("every job can join");
    let feed = Feed::Rows(rows);
    let (model, curve) = fit(
        gradients,
        model,
        feed,
        config,
        device,
        &mut |p: Progress| {
            for (j, range) in ranges.iter().enumerate() {
                let loss = p.loss.map(|loss| &loss[range.clone()]);
                on_step(j, Progress { loss, ..p });
            }
        },
    );

    let (w, b) = model.to_host();
    (jobs.iter().zip(&ranges))
        .map(|(job, range)| {
            let (n, h) = (job.data.n_features(), job.n_hidden());
            let mut job_w = Vec::with_capacity(range.len() * h * n);
            let mut job_b = Vec::with_capacity(range.len() * n);
            for instance in range.clone() {
                for row in 0..h {
                    job_w.extend_from_slice(&w[(instance * h_pad + row) * n_pad..][..n]);
                }
                job_b.extend_from_slice(&b[instance * n_pad..][..n]);
            }
            let curve: Vec<(u64, Vec<f32>)> = (curve.iter())
                .map(|(step, loss)| (*step, loss[range.clone()].to_vec()))
                .collect();
            // Evaluated alone, on the job's own batch, as if it had trained alone.
            let job_widths: Vec<usize> = job.instances.iter().map(|i| i.n_hidden).collect();
            let alone = ToyModel::from_weights(
                job_w.clone(),
                job_b.clone(),
                &job_widths,
                n,
                job.importance,
                device,
            );
            let job_keys = job.keys();
            let batches = Batches {
                data: job.data,
                keys: &job_keys,
                upload,
            };
            JobResult {
                w: job_w,
                b_final: job_b,
                final_loss: final_loss(&curve),
                eval_loss: evaluate(&alone, &batches, config.eval_batch, device),
                curve,
            }
        })
        .collect()
}
