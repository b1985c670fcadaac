//! A batch of sparse samples for several instances, in CSR form.

/// Per-instance staging area; lets [`crate::DataSpec::sample_into`] fill instances
/// in parallel and reuse the buffers on the next step.
#[derive(Debug, Clone, Default)]
pub(crate) struct InstanceRows {
    /// End of each row within `indices`, relative to this instance.
    pub(crate) row_ends: Vec<u32>,
    pub(crate) indices: Vec<u32>,
    pub(crate) values: Vec<f32>,
}

impl InstanceRows {
    pub(crate) fn clear(&mut self) {
        self.row_ends.clear();
        self.indices.clear();
        self.values.clear();
    }
}

/// Sparse samples in CSR form, instance-major: row `r = instance * batch + sample`
/// holds features `indices[offsets[r]..offsets[r + 1]]` with magnitudes `values[..]`
/// at the same positions.
#[derive(Debug, Clone, Default)]
pub struct SparseBatch {
    /// Samples per instance.
    pub batch: usize,
    /// Number of instances (one per stream key).
    pub n_instances: usize,
    /// Width of a dense row.
    pub n_features: usize,
    /// Row starts; `n_instances * batch + 1` entries, the last one is `indices.len()`.
    pub offsets: Vec<u32>,
    /// Active feature indices, row after row.
    pub indices: Vec<u32>,
    /// Magnitudes matching `indices`.
    pub values: Vec<f32>,
    /// Reused between calls of `sample_into`; not part of the batch's value.
    pub(crate) staging: Vec<InstanceRows>,
}

impl PartialEq for SparseBatch {
    fn eq(&self, other: &Self) -> bool {
        self.batch == other.batch
            && self.n_instances == other.n_instances
            && self.n_features == other.n_features
            && self.offsets == other.offsets
            && self.indices == other.indices
            && self.values == other.values
    }
}

impl SparseBatch {
    /// An empty batch, to be filled by [`crate::DataSpec::sample_into`].
    pub fn new() -> SparseBatch {
        SparseBatch::default()
    }

    /// Number of rows, `n_instances * batch`.
    pub fn n_rows(&self) -> usize {
        self.n_instances * self.batch
    }

    /// Number of stored (active) entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Active features and their magnitudes of one sample of one instance.
    pub fn row(&self, instance: usize, sample: usize) -> (&[u32], &[f32]) {
        assert!(
            instance < self.n_instances && sample < self.batch,
            "row ({instance}, {sample}) is outside {} instances x {} samples",
            self.n_instances,
            self.batch
        );
        let r = instance * self.batch + sample;
        let range = self.offsets[r] as usize..self.offsets[r + 1] as usize;
        (&self.indices[range.clone()], &self.values[range])
    }

    /// Dense copy in layout `[batch, n_instances, n_features]`, row-major.
    pub fn to_dense(&self) -> Vec<f32> {
        let mut out = Vec::new();
        self.to_dense_into(&mut out);
        out
    }

    /// Like [`SparseBatch::to_dense`], overwriting `out` and reusing its allocation.
    pub fn to_dense_into(&self, out: &mut Vec<f32>) {
        out.clear();
        out.resize(self.batch * self.n_instances * self.n_features, 0.0);
        for instance in 0..self.n_instances {
            for sample in 0..self.batch {
                let (indices, values) = self.row(instance, sample);
                let base = (sample * self.n_instances + instance) * self.n_features;
                for (&feature, &value) in indices.iter().zip(values) {
                    out[base + feature as usize] = value;
                }
            }
        }
    }
}
