"""The study's Keras networks as scikit-learn classifiers (scikeras, Keras 3).

Three model builders reproduce the study's networks (dense gender net, 1-D CNN
gender net, dense speaker net); :class:`SkvoiceKerasClassifier` is a scikeras
``KerasClassifier`` that scikit-learn >= 1.7 recognises as a classifier and
that seeds the Keras backend; :class:`DenseGenderClassifier`,
:class:`CNN1DGenderClassifier` and :class:`DenseSpeakerClassifier` are ready
estimators with plain scikit-learn parameters.

The Keras backend is read from ``KERAS_BACKEND`` when Keras is first imported;
this module defaults it to ``"torch"`` (set the variable before importing
skvoice to use TensorFlow or JAX instead).
"""

# The Keras backend is chosen when keras is first imported, so KERAS_BACKEND is set before the imports below.
# ruff: noqa: E402

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import inspect
import itertools
import numbers
import random
import textwrap
from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import ClassifierTags, check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from .._base import ScorePredictMixin
from .._docs import fill_text
from .._persistence import VersionedPickleMixin
from .._sklearn_compat import Interval, check_sample_weight

try:
    import keras
    from scikeras.wrappers import KerasClassifier
except ImportError as exc:  # pragma: no cover - exercised only without the extra (tests/test_optional_extras.py)
    raise ImportError(f"skvoice's Keras nets need keras, scikeras and torch, which are not usable here ({exc}): "
                      "pip install 'skvoice[keras]'") from exc

__all__ = [
    "build_dense_gender_net",
    "build_cnn1d_gender_net",
    "build_dense_speaker_net",
    "SkvoiceKerasClassifier",
    "DenseGenderClassifier",
    "CNN1DGenderClassifier",
    "DenseSpeakerClassifier",
]

#: Smallest input length the CNN accepts: three k=3 "valid" convolutions remove
#: 6 positions and the size-2 max pooling needs at least 2 left.
CNN_MIN_FEATURES = 8

_MAX_SEED = np.iinfo(np.int32).max


# ---------------------------------------------------------------------------------------------------------------------
# model builders
# ---------------------------------------------------------------------------------------------------------------------


def _meta_sizes(meta, builder):
    """Input width and number of classes from scikeras' ``meta``."""
    if meta is None:
        raise ValueError(f"{builder} needs scikeras' `meta` dict (n_features_in_, n_classes_); "
                         "use it as KerasClassifier(model=...), or pass meta={'n_features_in_': ..., "
                         "'n_classes_': ...}.")
    shape = meta.get("X_shape_")
    if shape is not None and len(shape) != 2:
        raise ValueError(f"{builder} expects 2-D input (n_samples, n_features); got X of shape {tuple(shape)}.")
    n_features, n_classes = meta.get("n_features_in_"), meta.get("n_classes_")
    if n_features is None or n_classes is None:
        raise ValueError(f"{builder} needs meta['n_features_in_'] and meta['n_classes_'] (single-output "
                         f"classification); got n_features_in_={n_features}, n_classes_={n_classes}.")
    return int(n_features), int(n_classes)


def _build(meta, name, hidden_layers, optimizer):
    """Assemble and compile one network: ``Input(n_features) -> hidden layers -> output``.

    ``hidden_layers(n_features, n_classes)`` returns the layers after the input, output layer included.
    """
    n_features, n_classes = _meta_sizes(meta, f"build_{name}")
    model = keras.Sequential([keras.Input(shape=(n_features,)), *hidden_layers(n_features, n_classes)], name=name)
    # integer-encoded targets (scikeras' default ordinal encoding) -> sparse categorical cross-entropy, which is
    # the study's categorical cross-entropy on one-hot targets without materialising the one-hot matrix
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _builder_doc(title, architecture, *, optimizer, learning_rate, estimator, rate_note="", extra_params="",
                 raises="", n_features=13, n_classes=2):
    """Decorator writing the numpydoc docstring of a model builder (the three share all but these parts)."""
    def indent(text):
        return textwrap.indent(textwrap.dedent(text).strip("\n"), "    ") + "\n" if text else ""

    raises_section = "\n" + indent(raises) if raises else ""

    def decorate(builder):
        name = builder.__name__
        builder.__doc__ = f"""Build and compile the study's {title}.

{indent(architecture)}
    Parameters
    ----------
    meta : dict
        The scikeras metadata; ``meta["n_features_in_"]`` and
        ``meta["n_classes_"]`` size the input and output layers.
    learning_rate : float, default={learning_rate}
        {optimizer} learning rate{rate_note}. With scikeras, set it
        through ``model__learning_rate``.
{indent(extra_params)}
    Returns
    -------
    model : keras.Model
        Compiled model.
{raises_section}
    See Also
    --------
    {estimator} : Ready estimator around this network.

    Examples
    --------
    >>> from skvoice.classifiers import {name}
    >>> model = {name}({{"n_features_in_": {n_features}, "n_classes_": {n_classes}}})
    >>> model.output_shape
    (None, {n_classes})
    """
        return builder
    return decorate


@_builder_doc("dense gender network", """
    ``Dense(n_features, relu) -> BN -> Dense(128, relu) -> BN ->
    Dense(64, relu) -> BN -> Dense(n_classes, softmax)``, trained with RMSprop
    on sparse categorical cross-entropy (the study's "Neural Network").
    """, optimizer="RMSprop", learning_rate=0.001, rate_note=" (Keras' default, as in the study)",
    estimator="DenseGenderClassifier")
def build_dense_gender_net(meta=None, learning_rate=0.001):
    def hidden_layers(n_features, n_classes):
        blocks = [(keras.layers.Dense(units, activation="relu"), keras.layers.BatchNormalization())
                  for units in (n_features, 128, 64)]
        return [*itertools.chain.from_iterable(blocks), keras.layers.Dense(n_classes, activation="softmax")]

    return _build(meta, "dense_gender_net", hidden_layers, keras.optimizers.RMSprop(learning_rate=learning_rate))


@_builder_doc("1-D CNN gender network", """
    The feature vector is read as a 1-D signal of length ``n_features`` with
    one channel: ``Conv1D(32, 3) -> Conv1D(48, 3) -> Conv1D(120, 3) ->
    MaxPooling1D(2) -> Flatten -> Dense(128) -> Dense(64) ->
    Dense(n_classes, softmax)`` (ReLU everywhere), trained with Adam
    (after Alkhawaldeh's DGR, as in the study).
    """, optimizer="Adam", learning_rate=0.001, rate_note=" (Keras' default, as in the study)",
    estimator="CNN1DGenderClassifier", raises="""
    Raises
    ------
    ValueError
        If ``n_features_in_ < 8``: three "valid" size-3 convolutions and a
        size-2 pooling need at least 8 input features.
    """)
def build_cnn1d_gender_net(meta=None, learning_rate=0.001):
    def hidden_layers(n_features, n_classes):
        _check_cnn_features(n_features)
        layers = keras.layers
        return [layers.Reshape((n_features, 1)),
                *(layers.Conv1D(filters, kernel_size=3, activation="relu") for filters in (32, 48, 120)),
                layers.MaxPooling1D(pool_size=2),
                layers.Flatten(),
                *(layers.Dense(units, activation="relu") for units in (128, 64)),
                layers.Dense(n_classes, activation="softmax")]

    return _build(meta, "cnn1d_gender_net", hidden_layers, keras.optimizers.Adam(learning_rate=learning_rate))


def _check_cnn_features(n_features):
    if n_features < CNN_MIN_FEATURES:
        raise ValueError(
            f"The 1-D CNN needs at least {CNN_MIN_FEATURES} input features (three size-3 'valid' convolutions "
            f"and a size-2 max pooling), got {n_features} feature(s). Use more coefficients (e.g. "
            "MFCCExtractor(n_mfcc=13) or deltas=True) or the dense network.")


@_builder_doc("dense speaker-identification network", """
    ``Dense(64) -> BN -> tanh -> Dense(250) -> BN -> Dropout(0.5) ->
    Dense(n_classes) -> softmax`` with Glorot-normal initialisation, trained
    with SGD (learning rate 0.1, Nesterov momentum 0.9) as in the study.
    """, optimizer="SGD", learning_rate=0.1, estimator="DenseSpeakerClassifier", extra_params="""
    momentum : float, default=0.9
        Nesterov momentum.
    dropout : float, default=0.5
        Dropout rate before the output layer.
    """, n_features=26, n_classes=10)
def build_dense_speaker_net(meta=None, learning_rate=0.1, momentum=0.9, dropout=0.5):
    def hidden_layers(n_features, n_classes):
        layers = keras.layers
        return [layers.Dense(64, kernel_initializer="glorot_normal"),
                layers.BatchNormalization(),
                layers.Activation("tanh"),
                layers.Dense(250, kernel_initializer="glorot_normal"),
                layers.BatchNormalization(),
                layers.Dropout(dropout),
                layers.Dense(n_classes, kernel_initializer="glorot_normal"),
                layers.Activation("softmax")]

    optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum, nesterov=True)
    return _build(meta, "dense_speaker_net", hidden_layers, optimizer)


# ---------------------------------------------------------------------------------------------------------------------
# scikeras wrapper that scikit-learn >= 1.7 sees as a classifier
# ---------------------------------------------------------------------------------------------------------------------


@contextmanager
def _seeded(seed):
    """Seed Python, NumPy and the Keras backend; restore the global RNG states afterwards."""
    if seed is None:
        yield
        return
    py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002 (restoring the legacy global RNG)
    torch_state = None
    if keras.backend.backend() == "torch":
        import torch

        torch_state = torch.get_rng_state()
    try:
        keras.utils.set_random_seed(int(seed))
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)  # noqa: NPY002 (restoring the legacy global RNG, as above)
        if torch_state is not None:
            import torch

            torch.set_rng_state(torch_state)


@contextmanager
def _torch_threads(n_threads):
    """Run with ``n_threads`` torch intra-op threads (torch backend only), then restore the global setting."""
    if n_threads is None or keras.backend.backend() != "torch":
        yield
        return
    from .._torch import torch_threads

    with torch_threads(n_threads):
        yield


def _draw_seed(random_state):
    """An int seed from ``random_state`` (None stays None; a RandomState instance is consumed)."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(_MAX_SEED))


def _ravel_column_vector(y):
    """scikit-learn's behaviour for a column-vector ``y``: warn and ravel (scikeras would keep it 2-D)."""
    if getattr(y, "ndim", None) == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    return y


class SkvoiceKerasClassifier(KerasClassifier):
    """A scikeras ``KerasClassifier`` that scikit-learn >= 1.7 sees as a classifier.

    Same parameters and behaviour as :class:`scikeras.wrappers.KerasClassifier`
    (``model=`` a builder function such as :func:`build_dense_gender_net`,
    routed parameters such as ``model__learning_rate``), with these fixes:

    - ``__sklearn_tags__`` declares a classifier, so
      :func:`sklearn.base.is_classifier` is True and
      :class:`~sklearn.ensemble.VotingClassifier`,
      :class:`~sklearn.calibration.CalibratedClassifierCV`, stratified
      cross-validation and :class:`~skvoice.classifiers.FrameVoteClassifier`
      (``voting="soft"``) work (scikeras 0.13 only sets the pre-1.6 tags).
    - ``random_state`` seeds Python, NumPy *and* the Keras backend (torch) with
      :func:`keras.utils.set_random_seed` during ``fit``, so fits are
      reproducible; the global random states are restored afterwards.
    - ``predict_proba`` always returns shape ``(n_samples, n_classes)``
      (scikeras squeezes a single sample to 1-D), and a feature-count
      mismatch raises scikit-learn's usual error message.
    - Input is cast to Keras' float type, so fitting on float32 and
      predicting on float64 works (scikeras refuses that "unsafe" cast); a
      column-vector ``y`` is raveled with a ``DataConversionWarning``.

    Parameters
    ----------
    model : callable or keras.Model, default=None
        Model builder, e.g. :func:`build_dense_gender_net`; it receives
        scikeras' ``meta`` (``n_features_in_``, ``n_classes_``) and any
        ``model__*`` parameters.
    build_fn : callable, default=None
        Deprecated scikeras alias of ``model``.
    warm_start : bool, default=False
        Keep the model between ``fit`` calls.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and dropout. A RandomState
        instance is consumed (one seed drawn per ``fit``).
    optimizer : str or keras optimizer, default="rmsprop"
        Used only if the builder returns an uncompiled model (the skvoice
        builders compile their own).
    loss : str or keras loss, default=None
        As ``optimizer``; must match the builder's loss if given.
    metrics : list, default=None
        As ``optimizer``.
    batch_size : int, default=None
        Mini-batch size for ``fit`` and ``predict`` (Keras default 32).
    validation_batch_size : int, default=None
        Batch size for validation.
    verbose : int, default=1
        Keras progress output.
    callbacks : list, default=None
        Keras callbacks (also routed as ``fit__callbacks``).
    validation_split : float, default=0.0
        Fraction of the training data (the *last* rows, as in Keras) used
        for validation.
    shuffle : bool, default=True
        Shuffle the training data every epoch.
    run_eagerly : bool, default=False
        Keras ``run_eagerly``.
    epochs : int, default=1
        Number of training epochs.
    class_weight : dict, "balanced" or None, default=None
        Class weights, applied as sample weights.
    **kwargs
        Routed parameters: ``model__*`` (builder arguments, e.g.
        ``model__learning_rate``), ``fit__*``, ``predict__*``,
        ``optimizer__*``...

    Attributes
    ----------
    model_ : keras.Model
        The fitted Keras model.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    history_ : dict
        Per-epoch training metrics (``loss``, ``accuracy``, ``val_loss``...).

    See Also
    --------
    DenseGenderClassifier, CNN1DGenderClassifier, DenseSpeakerClassifier :
        Ready estimators with plain scikit-learn parameters.

    Notes
    -----
    Pickling (``pickle`` / ``joblib.dump``) stores the Keras model as an
    in-memory ``.keras`` archive (scikeras' mechanism), so the fitted model
    round-trips with its weights and optimizer state.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import is_classifier
    >>> from skvoice.classifiers import SkvoiceKerasClassifier, build_dense_gender_net
    >>> X = np.random.RandomState(0).normal(size=(40, 4)).astype("float32")
    >>> y = np.where(X[:, 0] > 0, "M", "F")
    >>> clf = SkvoiceKerasClassifier(build_dense_gender_net, model__learning_rate=0.01,
    ...                              epochs=2, verbose=0, random_state=0)
    >>> is_classifier(clf)
    True
    >>> clf.fit(X, y).classes_.tolist()
    ['F', 'M']
    >>> clf.predict_proba(X[:1]).shape
    (1, 2)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        # scikeras' own (pre-1.6) tags: any user network, trained for 1 epoch by default, may score poorly
        tags.classifier_tags = ClassifierTags(poor_score=True)
        tags.target_tags.required = True
        tags.input_tags.sparse = True  # scikeras passes scipy sparse input on to Keras, which densifies it
        return tags

    # -- seeding -------------------------------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build a new model and fit it to ``(X, y)`` (seeded by ``random_state``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (strings or numbers).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.
        **kwargs : dict
            Extra arguments for ``keras.Model.fit`` (scikeras behaviour).

        Returns
        -------
        self : SkvoiceKerasClassifier
        """
        y = _ravel_column_vector(y)
        self._skvoice_seed = _draw_seed(self.random_state)
        with _seeded(self._skvoice_seed):
            return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train for one epoch, keeping the model (seeded by ``random_state`` + epoch).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like, default=None
            All classes, needed on the first call if ``y`` lacks some.
        sample_weight : array-like of shape (n_samples,), default=None
        **kwargs : dict
            Extra arguments for ``keras.Model.fit``.

        Returns
        -------
        self : SkvoiceKerasClassifier
        """
        y = _ravel_column_vector(y)
        if not self.initialized_ or getattr(self, "_skvoice_seed", None) is None:
            self._skvoice_seed = _draw_seed(self.random_state)
        seed = None if self._skvoice_seed is None else (self._skvoice_seed + self.current_epoch) % _MAX_SEED
        with _seeded(seed):
            return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight, **kwargs)

    def _build_keras_model(self):
        # scikeras derives its own seed (always 0 for a RandomState instance); use the one drawn in fit
        self._random_state = getattr(self, "_skvoice_seed", self._random_state)
        return super()._build_keras_model()

    def _fit_keras_model(self, *args, **kwargs):
        self._random_state = getattr(self, "_skvoice_seed", self._random_state)
        return super()._fit_keras_model(*args, **kwargs)

    # -- validation / output fixes -------------------------------------------------------------------------------

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        if X is not None:
            # Keras computes in floatx anyway: cast here, so that e.g. fitting on float32 and predicting on float64
            # works (scikeras refuses the "unsafe" cast)
            X = check_array(X, accept_sparse=True, allow_nd=True, dtype=keras.backend.floatx())
            if not reset and hasattr(self, "n_features_in_") and X.ndim == 2 and X.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                                 f"{self.n_features_in_} features as input.")
        return super()._validate_data(X=X, y=y, reset=reset, y_numeric=y_numeric)

    def predict_proba(self, X, **kwargs):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        **kwargs : dict
            Extra arguments for ``keras.Model.predict``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        proba = np.asarray(super().predict_proba(X, **kwargs))
        if proba.ndim <= 1 and self.n_classes_ is not None:
            proba = proba.reshape(-1, self.n_classes_)
        return proba


# ---------------------------------------------------------------------------------------------------------------------
# ready estimators
# ---------------------------------------------------------------------------------------------------------------------


class _KerasNetClassifier(VersionedPickleMixin, ScorePredictMixin, ClassifierMixin, BaseEstimator):
    """Shared fit/predict of the ready Keras estimators (one builder each)."""

    _builder = None  # set by subclasses (a module-level function, so the estimator pickles)

    _parameter_constraints = {
        "epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "validation_split": [Interval(numbers.Real, 0, 1, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_threads": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(self, *, epochs, batch_size, learning_rate, validation_split, patience, n_threads, verbose,
                 random_state):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_split = validation_split
        self.patience = patience
        self.n_threads = n_threads
        self.verbose = verbose
        self.random_state = random_state

    def _check_n_features(self, n_features):
        """Hook: reject input widths the network cannot take."""

    def _model_params(self):
        return {"model__learning_rate": self.learning_rate}

    def fit(self, X, y, sample_weight=None):
        """Train the network.

        With ``validation_split > 0`` a random ``validation_split`` fraction
        of the samples is held out for early stopping (the samples are
        shuffled first, so sorted data does not leave one class out); with
        ``patience`` set, training stops once the monitored loss has not
        improved for ``patience`` epochs and the best weights are restored.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features (e.g. MFCC frames, or pooled statistics).
        y : array-like of shape (n_samples,)
            Class labels (strings or numbers).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights (zero weights drop samples).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self._check_n_features(X.shape[1])
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X, dtype=np.float32)

        seed = _draw_seed(self.random_state)
        rng = np.random.RandomState(seed)
        n = X.shape[0]
        n_train = int(np.floor(n * (1.0 - self.validation_split)))
        validate = self.validation_split > 0 and 1 <= n_train < n
        if validate:
            # keras holds out the *last* fraction: shuffle so that it is a random subset
            order = rng.permutation(n)
            X, y = X[order], y[order]
            if sample_weight is not None:
                sample_weight = sample_weight[order]
        callbacks = []
        if self.patience is not None:
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_loss" if validate else "loss", patience=self.patience, restore_best_weights=True))
        self.keras_classifier_ = SkvoiceKerasClassifier(
            model=type(self)._builder,
            epochs=self.epochs,
            batch_size=self.batch_size,
            validation_split=self.validation_split if validate else 0.0,
            fit__callbacks=callbacks,
            predict__batch_size=max(self.batch_size, 4096),  # inference is batch-size invariant (BN in eval mode)
            verbose=self.verbose,
            random_state=None if seed is None else int(rng.randint(_MAX_SEED)),
            **self._model_params(),
        )
        with _torch_threads(self.n_threads):
            self.keras_classifier_.fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.keras_classifier_.classes_
        self.model_ = self.keras_classifier_.model_
        self.history_ = dict(self.keras_classifier_.history_)
        self.n_epochs_ = len(self.history_.get("loss", ()))
        self.validation_used_ = bool(validate)
        return self

    def _check_X(self, X):
        check_is_fitted(self, "keras_classifier_")
        return validate_data(self, X, reset=False, dtype=np.float32)

    def predict_proba(self, X):
        """Class probabilities (softmax output).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        X = self._check_X(X)
        with _torch_threads(self.n_threads):
            proba = self.keras_classifier_.predict_proba(X)
        return proba.astype(np.float64, copy=False)

    def _class_scores(self, X):
        return self.predict_proba(X)  # predict: the most probable class


_COMMON_PARAMS_DOC = """
    Parameters
    ----------
    epochs : int, default={epochs}
        Maximum number of training epochs (early stopping may end sooner).
    batch_size : int, default={batch_size}
        Training mini-batch size. Prediction uses ``max(batch_size, 4096)``
        (predictions do not depend on it).
    learning_rate : float, default={learning_rate}
        {optimizer} learning rate.
    validation_split : float in [0, 1), default={validation_split}
        Fraction of the (shuffled) training samples held out to monitor
        ``val_loss`` for early stopping. 0 (or a single training sample)
        monitors the training loss instead. Under
        :class:`~skvoice.classifiers.FrameVoteClassifier` the held-out frames
        come from the training recordings, so this guards against
        over-fitting frames, not against speaker mismatch.
    patience : int or None, default={patience}
        Stop after this many epochs without improvement of the monitored loss
        and restore the best weights. ``None`` trains for all ``epochs``.{extra}
    n_threads : int or None, default=1
        Number of torch intra-op threads used during ``fit`` and
        ``predict`` (the global setting is restored afterwards). These
        networks are small, and when cores are busy (other processes,
        ``n_jobs`` in GridSearchCV or cross_val_score) oversubscription made
        fitting 7-25x slower with 2 threads than with 1 on a loaded 2-core
        machine. ``None`` keeps torch's global setting.
    verbose : int, default=0
        Keras progress output (0 silent, 1 progress bar, 2 one line per epoch).
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, weight initialisation, shuffling and
        dropout (Python, NumPy and torch via
        :func:`keras.utils.set_random_seed`; global states are restored after
        ``fit``). An int gives reproducible fits."""

_COMMON_ATTRS_DOC = """

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (e.g. ``['F', 'M']`` or speaker ids).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined only when ``X`` has string feature names.
    model_ : keras.Model
        The trained network.
    keras_classifier_ : SkvoiceKerasClassifier
        The fitted scikeras wrapper holding ``model_``.
    history_ : dict
        Per-epoch ``loss``, ``accuracy`` (and ``val_loss``,
        ``val_accuracy`` when validating).
    n_epochs_ : int
        Number of epochs actually run.
    validation_used_ : bool
        Whether a validation split was held out for early stopping."""


def _network_doc_sections(**defaults):
    """The Parameters and Attributes sections of a study network's docstring, with its defaults."""
    return _COMMON_PARAMS_DOC.format(**defaults) + _COMMON_ATTRS_DOC


def _network_doc(optimizer, extra=""):
    """Class decorator: fill the ``%(network_sections)s`` line of a ready network's docstring.

    The Parameters and Attributes sections take their defaults from the
    class's signature; ``extra`` documents the class's own parameters (after
    ``patience``, defaults as ``{name}`` fields).
    """
    def decorate(cls):
        defaults = {name: param.default for name, param in inspect.signature(cls).parameters.items()}
        sections = _network_doc_sections(optimizer=optimizer, extra=extra.format(**defaults), **defaults)
        cls.__doc__ = fill_text(cls.__doc__, {"network_sections": textwrap.dedent(sections).strip("\n")}.get)
        return cls

    return decorate


def _network_init(*, epochs, batch_size, learning_rate, validation_split, patience):
    """The ``__init__`` of a ready network with these defaults (the parameters every ready network takes).

    The defaults are real keyword defaults of the returned function, so
    scikit-learn (``get_params``, ``clone``, ``repr``) and :func:`_network_doc`
    read them from its signature as from a hand-written ``__init__``.
    """
    def __init__(self, *, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                 validation_split=validation_split, patience=patience, n_threads=1, verbose=0, random_state=None):
        _KerasNetClassifier.__init__(self, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                                     validation_split=validation_split, patience=patience, n_threads=n_threads,
                                     verbose=verbose, random_state=random_state)

    return __init__


@_network_doc("RMSprop")
class DenseGenderClassifier(_KerasNetClassifier):
    """The study's dense gender network as a scikit-learn classifier.

    ``Dense(n_features, relu) -> BN -> Dense(128, relu) -> BN ->
    Dense(64, relu) -> BN -> Dense(n_classes, softmax)`` trained with RMSprop
    (see :func:`build_dense_gender_net`). Train it on frames and vote per
    recording with :class:`~skvoice.classifiers.FrameVoteClassifier`, or on
    pooled statistics.

    Standardise the inputs (:class:`~skvoice.features.CMVN`,
    :class:`~sklearn.preprocessing.StandardScaler`): the batch-normalisation
    running statistics used at prediction time converge slowly, so
    un-centred features can predict badly after short training.

    The defaults are tuned for speed on CPU (batches of 256 frames, at most
    100 epochs, early stopping after 5 epochs without improvement of a 10 %
    validation loss). The study's setting is ``batch_size=32, epochs=200,
    patience=200``.

    %(network_sections)s

    See Also
    --------
    CNN1DGenderClassifier : The study's 1-D CNN.
    DenseSpeakerClassifier : The study's speaker network.
    SkvoiceKerasClassifier : The scikeras wrapper, for custom networks.
    skvoice.classifiers.FrameVoteClassifier : Frame training, per-recording voting.

    Examples
    --------
    >>> import numpy as np
    >>> from skvoice.classifiers import DenseGenderClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 13)).astype("float32")
    >>> y = np.where(X[:, 0] + X[:, 1] > 0, "M", "F")
    >>> clf = DenseGenderClassifier(epochs=3, batch_size=32, random_state=0).fit(X, y)
    >>> clf.classes_.tolist()
    ['F', 'M']
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    >>> clf.score(X, y) > 0.7
    True
    """

    _builder = staticmethod(build_dense_gender_net)
    __init__ = _network_init(epochs=100, batch_size=256, learning_rate=0.001, validation_split=0.1, patience=5)


@_network_doc("Adam")
class CNN1DGenderClassifier(_KerasNetClassifier):
    """The study's 1-D CNN gender network as a scikit-learn classifier.

    Each feature vector (e.g. one frame's 13 MFCCs) is read as a 1-D signal:
    ``Conv1D(32, 3) -> Conv1D(48, 3) -> Conv1D(120, 3) -> MaxPooling1D(2) ->
    Flatten -> Dense(128) -> Dense(64) -> Dense(n_classes, softmax)``, trained
    with Adam (see :func:`build_cnn1d_gender_net`). Needs at least 8 features.

    The defaults are tuned for speed on CPU (batches of 256 frames, at most
    50 epochs, early stopping after 5 epochs without improvement). The
    study's setting is ``batch_size=32, epochs=200, patience=None``.

    %(network_sections)s

    See Also
    --------
    DenseGenderClassifier : The study's (faster) dense network.
    skvoice.classifiers.FrameVoteClassifier : Frame training, per-recording voting.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skvoice.classifiers import CNN1DGenderClassifier, FrameVoteClassifier
    >>> from skvoice.datasets import make_voices
    >>> from skvoice.features import CMVN, MFCCExtractor
    >>> voices = make_voices(n_speakers=4, n_utterances=2, duration=1.0, random_state=0)
    >>> cnn = CNN1DGenderClassifier(epochs=2, random_state=0)
    >>> model = make_pipeline(MFCCExtractor(), CMVN(), FrameVoteClassifier(cnn, voting="soft"))
    >>> model.fit(voices.waveforms, voices.gender).predict(voices.waveforms[:2]).shape
    (2,)
    """

    _builder = staticmethod(build_cnn1d_gender_net)
    __init__ = _network_init(epochs=50, batch_size=256, learning_rate=0.001, validation_split=0.1, patience=5)

    def _check_n_features(self, n_features):
        _check_cnn_features(n_features)


_SPEAKER_EXTRA_DOC = """
    momentum : float in [0, 1), default={momentum}
        Nesterov momentum of SGD.
    dropout : float in [0, 1), default={dropout}
        Dropout rate before the output layer."""


@_network_doc("SGD (Nesterov)", extra=_SPEAKER_EXTRA_DOC)
class DenseSpeakerClassifier(_KerasNetClassifier):
    """The study's dense speaker-identification network as a scikit-learn classifier.

    ``Dense(64) -> BN -> tanh -> Dense(250) -> BN -> Dropout(0.5) ->
    Dense(n_classes, softmax)`` with Glorot-normal weights, trained with SGD
    (Nesterov momentum 0.9) — see :func:`build_dense_speaker_net`. Use it on
    pooled statistics (:class:`~skvoice.features.StatsPooling`, standardised)
    or on frames with :class:`~skvoice.classifiers.FrameVoteClassifier`.

    The defaults suit small pooled data sets (a few utterances per
    speaker): batches of 32 as in the study, at most 200 epochs, stopping
    once the training loss has not improved for 20 epochs (such data is
    usually too small to hold out a validation split; set
    ``validation_split`` to monitor a held-out loss instead).

    %(network_sections)s

    See Also
    --------
    skvoice.classifiers.GMMSpeakerClassifier : The study's GMM speaker model.
    skvoice.features.StatsPooling : Mean/std of frames -> one vector per recording.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skvoice.classifiers import DenseSpeakerClassifier
    >>> from skvoice.datasets import make_voices
    >>> from skvoice.features import MFCCExtractor, StatsPooling
    >>> voices = make_voices(n_speakers=3, n_utterances=4, duration=1.0, random_state=0)
    >>> model = make_pipeline(MFCCExtractor(), StatsPooling(), StandardScaler(),
    ...                       DenseSpeakerClassifier(epochs=30, batch_size=8, random_state=0))
    >>> model.fit(voices.waveforms, voices.speaker).classes_.tolist()
    ['spk000', 'spk001', 'spk002']
    """

    _builder = staticmethod(build_dense_speaker_net)

    _parameter_constraints = {
        **_KerasNetClassifier._parameter_constraints,
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    }

    def __init__(self, *, epochs=200, batch_size=32, learning_rate=0.1, validation_split=0.0, patience=20,
                 momentum=0.9, dropout=0.5, n_threads=1, verbose=0, random_state=None):
        super().__init__(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                         validation_split=validation_split, patience=patience, n_threads=n_threads,
                         verbose=verbose, random_state=random_state)
        self.momentum = momentum
        self.dropout = dropout

    def _model_params(self):
        return {"model__learning_rate": self.learning_rate, "model__momentum": self.momentum,
                "model__dropout": self.dropout}
