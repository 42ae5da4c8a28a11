"""Speaker verification and open-set identification on fixed-size embeddings.

:class:`SpeakerVerifier` enrols speakers from embeddings (one row per
recording), scores trials with cosine similarity or PLDA, normalises scores
against a cohort (S-norm / adaptive S-norm) and calibrates them to
log-likelihood ratios, so that one threshold serves every speaker.
:class:`ScoreFusion` combines the trial scores of several fitted systems.
"""

from __future__ import annotations

import contextlib
import contextvars
import numbers
import warnings

import numpy as np
from scipy import sparse
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state, get_tags, metadata_routing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from .._persistence import VersionedPickleMixin
from .._ragged import num_samples, take_params, take_rows
from .._routing import final_step_method, fit_router, route_fit_params
from .._sklearn_compat import BaseComposition, Interval, StrOptions
from .._validation import check_speaker_label_types, forget_input_features, label_positions
from ._docs import fill_doc
from ._plda import EmbeddingBackend

__all__ = ["SpeakerVerifier", "ScoreFusion", "speaker_folds"]

_BLOCK_CELLS = 2_000_000  # (rows x models x top-k) cells per block of the top-k cohort statistics (~16 MB)


# ----------------------------------------------------------------------------------------------- helpers
def speaker_folds(y_idx, n_folds, random_state=None, groups=None):
    """Fold number per recording: each speaker's recordings are dealt round-robin (in random order) to folds.

    Speakers with at least ``n_folds`` recordings appear in every fold; the
    fold offset is random per speaker so that speakers with fewer recordings
    do not all land in the first folds. With ``groups``, whole groups are
    dealt instead of recordings, so recordings of one group (e.g. a recording
    and its degraded copies) always share a fold.
    """
    rng = check_random_state(random_state)
    folds = np.empty(len(y_idx), dtype=int)
    _, units = np.unique(np.arange(len(y_idx)) if groups is None else groups, return_inverse=True)
    units = units.ravel()
    for k in np.unique(y_idx):
        members = np.flatnonzero(y_idx == k)
        own = np.unique(units[members])
        own = own[rng.permutation(len(own))]
        fold_of = dict(zip(own, (np.arange(len(own)) + rng.randint(n_folds)) % n_folds))
        folds[members] = [fold_of[u] for u in units[members]]
    return folds


def _cohort_stats(S, cohort_owner, n_models, top_k, rows_owner=None):
    """Mean and std of each row's cohort scores, leaving out the cohort entries of the claimed speaker.

    ``S`` is ``(n_rows, n_cohort)``; ``cohort_owner[j]`` is the enrolled model
    index that cohort entry ``j`` belongs to (``-1`` for none). Returns
    ``(mean, std)`` of shape ``(n_rows, n_models)`` (for every claimed model),
    or of shape ``(n_rows,)`` when ``rows_owner`` gives the single claimed
    model of each row. With ``top_k`` only the ``top_k`` highest remaining
    scores count (adaptive S-norm).
    """
    n_rows, n_cohort = S.shape
    claimed = np.arange(n_models) if rows_owner is None else None
    owned = cohort_owner >= 0
    if top_k is None or top_k >= n_cohort:
        onehot = np.zeros((n_cohort, n_models))
        onehot[np.flatnonzero(owned), cohort_owner[owned]] = 1.0
        cnt = n_cohort - onehot.sum(0)  # entries left per claimed model
        s1 = S.sum(1, keepdims=True) - S @ onehot
        s2 = (S ** 2).sum(1, keepdims=True) - (S ** 2) @ onehot
        if rows_owner is not None:
            r = np.arange(n_rows)
            s1, s2, cnt = s1[r, rows_owner], s2[r, rows_owner], cnt[rows_owner]
        mean = s1 / cnt
        var = np.maximum(s2 / cnt - mean ** 2, 0.0)
        return mean, np.sqrt(var)
    extra = int(np.bincount(cohort_owner[owned], minlength=1).max()) if owned.any() else 0
    kk = min(n_cohort, top_k + extra)
    means, stds = [], []
    step = max(1, _BLOCK_CELLS // (kk * (n_models if rows_owner is None else 1)))
    for start in range(0, n_rows, step):
        block = S[start:start + step]
        top = np.argpartition(-block, kk - 1, axis=1)[:, :kk] if kk < n_cohort else np.tile(np.arange(n_cohort),
                                                                                             (len(block), 1))
        vals = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-vals, axis=1)
        vals = np.take_along_axis(vals, order, axis=1)
        owners = cohort_owner[np.take_along_axis(top, order, axis=1)]
        if rows_owner is None:
            keep = owners[:, None, :] != claimed[None, :, None]  # (rows, models, kk)
        else:
            keep = owners != rows_owner[start:start + step, None]
        keep &= np.cumsum(keep, axis=-1) <= top_k
        v = vals[:, None, :] if rows_owner is None else vals
        cnt = keep.sum(-1)
        mean = (v * keep).sum(-1) / cnt
        var = np.maximum((v ** 2 * keep).sum(-1) / cnt - mean ** 2, 0.0)
        means.append(mean)
        stds.append(np.sqrt(var))
    return np.concatenate(means), np.concatenate(stds)


class _TrialScorer:
    """Enrolled models + cohort statistics: the scoring pipeline of one fitted back end (picklable)."""

    def __init__(self, backend, Z_enrol, enrol_idx, n_models, Z_cohort, cohort_owner, normalization, top_k):
        self.backend = backend
        self.models = backend.enrol(Z_enrol, enrol_idx, n_models)
        self.normalization = normalization
        if normalization is None:
            return
        k = top_k if normalization == "asnorm" else None
        self.top_k = k
        self.cohort_owner = cohort_owner
        self.cohort_models = backend.enrol(Z_cohort, np.arange(len(Z_cohort)), len(Z_cohort))
        S_e = backend.score(Z_cohort, self.models).T  # each model against every cohort recording
        self.enrol_mean, self.enrol_std = _cohort_stats(S_e, cohort_owner, n_models, k,
                                                        rows_owner=np.arange(n_models))
        self.std_floor = _std_floor(self.enrol_std)

    def raw(self, Z):
        return self.backend.score(Z, self.models)

    def __call__(self, Z):
        S = self.raw(Z)
        if self.normalization is None:
            return S
        C = self.backend.score(Z, self.cohort_models)
        t_mean, t_std = _cohort_stats(C, self.cohort_owner, S.shape[1], self.top_k)
        floor = getattr(self, "std_floor", 1e-12)  # models pickled by 0.2.2 and earlier
        return _symmetric_norm(S, (self.enrol_mean, self.enrol_std), (t_mean, t_std), floor)


def _symmetric_norm(S, enrol_stats, test_stats, floor):
    """S-norm / AS-norm: the mean of the scores normalised by the enrolment side's and by the test side's cohort
    (mean, std), each spread floored at ``floor``."""
    (e_mean, e_std), (t_mean, t_std) = enrol_stats, test_stats
    return 0.5 * ((S - e_mean) / np.maximum(e_std, floor) + (S - t_mean) / np.maximum(t_std, floor))


def _std_floor(stds):
    """The smallest cohort standard deviation a score is divided by: a tenth of the enrolment side's median.

    A cohort whose scores tie (probabilities clipped at a floor, a one-dimensional projection) has a spread of 0;
    divided by a tiny floor, the normalised scores reached 1e12 and the calibration weights 1e-14.
    """
    positive = np.asarray(stds, dtype=float)
    positive = positive[np.isfinite(positive) & (positive > 0)]
    return max(1e-12, 0.1 * float(np.median(positive))) if positive.size else 1.0


def _check_not_frames(X, estimator):
    """A clear error for a recording set of frames (or of audio) where one embedding per row is expected."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        return
    if (isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.ndim == 1)) and len(X) \
            and any(isinstance(r, np.ndarray) and r.ndim == 2 for r in X):
        raise ValueError(f"{type(estimator).__name__} takes one embedding per recording (a 2-D array), but got a "
                         "recording set of frame features; pool them first (e.g. StatsPooling() or "
                         "SpeakerEmbedding() before it in the pipeline).")


def _trial_arrays(scores, true_idx):
    """Target and non-target trial scores of a ``(n, n_models)`` matrix (``true_idx`` -1: not enrolled)."""
    n, m = scores.shape
    target = np.zeros((n, m), dtype=bool)
    known = true_idx >= 0
    target[np.flatnonzero(known), true_idx[known]] = True
    return scores[target], scores[~target]


def _is_frame(X):
    """A pandas or polars DataFrame (validated, then passed to the systems as it is)."""
    return hasattr(X, "columns")


def _check_speaker_targets(y):
    """``check_classification_targets`` without its "more classes than half the samples" warning.

    Enrolling many speakers from one or two recordings each is the normal case here, not a sign of a
    regression target.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
        check_classification_targets(y)


def _fit_llr_calibration(target, nontarget):
    """``(slope, offset)`` of a prior-balanced logistic regression: ``llr = slope * score + offset``."""
    if len(target) == 0 or len(nontarget) == 0:
        raise ValueError("Score calibration needs target and non-target trials: at least one speaker with two or "
                         "more recordings and two speakers in the development data; pass calibration=None.")
    s = np.concatenate([target, nontarget])[:, None]
    t = np.concatenate([np.ones(len(target)), np.zeros(len(nontarget))])
    # C=1 (as ScoreFusion): with few, well separated development trials C=1e4 let the slope run away (23 on ten
    # readers: strangers were given odds of 1e26 to 1 of being an enrolled speaker)
    lr = LogisticRegression(C=1.0, class_weight="balanced").fit(s, t)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


@fill_doc
class _OpenSetMixin:
    """``predict`` with an optional rejection threshold, ``predict_proba`` as a softmax of LLR scores."""

    def _check_unknown_label(self):
        """With a threshold, ``unknown_label`` must not name an enrolled speaker (a rejection would read as him)."""
        if self.threshold is not None and self.unknown_label in self.classes_.tolist():
            raise ValueError(f"unknown_label={self.unknown_label!r} is one of the enrolled speakers (classes_), so a "
                             "rejected recording could not be told from that speaker's: pass an unknown_label that "
                             "is no speaker's label.")

    def _reject(self, scores):
        best = np.argmax(scores, axis=1)
        labels = self.classes_[best]
        if self.threshold is None:
            return labels
        self._check_unknown_label()  # threshold and unknown_label can be set after fit
        rejected = scores[np.arange(len(scores)), best] < self.threshold
        if not rejected.any():
            return labels
        unknown = self.unknown_label
        same_kind = (isinstance(unknown, numbers.Number) and labels.dtype.kind in "iuf") or \
                    (isinstance(unknown, str) and labels.dtype.kind == "U")
        dtype = np.result_type(labels.dtype, np.asarray(unknown).dtype) if same_kind else object
        if labels.dtype.kind in "iu" and np.dtype(dtype).kind == "f":  # uint64 ids and -1 would meet in float64,
            dtype = object                                               # which cannot hold every 64-bit id
        out = labels.astype(dtype)
        out[rejected] = unknown
        return out

    def decision_function(self, X):
        """Per-speaker trial scores.

        %(parameters_X_open_set)s

        %(returns_decision_function)s
            Higher means more likely to be that speaker; see :meth:`speaker_scores`.
        """
        s = self.speaker_scores(X)
        return s[:, 1] - s[:, 0] if len(self.classes_) == 2 else s

    def predict(self, X):
        """Best-scoring enrolled speaker, or ``unknown_label`` when its score is below ``threshold``.

        %(parameters_X_open_set)s

        Returns
        -------
        y : ndarray of shape (n_recordings,)
        """
        return self._reject(self.speaker_scores(X))

    def verify(self, X, claimed):
        """Score each recording against the speaker it claims to be (one verification trial per row).

        Parameters
        ----------
        %(X_open_set)s
        claimed : array-like of shape (n_recordings,)
            An enrolled speaker (one of ``classes_``) per recording.

        Returns
        -------
        scores : ndarray of shape (n_recordings,)
            The claimed speaker's column of :meth:`speaker_scores`; accept the
            claim when it is at least ``threshold``.
        """
        check_is_fitted(self)
        claimed = column_or_1d(claimed)
        check_speaker_label_types(claimed, self.classes_, what="enrolled speakers (classes_)")
        pos = label_positions(claimed, self.classes_)
        bad = pos < 0
        if bad.any():
            raise ValueError(f"verify: claimed speaker(s) {sorted(set(map(str, np.asarray(claimed)[bad])))[:5]} "
                             f"are not enrolled; enrolled speakers are classes_ ({len(self.classes_)} of them).")
        scores = self.speaker_scores(X)
        if len(claimed) != len(scores):
            raise ValueError(f"verify: X has {len(scores)} recordings but claimed has {len(claimed)} labels.")
        return scores[np.arange(len(scores)), pos]

    def _has_probabilities(self):
        return self._calibrated

    @available_if(_has_probabilities)
    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        %(parameters_X_open_set)s

        %(returns_log_proba)s
        """
        return log_softmax(self.speaker_scores(X), axis=1)

    @available_if(_has_probabilities)
    def predict_proba(self, X):
        """Closed-set posterior over the enrolled speakers with a flat prior: softmax of the calibrated LLRs.

        Only available when scores are calibrated log-likelihood ratios.

        %(parameters_X_open_set)s

        %(returns_proba)s
        """
        return np.exp(self.predict_log_proba(X))


def _check_background(background, n_features, estimator):
    if background is None:
        return None, None
    if not isinstance(background, (tuple, list)) or len(background) != 2:
        raise ValueError(f"{type(estimator).__name__}: background must be a pair (X_background, y_background) of "
                         f"embeddings and their speaker labels; got {type(background).__name__}.")
    Xb = check_array(background[0], dtype=[np.float64, np.float32], input_name="X_background")
    yb = column_or_1d(background[1])
    if Xb.shape[1] != n_features:
        raise ValueError(f"background embeddings have {Xb.shape[1]} features but X has {n_features}.")
    if len(yb) != len(Xb):
        raise ValueError(f"background: {len(Xb)} embeddings but {len(yb)} labels.")
    _check_speaker_targets(yb)
    if len(np.unique(yb)) < 2:
        raise ValueError("background must hold at least two speakers.")
    return Xb, yb


# ----------------------------------------------------------------------------------------------- SpeakerVerifier
@fill_doc
class SpeakerVerifier(VersionedPickleMixin, _OpenSetMixin, ClassifierMixin, BaseEstimator):
    """Speaker verification and open-set identification on embeddings, with one threshold for all speakers.

    ``fit`` enrols every speaker in ``y`` from its embeddings (rows of ``X``,
    one per recording: e.g. :class:`~skvoice.features.SpeakerEmbedding`
    vectors). A test recording is scored against every enrolled speaker:

    1. **Back end.** ``scoring="cosine"``: the cosine between the (centred,
       length-normalised, optionally LDA/WCCN-projected) test embedding and
       the speaker's mean embedding. ``scoring="plda"``: the log-likelihood
       ratio of a two-covariance PLDA model (embeddings centred, whitened and
       length-normalised; between- and within-speaker covariances estimated in
       closed form and diagonalised jointly, keeping ``n_components``
       speaker dimensions). The back end is trained on the ``background``
       speakers passed to ``fit``, or on the enrolment data when there are none.
    2. **Score normalisation** against a cohort of recordings of other
       speakers: symmetric S-norm (``"snorm"``), or adaptive S-norm
       (``"asnorm"``) using only the ``top_k`` cohort scores closest to each
       side. Each raw score ``s`` becomes
       ``((s - mu_e) / sd_e + (s - mu_t) / sd_t) / 2``, where ``mu_e, sd_e``
       describe the enrolled speaker's scores against the cohort and
       ``mu_t, sd_t`` the test recording's. The cohort's recordings of the
       claimed speaker itself are always left out.
    3. **Calibration** (``"logistic"``): a prior-balanced logistic regression
       on target and non-target trial scores maps scores to log-likelihood
       ratios. Its trials come from cross-fitting on the development data
       (the background if given, else the enrolment data): speakers are
       enrolled on ``cv - 1`` folds of their recordings, by the whole pipeline
       refitted on those folds, and scored on the held-out fold.

    Scores are then comparable across speakers, so a single ``threshold``
    serves every trial: :meth:`verify` scores claims, and ``predict``
    returns the best speaker, or ``unknown_label`` (open-set identification)
    when even the best score is below ``threshold``.

    Parameters
    ----------
    scoring : {"cosine", "plda"}, default="cosine"
        Back-end scoring.
    normalization : {"asnorm", "snorm"} or None, default="asnorm"
        Cohort score normalisation.
    top_k : int, default=100
        Cohort scores used per side by adaptive S-norm (capped at the cohort
        size; at least 2, since the spread of a single score is zero).
    cohort : {"auto", "enrolled", "background"}, default="auto"
        Cohort recordings: the enrolment recordings of the other enrolled
        speakers, or the background recordings (which must then be given to
        ``fit``). ``"auto"`` uses the background when given.
    calibration : {"logistic"} or None, default="logistic"
        Map scores to log-likelihood ratios (enables ``predict_proba``).
    cv : int or "auto", default="auto"
        Folds of the cross-fitting that produces calibration trials. Each
        fold's back end is trained without the held-out fold. ``"auto"``: 10
        without a background, 3 with one. Without a background the back end
        learns from the enrolment recordings themselves, and with few per
        speaker a fold that holds out a third of them leaves it a third of
        the final model's within-speaker degrees of freedom: a calibration
        learned on its overconfident scores does not fit the final scores
        (with 2 recordings per speaker and 3 folds, Cllr 1.6-1.9 times its
        minimum on PLDA data; 1.1 with 10 folds).
    center : bool, default=True
        Cosine scoring: subtract the development data's mean embedding before
        length normalisation (PLDA always centres).
    projection : {"lda", "wccn"} or None, default=None
        Cosine scoring: project the embeddings with linear discriminant
        analysis or within-class covariance normalisation learned on the
        development speakers.
    n_components : int or None, default=None
        LDA dimensions, or the rank of the PLDA speaker subspace. ``None``:
        ``min(n_features, n_speakers - 1)``.
    reg : float, default=0.1
        Ridge added to within-speaker covariances (LDA, WCCN, PLDA), as a
        fraction of their mean variance.
    pca_components : int or None, default=None
        PLDA: dimensions kept by the PCA whitening before length
        normalisation. ``None``: ``(n_recordings - n_speakers) // 6`` of the
        development data (at most ``n_features``), which keeps the
        within-speaker covariance estimable from few recordings per speaker.
    threshold : float or None, default=None
        Open-set rejection: ``predict`` returns ``unknown_label`` when the
        best speaker's score is below it. On the calibrated scale ``0`` is
        the Bayes threshold for equal priors and costs; ``log(99)`` ~ 4.6
        suits a 1 % target prior.
    %(unknown_label)s
    %(random_state_folds)s

    Attributes
    ----------
    %(classes_speakers)s
    n_features_in_ : int
        Embedding dimension.
    calibration_ : tuple of (float, float) or None
        ``(slope, offset)`` of the LLR calibration.
    normalization_ : str or None
        The score normalisation used: ``normalization``, or None when the
        cohort was too small for it (with a warning).
    n_cohort_ : int
        Cohort recordings used for normalisation (0 without normalisation).
    n_calibration_trials_ : tuple of (int, int)
        Target and non-target trials the calibration was fitted on.

    See Also
    --------
    ScoreFusion : fuse the scores of several verification systems.
    GMMSpeakerClassifier : GMM-UBM speaker models on frame features.

    Notes
    -----
    The default cohort is the other *enrolled* speakers. In a closed set this
    makes a test recording's cohort contain its own speaker, which pushes its
    non-target scores down; speakers that were never enrolled do not get
    that push. On GE2E embeddings of 2-s LibriSpeech chunks (75 enrolled
    speakers, ``benchmarks/bench_speaker.py``) AS-norm lowered the minDCF
    against enrolled impostors but not the EER against speakers never
    enrolled. Pass a ``background`` set of other speakers (``cohort="auto"``
    then uses it) to estimate open-set behaviour faithfully.

    For open-set *identification* the best of ``n_speakers`` scores is
    compared with ``threshold``, so impostors get ``n_speakers`` chances:
    thresholds above the single-trial Bayes threshold (``0``) are needed to
    reject most unknown speakers.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.classifiers import SpeakerVerifier
    >>> rng = np.random.RandomState(0)
    >>> centres = rng.normal(size=(20, 16))  # 20 speakers, 6 recordings each
    >>> y = np.repeat(np.arange(20), 6)
    >>> X = centres[y] + 0.5 * rng.normal(size=(120, 16))
    >>> ver = SpeakerVerifier(threshold=np.log(99), random_state=0).fit(X[::2], y[::2])
    >>> pred = ver.predict(X[1::2])  # held-out recordings of enrolled speakers
    >>> float((pred == y[1::2]).mean()), float((pred == -1).mean())  # odds of 99 to 1: the doubtful are rejected
    (0.883..., 0.116...)
    >>> bool((ver.verify(X[1::2], y[1::2]) > 0).all())  # genuine claims: positive log-likelihood ratios
    True
    >>> strangers = rng.normal(size=(20, 16))  # 20 speakers who never enrolled
    >>> float((ver.predict(strangers) == -1).mean())  # rejected as unknown
    1.0
    """

    _parameter_constraints = {
        "scoring": [StrOptions({"cosine", "plda"})],
        "normalization": [StrOptions({"asnorm", "snorm"}), None],
        "top_k": [Interval(numbers.Integral, 2, None, closed="left")],
        "cohort": [StrOptions({"auto", "enrolled", "background"})],
        "calibration": [StrOptions({"logistic"}), None],
        "cv": [Interval(numbers.Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "center": ["boolean"],
        "projection": [StrOptions({"lda", "wccn"}), None],
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "pca_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "threshold": [numbers.Real, None],
        "unknown_label": [numbers.Real, str],
        "random_state": ["random_state"],
    }

    def __init__(self, scoring="cosine", *, normalization="asnorm", top_k=100, cohort="auto",
                 calibration="logistic", cv="auto", center=True, projection=None, n_components=None, reg=0.1,
                 pca_components=None, threshold=None, unknown_label=-1, random_state=None):
        self.scoring = scoring
        self.normalization = normalization
        self.top_k = top_k
        self.cohort = cohort
        self.calibration = calibration
        self.cv = cv
        self.center = center
        self.projection = projection
        self.n_components = n_components
        self.reg = reg
        self.pca_components = pca_components
        self.threshold = threshold
        self.unknown_label = unknown_label
        self.random_state = random_state

    @property
    def _calibrated(self):
        if not hasattr(self, "calibration_"):
            return self.calibration is not None
        return self.calibration_ is not None

    def _scorer(self, dev_X, dev_idx, n_dev, Z_fn_X, enrol_idx, n_models, cohort_X, cohort_owner):
        """Fit a back end on the development data and build the scoring pipeline."""
        backend = EmbeddingBackend(self.scoring, self.center, self.projection, self.n_components, self.reg,
                                   self._pca_dims).fit(dev_X, dev_idx, n_dev)
        Z_cohort = backend.prepare(cohort_X) if self.normalization_ is not None else None
        return _TrialScorer(backend, backend.prepare(Z_fn_X), enrol_idx, n_models, Z_cohort, cohort_owner,
                            self.normalization_, self.top_k)

    def fit(self, X, y, background=None):
        """Enrol the speakers of ``y`` (and learn the back end, cohort and calibration).

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_features)
            Enrolment embeddings, one row per recording.
        y : array-like of shape (n_recordings,)
            Speaker of each recording.
        background : tuple (X_background, y_background), optional
            Embeddings and speaker labels of development speakers (ideally
            not the enrolled ones). When given, the back end (centring,
            projection, PLDA) and the calibration are learned on them, and
            they are the default cohort.

        Returns
        -------
        self : SpeakerVerifier
        """
        self._validate_params()
        _check_not_frames(X, self)
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        _check_speaker_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        self._check_unknown_label()
        n_models = len(self.classes_)
        Xb, yb = _check_background(background, X.shape[1], self)
        cohort = self.cohort
        if cohort == "auto":
            cohort = "enrolled" if Xb is None else "background"
        if cohort == "background" and Xb is None:
            raise ValueError("cohort='background' needs background=(X_background, y_background) in fit.")
        if n_models < 2 and (Xb is None or (self.normalization is not None and cohort == "enrolled")):
            raise ValueError(f"{type(self).__name__} needs at least two speakers (got 1 class) unless a background "
                             "set of other speakers is passed to fit (with cohort='background' for normalisation).")
        if Xb is None:
            dev_X, dev_labels = X, y
        else:
            dev_X, dev_labels = Xb, yb
        dev_classes, dev_idx = np.unique(dev_labels, return_inverse=True)
        # resolved once from all the development data, so the cross-fitted back ends have the same dimensions
        self._pca_dims = self.pca_components
        if self._pca_dims is None:
            self._pca_dims = max(2, (len(dev_X) - len(dev_classes)) // 6)
        if cohort == "enrolled":
            cohort_X, cohort_owner = X, y_idx
        else:
            cohort_X = Xb
            # the enrolled speaker a background recording belongs to, if any (background speakers may be
            # labelled in another type than the enrolled ones)
            cohort_owner = label_positions(yb, self.classes_)
        self.normalization_ = self.normalization
        if self.normalization is not None:
            left = len(cohort_X) - np.bincount(cohort_owner[cohort_owner >= 0], minlength=n_models)
            if left.min() < 2:  # too few speakers to normalise against: raw scores, said once
                warnings.warn(f"{type(self).__name__}: score normalisation needs at least two cohort recordings "
                              f"of other speakers for every enrolled speaker; the smallest cohort has "
                              f"{int(left.min())}, so scores are not normalised (normalization_=None). Enrol more "
                              "speakers or pass a background set.", UserWarning, stacklevel=2)
                self.normalization_ = None
        self.scorer_ = self._scorer(dev_X, dev_idx, len(dev_classes), X, y_idx, n_models, cohort_X, cohort_owner)
        self.n_cohort_ = 0 if self.normalization_ is None else len(cohort_X)
        self.calibration_ = None
        self.n_calibration_trials_ = (0, 0)
        if self.calibration is not None:
            n_folds = (3 if Xb is not None else 10) if self.cv == "auto" else self.cv
            target, nontarget = self._cross_fitted_trials(dev_X, dev_idx, len(dev_classes), n_folds)
            self.calibration_ = _fit_llr_calibration(target, nontarget)
            self.n_calibration_trials_ = (len(target), len(nontarget))
        return self

    def _cross_fitted_trials(self, dev_X, dev_idx, n_dev, n_folds):
        folds = speaker_folds(dev_idx, n_folds, self.random_state)
        targets, nontargets, small_cohort = [], [], False
        for f in range(n_folds):
            train, test = folds != f, folds == f
            if not test.any():
                continue
            present, tr_idx = np.unique(dev_idx[train], return_inverse=True)
            if len(present) < 2:
                continue
            n_tr = len(present)
            if self.normalization_ is not None:
                left = train.sum() - np.bincount(tr_idx, minlength=n_tr)
                if left.min() < 2:
                    small_cohort = True
                    continue
            scorer = self._scorer(dev_X[train], tr_idx, n_tr, dev_X[train], tr_idx, n_tr, dev_X[train], tr_idx)
            scores = scorer(scorer.backend.prepare(dev_X[test]))
            pos = np.clip(np.searchsorted(present, dev_idx[test]), 0, n_tr - 1)
            true = np.where(present[pos] == dev_idx[test], pos, -1)
            t, n = _trial_arrays(scores, true)
            targets.append(t)
            nontargets.append(n)
        if not targets and small_cohort:
            raise ValueError(f"Score calibration found no cross-fitting fold whose cohort is large enough for "
                             f"normalization={self.normalization!r} (every speaker needs two recordings of other "
                             "speakers in the fold's training part): pass normalization=None or calibration=None, "
                             "or use more recordings.")
        if not targets:
            return np.empty(0), np.empty(0)
        return np.concatenate(targets), np.concatenate(nontargets)

    def speaker_scores(self, X):
        """Score every recording against every enrolled speaker.

        Parameters
        ----------
        %(X_test_embeddings)s

        Returns
        -------
        scores : ndarray of shape (n_recordings, n_speakers)
            Columns in ``classes_`` order: log-likelihood ratios when
            calibrated, else normalised (or raw) back-end scores.
        """
        check_is_fitted(self, "scorer_")
        _check_not_frames(X, self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        scores = self.scorer_(self.scorer_.backend.prepare(X))
        if self.calibration_ is not None:
            slope, offset = self.calibration_
            scores = slope * scores + offset
        return scores

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


# ----------------------------------------------------------------------------------------------- ScoreFusion
_MIN_PROBA = 1e-6


def _class_scores(estimator, X):
    """``(n, n_classes)`` scores of a fitted classifier: speaker_scores (also of a Pipeline's last step),
    decision_function, or log-probabilities (a probability of 0 read as ``_MIN_PROBA``)."""
    speaker_scores = final_step_method(estimator, "speaker_scores")
    if speaker_scores is not None:  # every recording against every speaker, also with two speakers
        return np.asarray(speaker_scores(X), dtype=float)
    if hasattr(estimator, "decision_function"):
        d = np.asarray(estimator.decision_function(X), dtype=float)
        if d.ndim == 2:
            return d
        if not _has_proba(estimator):  # two classes and nothing else: the difference, split evenly
            return np.column_stack([-d / 2, d / 2])
    # a probability of 0 (trees, k-NN) is read as _MIN_PROBA: a -inf score has no place in the fusion's weighted
    # sum, nor in the standard deviation that scales it
    if hasattr(estimator, "predict_log_proba"):
        return np.maximum(np.asarray(estimator.predict_log_proba(X), dtype=float), np.log(_MIN_PROBA))
    return np.log(np.maximum(np.asarray(estimator.predict_proba(X), dtype=float), _MIN_PROBA))


def _has_proba(estimator):
    return hasattr(estimator, "predict_log_proba") or hasattr(estimator, "predict_proba")


def _system_key(system, fit_params, data_key, y, folds, options):
    """What makes a fused system's results: the system, its fit parameters, the input, the speakers, the folds
    and the fusion's normalisation. None when something cannot be hashed (the system is then not shared)."""
    import joblib

    try:
        return ("system", data_key, joblib.hash((system, fit_params, y, folds, options)))
    except Exception:  # noqa: BLE001 - unhashable parameters (e.g. lambdas): fit it again
        return None


def _stateless_steps(estimator, fit_params):
    """How many leading steps of a Pipeline learn nothing (transformers with the ``requires_fit`` tag off).

    Those steps give the same output whatever they were fitted on, so systems whose leading steps are equal can
    share one computation of them. Pipelines that receive fit parameters for those steps are not split.
    """
    if not isinstance(estimator, Pipeline):
        return 0
    k = 0
    for name, step in estimator.steps[:-1]:
        if step is None or isinstance(step, str) or not hasattr(step, "transform"):
            break
        try:
            if get_tags(step).requires_fit:
                break
        except Exception:  # noqa: BLE001 - an estimator without usable tags is not shared
            break
        if any(key.startswith(f"{name}__") for key in fit_params):
            break
        k += 1
    return k


_SHARED_FITS = contextvars.ContextVar("skvoice_shared_fusion_fits", default=None)


@contextlib.contextmanager
def shared_fusion_fits(X):
    """Within the block, fusions fitted on ``X`` itself share work: equal stateless front ends run once, and an
    equal system (same parameters, speakers, folds and fit parameters) is cross-fitted and fitted once.
    :class:`BandwidthRouter` fits its two fusions on its input in one such block (the robust speaker recipe puts
    the same GMM system in both). Any other input (a search's or a wrapper's per-split copy) is fitted as
    without the block, so results are the same as without it; the cache lives for the block only."""
    token = _SHARED_FITS.set({"input": X})  # held for the block: its identity cannot pass to another object
    try:
        yield
    finally:
        _SHARED_FITS.reset(token)


def _data_key(X):
    """The key of ``X`` in the shared-fit caches: only for the input of the :func:`shared_fusion_fits` block
    (the same object, held by the block), else None. Keying any object by ``id`` would be wrong: a temporary
    copy freed inside the block can leave its id to the next copy of another subset of recordings."""
    shared = _SHARED_FITS.get()
    return None if shared is None or shared["input"] is not X else "input"


class _SharedFeatures:
    """Outputs of the stateless leading steps of the fused systems, each distinct step prefix computed once.

    Systems share every leading run of equal steps: two pipelines ``[vad, mfcc_a, ...]`` and
    ``[vad, mfcc_b, ...]`` run ``vad`` once, and ``[denoise, embedding, cosine]`` and
    ``[denoise, embedding, plda]`` run both steps once. Inside :func:`shared_fusion_fits` the outputs are
    shared with the other fusions fitted on the same input.
    """

    def __init__(self, estimators, shared_steps, data_key=None):
        import joblib

        self.keys = []  # per system: one key per leading step (that step and all before it)
        for j, (est, k) in enumerate(zip(estimators, shared_steps)):
            keys = []
            for i in range(1, k + 1):
                try:
                    keys.append(joblib.hash([step for _, step in est.steps[:i]]))
                except Exception:  # noqa: BLE001 - steps that cannot be hashed (e.g. lambdas) are not shared
                    keys.append(("system", j, i))
            self.keys.append(keys)
        self.estimators, self.shared_steps, self._cache = estimators, shared_steps, {}
        shared = _SHARED_FITS.get()
        if shared is not None and data_key is not None:  # one cache per input, for every fusion in the block
            self._cache = shared.setdefault(("features", data_key), {})

    def system_input(self, j, X):
        """``(input, estimator)`` for system ``j``: the shared features and the rest of its pipeline."""
        k = self.shared_steps[j]
        if not k:
            return X, self.estimators[j]
        steps, keys = self.estimators[j].steps, self.keys[j]
        done = max((i + 1 for i in range(k) if keys[i] in self._cache), default=0)
        Xt = self._cache[keys[done - 1]] if done else X
        for i in range(done, k):
            Xt = self._cache[keys[i]] = steps[i][1].transform(Xt)
        return Xt, Pipeline(steps[k:])  # the rest of the pipeline: its own (fitted) steps, not copies


@fill_doc
class ScoreFusion(VersionedPickleMixin, _OpenSetMixin, ClassifierMixin, BaseComposition):
    """Score-level fusion of speaker recognition systems: a weighted sum learned on cross-fitted trials.

    Every system is a classifier over the same speakers that scores a
    recording against every class: ``speaker_scores`` (also of a
    ``Pipeline``'s last step), ``decision_function``, or
    ``predict_log_proba`` (else the log of ``predict_proba``; a probability
    of 0 counts as 1e-6). To learn the fusion weights, each system is refitted on
    ``cv - 1`` folds of every speaker's recordings and scores the held-out
    fold; every (recording, enrolled speaker) pair is one trial, target
    when it is the recording's speaker. A prior-balanced logistic
    regression on the systems' trial scores gives the weights and offset, so
    the fused score is a calibrated log-likelihood ratio. The systems are
    finally refitted on all the data.

    With ``normalization``, each system's scores are first normalised with
    the enrolled speakers as cohort (S-norm / adaptive S-norm, as in
    :class:`SpeakerVerifier`): the enrolment side from the system's scores of
    the other speakers' training recordings against each speaker, the test
    side from the test recording's scores against the other speakers. This
    removes per-speaker score offsets of systems that have no normalisation
    of their own (e.g. GMM-UBM log-likelihood ratios).

    The systems see the same ``X``: to fuse systems with different features,
    make each one a :class:`~sklearn.pipeline.Pipeline` from the shared input
    (e.g. audio paths through :class:`~skvoice.features.SpeakerEmbedding` into
    :class:`SpeakerVerifier`, and through
    :class:`~skvoice.features.MFCCExtractor` into
    :class:`GMMSpeakerClassifier`).
    Leading pipeline steps that learn nothing (feature extractors such as
    :class:`~skvoice.features.SpeakerEmbedding`, whose ``requires_fit`` tag
    is off) and are equal in several systems run once per ``fit`` (not once
    per system and fold) and once per prediction call, and their output is
    shared, so fusing two back ends of one embedding costs one embedding pass.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Named systems (unfitted classifiers).
    cv : int, default=3
        Folds of the cross-fitting that produces the fusion trials.
    C : float, default=1.0
        Inverse regularisation strength of the fusion logistic regression.
    normalization : {"asnorm", "snorm"} or None, default=None
        Per-system cohort score normalisation before fusion (enrolled
        speakers as cohort).
    top_k : int, default=25
        Cohort scores used per side by ``"asnorm"`` (at least 2).
    threshold : float or None, default=None
        Open-set rejection on the fused log-likelihood ratio: ``predict``
        returns ``unknown_label`` when the best score is below it.
    %(unknown_label)s
    %(random_state_folds)s

    Attributes
    ----------
    %(classes_speakers)s
    estimators_ : list of estimators
        The systems fitted on all the data.
    named_estimators_ : dict
        The same, by name.
    weights_ : ndarray of shape (n_systems,)
        Fusion weight of each system's scores.
    offset_ : float
        Fusion offset.
    shared_steps_ : list of int
        For each system, how many of its leading pipeline steps were
        computed once and shared (0: none).
    n_features_in_ : int
        Number of features (when the systems take 2-D input).

    See Also
    --------
    SpeakerVerifier : embedding back end with score normalisation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvoice.classifiers import ScoreFusion, SpeakerVerifier
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat(np.arange(4), 10)
    >>> X = rng.normal(size=(4, 8))[y] + 0.5 * rng.normal(size=(40, 8))
    >>> fusion = ScoreFusion([("cosine", SpeakerVerifier(random_state=0)),
    ...                       ("logreg", LogisticRegression())], random_state=0).fit(X[::2], y[::2])
    >>> fusion.weights_.shape, float((fusion.predict(X[1::2]) == y[1::2]).mean())
    ((2,), 1.0)
    """

    # sample_weight is routed to the systems (their requests decide), never consumed here
    __metadata_request__fit = {"sample_weight": metadata_routing.UNUSED}

    _parameter_constraints = {
        "estimators": [list],
        "cv": [Interval(numbers.Integral, 2, None, closed="left")],
        "C": [Interval(numbers.Real, 0, None, closed="neither")],
        "normalization": [StrOptions({"asnorm", "snorm"}), None],
        "top_k": [Interval(numbers.Integral, 2, None, closed="left")],
        "threshold": [numbers.Real, None],
        "unknown_label": [numbers.Real, str],
        "random_state": ["random_state"],
    }

    _calibrated = True

    def __init__(self, estimators, *, cv=3, C=1.0, normalization=None, top_k=25, threshold=None, unknown_label=-1,
                 random_state=None):
        self.estimators = estimators
        self.cv = cv
        self.C = C
        self.normalization = normalization
        self.top_k = top_k
        self.threshold = threshold
        self.unknown_label = unknown_label
        self.random_state = random_state

    def get_params(self, deep=True):
        """Parameters of the fusion and, with ``deep``, of each system as ``<name>__<parameter>``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the systems (by name) and their parameters.

        Returns
        -------
        params : dict
        """
        return self._get_params("estimators", deep=deep)

    def set_params(self, **params):
        """Set the fusion's parameters, or a system's as ``<name>__<parameter>`` (or replace it as ``<name>``).

        Parameters
        ----------
        **params : dict
            Parameter names and values.

        Returns
        -------
        self : ScoreFusion
        """
        self._set_params("estimators", **params)
        return self

    def _check_estimators(self):
        if not self.estimators:
            raise ValueError("ScoreFusion needs a non-empty list of (name, estimator) pairs.")
        names = []
        for item in self.estimators:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                raise ValueError(f"estimators must be (name, estimator) pairs; got {item!r}.")
            est = item[1]
            if not any(hasattr(est, m) for m in ("speaker_scores", "decision_function", "predict_log_proba",
                                                 "predict_proba")):
                raise TypeError(f"Estimator {item[0]!r} has no speaker_scores, decision_function, "
                                "predict_log_proba or predict_proba method: it cannot be fused.")
            if not hasattr(est, "fit"):
                raise TypeError(f"Estimator {item[0]!r} has no fit method.")
            names.append(item[0])
        # unique, no '__', no clash with the fusion's own parameters (a system named 'C' was returned by
        # get_params()['C'] and replaced by set_params(C=...)): scikit-learn's rule for named sub-estimators
        self._validate_names(names)
        return names

    def fit(self, X, y, groups=None, sample_weight=None, **fit_params):
        """Learn the fusion weights on cross-fitted trials, then fit every system on all the data.

        Parameters
        ----------
        X : array-like of shape (n_recordings, ...) or recording set
            Input shared by every system (embeddings, features or audio paths).
        y : array-like of shape (n_recordings,)
            Speaker of each recording.
        groups : array-like of shape (n_recordings,), default=None
            Recordings of one group always fall in the same cross-fitting
            fold, e.g. the clean and degraded copies of one recording (which
            :class:`~skvoice.augment.AugmentedTrainer` passes automatically),
            so no system is trained on a copy of a recording it then scores.
            A group must belong to one speaker.
        sample_weight : array-like of shape (n_recordings,), default=None
            Passed on to every system's ``fit`` like ``fit_params`` (to a
            Pipeline's final step); the trials the fusion weights are learned
            on are not weighted. A system that takes no weights is refused
            (``TypeError``) rather than fitted without them.
            (Named in the signature so that wrappers such as
            ``CalibratedClassifierCV`` see that weights are taken.)
        **fit_params : dict
            Passed to every system's ``fit`` (e.g. ``background=`` for
            :class:`SpeakerVerifier` systems; with metadata routing enabled,
            to the systems that requested them). Array-likes with one entry
            per recording (e.g. ``sample_weight``) are indexed like ``X`` in
            the cross-fitting folds.

        Returns
        -------
        self : ScoreFusion
        """
        self._validate_params()
        names = self._check_estimators()
        if sample_weight is not None:
            fit_params["sample_weight"] = sample_weight
        if y is None:
            raise ValueError("ScoreFusion requires y to be passed, but the target y is None.")
        y = column_or_1d(y, warn=True)
        _check_speaker_targets(y)
        if num_samples(X) != len(y):
            raise ValueError(f"Found input variables with inconsistent numbers of samples: X has {num_samples(X)} "
                             f"recordings, y has {len(y)} labels.")
        data_key = _data_key(X)  # the caller's object (validation below may copy it): shared-fit caches key on it
        X2d = _is_numeric_2d(X)
        forget_input_features(self)  # a refit on audio must not keep a matrix fit's n_features_in_
        if X2d is not None:
            checked = validate_data(self, X, dtype=None)
            X = X if _is_frame(X) else checked  # systems may select a DataFrame's columns by name
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        self._check_unknown_label()
        if len(self.classes_) < 2:
            raise ValueError("ScoreFusion needs at least two speakers (got 1 class).")
        if groups is not None:
            groups = column_or_1d(groups)
            if len(groups) != len(y):
                raise ValueError(f"groups has {len(groups)} entries for {len(y)} recordings.")
            _, g_idx = np.unique(groups, return_inverse=True)
            if len(np.unique(np.column_stack([g_idx, y_idx]), axis=0)) != g_idx.max() + 1:
                raise ValueError("every group must hold recordings of one speaker only.")
        folds = speaker_folds(y_idx, self.cv, self.random_state, groups=groups)
        if groups is not None and len(np.unique(np.column_stack([y_idx, folds]), axis=0)) == len(self.classes_):
            raise ValueError("ScoreFusion needs both target and non-target trials to learn its weights. Every "
                             "speaker's recordings fell in one fold: groups keep copies of one recording together "
                             "(e.g. AugmentedTrainer's degraded copies), they are not the speakers.")
        systems = [clone(est) for _, est in self.estimators]
        routed = route_fit_params(self, fit_params, dict(zip(names, systems)))
        params = [routed[name] for name in names]
        self.shared_steps_ = [_stateless_steps(est, p) for est, p in zip(systems, params)]
        shared = _SharedFeatures(systems, self.shared_steps_, data_key)
        inputs = [shared.system_input(j, X) for j in range(len(systems))]  # each shared prefix runs once
        fold_sets = [(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in range(self.cv)]
        fold_sets = [(train, test) for train, test in fold_sets
                     if len(test) and len(np.unique(y_idx[train])) >= 2]
        if not fold_sets:
            raise ValueError("ScoreFusion could not form fusion trials: every speaker needs recordings in at least "
                             f"two of the cv={self.cv} folds (use fewer folds or more recordings).")
        cache = None if data_key is None else _SHARED_FITS.get()
        results = []  # per system: (its normalised scores per fold, the system fitted on everything, enrol stats)
        for system, (Xj, est), p in zip(systems, inputs, params):
            key = None if cache is None else _system_key(system, p, data_key, y, folds,
                                                         (self.normalization, self.top_k))
            if key is not None and key in cache:
                results.append(cache[key])
                continue
            results.append(self._fit_system(Xj, est, p, y, fold_sets))
            if key is not None:
                cache[key] = results[-1]
        columns = [np.concatenate([s.ravel() for s in fold_scores]) for fold_scores, _, _ in results]
        is_target = np.concatenate([(np.unique(y[train])[None, :] == y[test][:, None]).ravel()
                                    for train, test in fold_sets])
        trials = np.column_stack(columns)
        if is_target.all() or not is_target.any():
            raise ValueError("ScoreFusion needs both target and non-target trials to learn its weights.")
        self.scale_ = trials.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        lr = LogisticRegression(C=self.C, class_weight="balanced").fit(trials / self.scale_, is_target)
        self.weights_ = lr.coef_[0] / self.scale_
        self.offset_ = float(lr.intercept_[0])
        self.n_trials_ = (int(is_target.sum()), int((~is_target).sum()))
        self.estimators_, self.enrol_stats_ = [], []
        for system, (_, fitted, enrol_stats), k in zip(systems, results, self.shared_steps_):
            self.enrol_stats_.append(enrol_stats)
            if k:  # the whole pipeline again: its stateless leading steps (unfitted; they learn nothing) + the rest
                fitted = Pipeline(system.steps[:k] + fitted.steps, memory=system.memory, verbose=system.verbose)
            self.estimators_.append(fitted)
        self.named_estimators_ = dict(zip(names, self.estimators_))
        return self

    def _fit_system(self, Xj, est, p, y, fold_sets):
        """One system's normalised scores on every held-out fold, then the system fitted on everything."""
        fold_scores = []
        for train, test in fold_sets:
            X_train = take_rows(Xj, train)
            fitted = clone(est).fit(X_train, y[train], **take_params(p, len(y), train))
            classes = np.asarray(fitted.classes_)
            if not np.array_equal(classes, np.unique(y[train])):
                raise ValueError("a fused estimator's classes_ differ from the speakers it was fitted on.")
            enrol_stats = self._enrol_stats(fitted, X_train, y[train], classes)
            fold_scores.append(self._normalise(_class_scores(fitted, take_rows(Xj, test)), enrol_stats))
        fitted = clone(est).fit(Xj, y, **p)
        return fold_scores, fitted, self._enrol_stats(fitted, Xj, y, self.classes_)

    def get_metadata_routing(self):
        """Metadata routing: ``fit`` metadata goes to the ``fit`` of each system, by its name.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        return fit_router(self, dict(self.estimators or []))

    def _enrol_stats(self, fitted, X, y, classes):
        """Cohort statistics of each speaker's scores for the other speakers' training recordings."""
        if self.normalization is None:
            return None
        if len(classes) < 3:
            raise ValueError("ScoreFusion normalisation needs at least three speakers in every fold (the cohort of "
                             "a speaker is the others); use normalization=None.")
        S = _class_scores(fitted, X)  # (n_train, n_classes)
        owner = np.searchsorted(classes, y)
        k = self.top_k if self.normalization == "asnorm" else None
        return _cohort_stats(S.T, owner, len(classes), k, rows_owner=np.arange(len(classes)))

    def _normalise(self, S, enrol_stats):
        if enrol_stats is None:
            return S
        k = self.top_k if self.normalization == "asnorm" else None
        test_stats = _cohort_stats(S, np.arange(S.shape[1]), S.shape[1], k)
        return _symmetric_norm(S, enrol_stats, test_stats, _std_floor(enrol_stats[1]))

    def speaker_scores(self, X):
        """Fused log-likelihood ratio of every recording against every speaker.

        Parameters
        ----------
        X : array-like of shape (n_recordings, ...) or recording set
            Input for the systems.

        Returns
        -------
        scores : ndarray of shape (n_recordings, n_speakers)
        """
        check_is_fitted(self, "estimators_")
        if hasattr(self, "n_features_in_") and _is_numeric_2d(X) is not None:
            # a numeric matrix is checked against the fit; recording sets (e.g. waveforms of unequal length,
            # after a fit on equal-length ones) are left to the systems, which validate their own input
            checked = validate_data(self, X, reset=False, dtype=None)
            X = X if _is_frame(X) else checked
        fused = self.offset_
        shared = _SharedFeatures(self.estimators_, getattr(self, "shared_steps_", [0] * len(self.estimators_)))
        for j, (w, stats) in enumerate(zip(self.weights_, self.enrol_stats_)):
            Xj, est = shared.system_input(j, X)
            fused = fused + w * self._normalise(_class_scores(est, Xj), stats)
        return fused

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _is_numeric_2d(X):
    """The array when ``X`` is a plain numeric 2-D array(-like), else ``None`` (recording sets, paths)."""
    if isinstance(X, np.ndarray) and X.dtype == object:
        return None
    if _is_frame(X) or sparse.issparse(X):  # a DataFrame; a Series is one column: recordings
        return X
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError):
        return None
    return arr if arr.ndim == 2 and arr.dtype.kind in "iufb" else None


