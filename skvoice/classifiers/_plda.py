"""Embedding back ends for speaker verification: cosine scoring and two-covariance PLDA.

Private building blocks of :class:`~skvoice.classifiers.SpeakerVerifier`. A
back end is fitted on development embeddings with speaker labels (a
background set, or the enrolment data), then

- ``prepare(X)`` maps raw embeddings to the space it scores in,
- ``enrol(Z, idx, n)`` builds one model per speaker from prepared embeddings,
- ``score(Z, models)`` gives an ``(n_test, n_models)`` matrix, higher = same speaker.

Covariance estimates are closed-form moment estimates (no EM): with few
recordings per speaker they are as good as EM and much cheaper.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

__all__ = ["EmbeddingBackend", "l2_normalize", "class_statistics"]


def l2_normalize(X):
    """Rows scaled to unit Euclidean norm (zero rows stay zero; tiny ones are scaled like any other)."""
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.divide(X, norms, out=np.zeros(np.shape(X), dtype=np.result_type(X, np.float32)), where=norms > 0)


def class_statistics(Z, idx, n_classes):
    """Per-class counts, means, and the pooled within-class covariance (unbiased, ``N - C`` dof)."""
    counts = np.bincount(idx, minlength=n_classes).astype(float)
    sums = np.zeros((n_classes, Z.shape[1]))
    np.add.at(sums, idx, Z)
    present = counts > 0
    means = np.zeros_like(sums)
    means[present] = sums[present] / counts[present, None]
    centred = Z - means[idx]
    dof = max(len(Z) - int(present.sum()), 1)
    within = centred.T @ centred / dof
    return counts, means, within


def _regularised(cov, reg):
    """``cov`` plus ``reg`` times its mean variance on the diagonal (for length-normalised vectors).

    A within-speaker covariance with no variance (one recording per speaker, or repeated embeddings, whose
    trace is rounding noise such as 1e-33) gets ``reg`` itself: scaling by the noise left no ridge at all.
    """
    d = cov.shape[0]
    trace = float(np.trace(cov))
    scale = trace / d if trace > 1e-10 else 1.0  # unit vectors: a real within-speaker trace is 0.1 to 1
    return cov + reg * scale * np.eye(d)


class EmbeddingBackend:
    """Preprocessing + speaker models + trial scoring for fixed-size embeddings.

    Parameters
    ----------
    scoring : {"cosine", "plda"}
    center : bool
        Subtract the development mean before length normalisation (cosine;
        PLDA always centres).
    projection : {None, "lda", "wccn"}
        Cosine only: LDA (``n_components`` directions maximising between- over
        within-speaker scatter) or within-class covariance normalisation.
    n_components : int or None
        LDA dimensions (cosine + LDA) or PLDA speaker subspace rank; ``None``:
        as many as the data supports (``min(n_features, n_speakers - 1)``).
    reg : float
        Ridge added to within-class covariances, relative to their mean variance.
    pca_components : int or None
        PLDA only: dimensions kept by the PCA whitening that precedes length
        normalisation. ``None``: ``(n_samples - n_speakers) // 6`` (at least 2,
        at most ``n_features``), so that the within-speaker covariance has
        several degrees of freedom per dimension; with little development data
        PLDA otherwise fits noise directions.
    """

    def __init__(self, scoring="cosine", center=True, projection=None, n_components=None, reg=0.1,
                 pca_components=None):
        self.scoring = scoring
        self.center = center
        self.projection = projection
        self.n_components = n_components
        self.reg = reg
        self.pca_components = pca_components

    def _rank(self, n_features, n_classes):
        limit = max(1, min(n_features, n_classes - 1))
        return limit if self.n_components is None else min(self.n_components, limit)

    def fit(self, X, idx, n_classes):
        try:
            return self._fit(X, idx, n_classes)
        except np.linalg.LinAlgError as exc:  # reg=0 with fewer recordings than dimensions
            raise ValueError(f"The within-speaker covariance of {len(X)} recordings in {np.shape(X)[1]} dimensions "
                             f"is singular (reg={self.reg}): use reg > 0.") from exc

    def _fit(self, X, idx, n_classes):
        X = np.asarray(X, dtype=np.float64)
        if self.scoring == "plda" or self.center:
            self.mean_ = X.mean(axis=0)
        else:
            self.mean_ = np.zeros(X.shape[1])
        Z = X - self.mean_
        self.transform_ = None
        if self.scoring == "cosine":
            Z = l2_normalize(Z)
            if self.projection is not None:
                counts, means, within = class_statistics(Z, idx, n_classes)
                within = _regularised(within, self.reg)
                if self.projection == "wccn":
                    # B B^T = W^{-1}: the Cholesky factor of the inverse within-class covariance
                    self.transform_ = np.linalg.cholesky(np.linalg.inv(within))
                else:
                    present = counts > 0
                    mu = (counts[present, None] * means[present]).sum(0) / counts.sum()
                    diff = means[present] - mu
                    between = (counts[present, None] * diff).T @ diff / counts.sum()
                    vals, vecs = linalg.eigh(between, within)
                    k = self._rank(Z.shape[1], int(present.sum()))
                    if k < 2:  # length-normalised, one direction is only a sign: every score +1 or -1
                        warnings.warn(f"projection='lda' keeps {k} direction here ({int(present.sum())} speakers, "
                                      f"n_components={self.n_components}), and cosine scoring of one-dimensional "
                                      "vectors keeps only their sign: the projection is not used.", UserWarning,
                                      stacklevel=4)
                        return self
                    self.transform_ = vecs[:, np.argsort(vals)[::-1][:k]]
            return self
        # PLDA: PCA-whiten, length-normalise, then the two-covariance model
        n_present = int(np.count_nonzero(np.bincount(idx, minlength=n_classes)))
        k = self.pca_components
        if k is None:
            k = max(2, (len(Z) - n_present) // 6)
        k = int(min(k, Z.shape[1], max(len(Z) - 1, 1)))
        _, sing, vt = np.linalg.svd(Z, full_matrices=False)
        std = sing[:k] / np.sqrt(max(len(Z) - 1, 1))
        self.whiten_ = vt[:k].T / np.maximum(std, 1e-12 * max(std[0], 1e-300))
        Z = l2_normalize(Z @ self.whiten_)
        counts, means, within = class_statistics(Z, idx, n_classes)
        present = counts > 0
        within = _regularised(within, self.reg)
        mu = means[present].mean(axis=0)
        diff = means[present] - mu
        cov_means = diff.T @ diff / max(int(present.sum()) - 1, 1)
        # simultaneous diagonalisation: V^T W V = I, V^T Cov(means) V = diag(lam)
        lam, V = linalg.eigh(cov_means, within)
        order = np.argsort(lam)[::-1][:self._rank(Z.shape[1], int(present.sum()))]
        # Cov(class mean) = B + W / n_c, so B = Cov(means) - mean(1/n_c) W in the diagonal basis
        psi = lam[order] - np.mean(1.0 / counts[present])
        self.plda_mean_ = mu @ V[:, order]
        self.plda_basis_ = V[:, order]
        self.psi_ = np.maximum(psi, 1e-6)
        return self

    def prepare(self, X):
        Z = np.asarray(X, dtype=np.float64) - self.mean_
        if self.scoring == "cosine":
            Z = l2_normalize(Z)
            if self.transform_ is not None:
                Z = l2_normalize(Z @ self.transform_)
            return Z
        Z = l2_normalize(Z @ self.whiten_)
        return Z @ self.plda_basis_ - self.plda_mean_

    def enrol(self, Z, idx, n_models):
        """``(stats, counts)``: normalised mean embeddings (cosine) or embedding sums (PLDA) per model."""
        counts = np.bincount(idx, minlength=n_models).astype(float)
        sums = np.zeros((n_models, Z.shape[1]))
        np.add.at(sums, idx, Z)
        if self.scoring == "cosine":
            return l2_normalize(sums), counts
        return sums, counts

    def score(self, Z, models):
        stats, counts = models
        if self.scoring == "cosine":
            return Z @ stats.T
        # Two-covariance PLDA log-likelihood ratio in the basis where W = I, B = diag(psi):
        # speaker posterior after n enrolment vectors: mean m = psi * sum / (1 + n psi), var v = psi / (1 + n psi);
        # same speaker: x ~ N(m, 1 + v); different speaker: x ~ N(0, 1 + psi).
        psi = self.psi_
        denom = 1.0 + counts[:, None] * psi[None, :]
        m = stats * psi / denom
        a = 1.0 + psi / denom  # predictive variance, (n_models, d)
        inv_a = 1.0 / a
        x2 = Z ** 2
        same = -0.5 * (x2 @ inv_a.T - 2.0 * Z @ (m * inv_a).T + ((m ** 2) * inv_a).sum(1)[None, :]
                       + np.log(a).sum(1)[None, :])
        diff = -0.5 * (x2 @ (1.0 / (1.0 + psi)) + np.log1p(psi).sum())
        return same - diff[:, None]
