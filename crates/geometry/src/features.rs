//! Per-feature geometry of one instance's `W`: the Gram matrix, column norms, superposition
//! and dimensions per feature. Pure functions, computed in f64.
//!
//! Every function takes one instance's `W` as a row-major slice of shape
//! `[n_hidden, n_features]`, so feature `i`'s embedding is the column `W[:, i]`.

/// Checks that `w` has `n_hidden * n_features` values.
fn check_shape(w: &[f32], n_hidden: usize, n_features: usize) {
    assert_eq!(
        Some(w.len()),
        n_hidden.checked_mul(n_features),
        "W has {} values, expected n_hidden {n_hidden} × n_features {n_features}",
        w.len()
    );
}

/// The Gram matrix `WᵀW` of one instance: `G[i][j] = W_i · W_j`, symmetric `[F, F]`.
///
/// Its diagonal holds the squared feature norms; everything else on this page derives from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Gram {
    n_features: usize,
    values: Vec<f64>,
}

impl Gram {
    /// Computes `WᵀW` for `w` of shape `[n_hidden, n_features]` (row-major), in f64.
    ///
    /// # Panics
    ///
    /// When `w.len() != n_hidden * n_features`.
    pub fn of(w: &[f32], n_hidden: usize, n_features: usize) -> Gram {
        check_shape(w, n_hidden, n_features);
        let mut values = vec![0.0f64; n_features * n_features];
        for row in w.chunks_exact(n_features.max(1)).take(n_hidden) {
            for i in 0..n_features {
                let wi = row[i] as f64;
                if wi == 0.0 {
                    continue;
                }
                // Upper triangle only; mirrored below.
                let out = &mut values[i * n_features..(i + 1) * n_features];
                for j in i..n_features {
                    out[j] += wi * row[j] as f64;
                }
            }
        }
        for i in 0..n_features {
            for j in 0..i {
                values[i * n_features + j] = values[j * n_features + i];
            }
        }
        Gram { n_features, values }
    }

    /// Number of features `F`.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// `W_i · W_j`. Panics when `i` or `j` is not below `F`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        assert!(i < self.n_features && j < self.n_features);
        self.values[i * self.n_features + j]
    }

    /// All entries, row-major `[F, F]`.
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }

    /// The matrix in `k × k` blocks (the last row and column of blocks narrower where `k` does
    /// not divide `F`), each block shown by its entry of largest magnitude, sign kept: so the
    /// diagonal's squared norms and any strong interference survive, where a block mean would
    /// fade them by up to `k` times. Row-major `[n, n]` with `n = ⌈F / k⌉`; `k = 1` gives the
    /// matrix itself.
    ///
    /// # Panics
    ///
    /// When `k` is 0.
    pub fn pooled(&self, k: usize) -> Vec<f64> {
        assert!(k > 0, "blocks must hold at least one entry");
        let n = self.n_features.div_ceil(k);
        let mut out = vec![0.0f64; n * n];
        for i in 0..self.n_features {
            for j in 0..self.n_features {
                let v = self.get(i, j);
                let cell = &mut out[(i / k) * n + j / k];
                if v.abs() > cell.abs() {
                    *cell = v;
                }
            }
        }
        out
    }

    /// `‖W‖_F² = trace(WᵀW)`.
    pub fn frobenius_sq(&self) -> f64 {
        (0..self.n_features).map(|i| self.get(i, i)).sum()
    }

    /// Feature norms `‖W_i‖` (the column norms of `W`).
    pub fn norms(&self) -> Vec<f64> {
        (0..self.n_features)
            .map(|i| self.get(i, i).max(0.0).sqrt())
            .collect()
    }

    /// Cosine between features `i` and `j`, or `None` when either column is exactly zero.
    pub fn cosine(&self, i: usize, j: usize) -> Option<f64> {
        let denom = (self.get(i, i) * self.get(j, j)).sqrt();
        (denom > 0.0).then(|| (self.get(i, j) / denom).clamp(-1.0, 1.0))
    }

    /// Superposition of each feature: `Σ_{j≠i} (Ŵ_i · W_j)²` with `Ŵ_i = W_i / ‖W_i‖`,
    /// i.e. `Σ_{j≠i} G_ij² / G_ii`; 0 for a zero column.
    pub fn superposition(&self) -> Vec<f64> {
        (0..self.n_features)
            .map(|i| {
                let gii = self.get(i, i);
                if gii <= 0.0 {
                    return 0.0;
                }
                let off: f64 = (0..self.n_features)
                    .filter(|&j| j != i)
                    .map(|j| self.get(i, j).powi(2))
                    .sum();
                off / gii
            })
            .collect()
    }

    /// Dimensions per feature (TMS paper): `D_i = ‖W_i‖⁴ / Σ_j (W_i · W_j)²`, the sum running
    /// over all `j` including `i`; 0 for a zero column. A feature alone in its direction has
    /// `D = 1`; `k` equal-norm features sharing a direction (or an antipodal pair) have
    /// `D = 1/k`.
    pub fn dims_per_feature(&self) -> Vec<f64> {
        (0..self.n_features)
            .map(|i| {
                let gii = self.get(i, i);
                if gii <= 0.0 {
                    return 0.0;
                }
                let all: f64 = (0..self.n_features).map(|j| self.get(i, j).powi(2)).sum();
                gii * gii / all
            })
            .collect()
    }
}

/// [`Gram::of`]: the Gram matrix `WᵀW` of `w` (`[n_hidden, n_features]`, row-major).
///
/// # Panics
///
/// When `w.len() != n_hidden * n_features`.
pub fn gram(w: &[f32], n_hidden: usize, n_features: usize) -> Gram {
    Gram::of(w, n_hidden, n_features)
}

/// Feature norms `‖W_i‖`, the column norms of `w` (`[n_hidden, n_features]`, row-major).
///
/// # Panics
///
/// When `w.len() != n_hidden * n_features`.
pub fn feature_norms(w: &[f32], n_hidden: usize, n_features: usize) -> Vec<f64> {
    check_shape(w, n_hidden, n_features);
    (0..n_features)
        .map(|i| {
            (0..n_hidden)
                .map(|h| (w[h * n_features + i] as f64).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect()
}

/// [`Gram::superposition`] of `w`: `Σ_{j≠i} (Ŵ_i · W_j)²` per feature, 0 for a zero column.
///
/// # Panics
///
/// When `w.len() != n_hidden * n_features`.
pub fn superposition(w: &[f32], n_hidden: usize, n_features: usize) -> Vec<f64> {
    Gram::of(w, n_hidden, n_features).superposition()
}

/// [`Gram::dims_per_feature`] of `w`: `‖W_i‖⁴ / Σ_j (W_i · W_j)²` per feature, 0 for a zero
/// column.
///
/// # Panics
///
/// When `w.len() != n_hidden * n_features`.
pub fn dims_per_feature(w: &[f32], n_hidden: usize, n_features: usize) -> Vec<f64> {
    Gram::of(w, n_hidden, n_features).dims_per_feature()
}

/// The TMS paper's overall dimensions per feature, `n_hidden / ‖W‖_F²`; NaN when `W` is all
/// zeros (no feature is embedded, so the ratio is undefined).
///
/// # Panics
///
/// When `w.len() != n_hidden * n_features`.
pub fn total_dims(w: &[f32], n_hidden: usize, n_features: usize) -> f64 {
    check_shape(w, n_hidden, n_features);
    let frob: f64 = w.iter().map(|v| (*v as f64).powi(2)).sum();
    if frob > 0.0 {
        n_hidden as f64 / frob
    } else {
        f64::NAN
    }
}

/// Everything per feature in one pass over the Gram matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureGeometry {
    /// `‖W_i‖`.
    pub norm: f64,
    /// `Σ_{j≠i} (Ŵ_i · W_j)²`.
    pub superposition: f64,
    /// `‖W_i‖⁴ / Σ_j (W_i · W_j)²`.
    pub dims: f64,
}

impl Gram {
    /// [`Gram::norms`], [`Gram::superposition`] and [`Gram::dims_per_feature`] together.
    pub fn feature_geometry(&self) -> Vec<FeatureGeometry> {
        let norms = self.norms();
        let sup = self.superposition();
        let dims = self.dims_per_feature();
        (0..self.n_features)
            .map(|i| FeatureGeometry {
                norm: norms[i],
                superposition: sup[i],
                dims: dims[i],
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::w_2d;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    /// Blocks of 2 of a 3-feature Gram: a 2 × 2 block, two edge strips and a corner; each
    /// keeps its entry of largest magnitude with its sign.
    #[test]
    fn pooled_blocks_keep_their_largest_entry_with_its_sign() {
        // a = (2, 0), b = (-3, 1), c = (0, 1): G = [[4, -6, 0], [-6, 10, 1], [0, 1, 1]].
        let g = gram(&w_2d(&[(2.0, 0.0), (-3.0, 1.0), (0.0, 1.0)]), 2, 3);
        assert_eq!(
            g.as_slice(),
            [4.0, -6.0, 0.0, -6.0, 10.0, 1.0, 0.0, 1.0, 1.0]
        );
        assert_eq!(g.pooled(2), [10.0, 1.0, 1.0, 1.0]);
        assert_eq!(g.pooled(1), g.as_slice());
        assert_eq!(g.pooled(3), [10.0]);
        // Off the diagonal a negative entry wins over a smaller positive one: a = (1, 0),
        // b = (0, 0.5), c = (-2, 0.25) give G_ac = -2 and G_bc = 0.125.
        let g = gram(&w_2d(&[(1.0, 0.0), (0.0, 0.5), (-2.0, 0.25)]), 2, 3);
        assert_eq!(g.pooled(2)[1], -2.0);
        assert_eq!(g.pooled(2)[2], -2.0);
    }

    #[test]
    fn hand_made_antipodal_pair_and_a_lone_orthogonal_feature() {
        // a = (2, 0), b = (-1, 0) antipodal to a, c = (0, 3) alone in its direction.
        let w = w_2d(&[(2.0, 0.0), (-1.0, 0.0), (0.0, 3.0)]);
        let g = gram(&w, 2, 3);
        let expected = [4.0, -2.0, 0.0, -2.0, 1.0, 0.0, 0.0, 0.0, 9.0];
        assert_eq!(g.as_slice(), expected);
        assert_eq!(feature_norms(&w, 2, 3), vec![2.0, 1.0, 3.0]);
        assert_eq!(g.norms(), vec![2.0, 1.0, 3.0]);
        // (â·b)² = 1, (b̂·a)² = 4, c overlaps nothing.
        assert_eq!(superposition(&w, 2, 3), vec![1.0, 4.0, 0.0]);
        // D_a = 16 / (16 + 4), D_b = 1 / (1 + 4), D_c = 81 / 81.
        let dims = dims_per_feature(&w, 2, 3);
        assert!(close(dims[0], 0.8) && close(dims[1], 0.2) && close(dims[2], 1.0));
        // The dims of the antipodal pair add up to the one dimension they share.
        assert!(close(dims.iter().sum::<f64>(), 2.0));
        assert!(close(total_dims(&w, 2, 3), 2.0 / 14.0));
        assert_eq!(g.cosine(0, 1), Some(-1.0));
        assert_eq!(g.cosine(0, 2), Some(0.0));
        assert!(close(g.frobenius_sq(), 14.0));
    }

    #[test]
    fn unit_square_cross_has_half_a_dimension_each() {
        // 0°, 180°, 90°, 270°: two antipodal pairs.
        let w = w_2d(&[(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)]);
        for d in dims_per_feature(&w, 2, 4) {
            assert!(close(d, 0.5), "{d}");
        }
        assert_eq!(superposition(&w, 2, 4), vec![1.0; 4]);
        assert!(close(total_dims(&w, 2, 4), 0.5));
    }

    #[test]
    fn pentagon_has_two_fifths_of_a_dimension_per_feature() {
        let cols: Vec<(f32, f32)> = (0..5)
            .map(|k| {
                let a = 2.0 * std::f64::consts::PI * k as f64 / 5.0;
                (a.cos() as f32, a.sin() as f32)
            })
            .collect();
        let w = w_2d(&cols);
        for d in dims_per_feature(&w, 2, 5) {
            assert!((d - 0.4).abs() < 1e-6, "{d}");
        }
        // Σ_{j≠i} cos² = 2 cos²72° + 2 cos²144° = 3/2.
        for s in superposition(&w, 2, 5) {
            assert!((s - 1.5).abs() < 1e-6, "{s}");
        }
        assert!((total_dims(&w, 2, 5) - 0.4).abs() < 1e-6);
    }

    #[test]
    fn zero_columns_give_zero_not_nan() {
        let w = w_2d(&[(0.0, 0.0), (1.0, 0.0)]);
        let g = gram(&w, 2, 2);
        assert_eq!(g.superposition(), vec![0.0, 0.0]);
        assert_eq!(g.dims_per_feature(), vec![0.0, 1.0]);
        assert_eq!(g.cosine(0, 1), None);
        assert!(total_dims(&[0.0; 4], 2, 2).is_nan());
    }

    #[test]
    fn gram_is_symmetric_and_matches_the_naive_sum() {
        let (h, f) = (3, 5);
        let w: Vec<f32> = (0..h * f)
            .map(|k| ((k * 7 % 11) as f32 - 5.0) / 3.0)
            .collect();
        let g = gram(&w, h, f);
        for i in 0..f {
            for j in 0..f {
                let naive: f64 = (0..h)
                    .map(|r| w[r * f + i] as f64 * w[r * f + j] as f64)
                    .sum();
                assert!(close(g.get(i, j), naive));
                assert_eq!(g.get(i, j), g.get(j, i));
            }
        }
        let geo = g.feature_geometry();
        let norms = feature_norms(&w, h, f);
        for (a, b) in geo.iter().zip(norms) {
            assert!(close(a.norm, b));
        }
    }

    #[test]
    #[should_panic(expected = "expected n_hidden 2")]
    fn wrong_shape_panics() {
        gram(&[1.0; 5], 2, 3);
    }
}
