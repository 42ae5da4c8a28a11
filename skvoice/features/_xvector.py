"""Pretrained x-vector speaker embeddings from transformers checkpoints (WavLM / wav2vec 2.0 / UniSpeech-SAT)."""

from __future__ import annotations

import numpy as np

from .._base import AudioTransformer
from .._hf import CHUNKED_MODEL_CONSTRAINTS, ChunkedModelMixin, audio_model
from .._hub import load_pretrained
from .._ragged import rows_or_nan, unit_vector

__all__ = ["XVectorEmbedding"]

DEFAULT_MODEL = "microsoft/wavlm-base-plus-sv"


def load_xvector_model(model, device="cpu"):
    """Load a ``*ForXVector`` checkpoint (transformers' ``AutoModelForAudioXVector``) with its feature extractor.

    Raises
    ------
    ModelNotAvailableError
        Missing folder/config, or a hub id that is neither cached nor downloadable.
    ValueError
        A checkpoint that is not an x-vector model, or that lacks the x-vector head weights.
    """
    from transformers import AutoConfig, AutoModelForAudioXVector

    config = load_pretrained(AutoConfig.from_pretrained, model)
    archs = list(getattr(config, "architectures", None) or [])
    if not any(a.endswith("ForXVector") for a in archs):
        raise ValueError(f"Model {model!r} is not an x-vector checkpoint (config.architectures={archs or None}); "
                         "XVectorEmbedding needs a *ForXVector model such as WavLMForXVector "
                         "(transformers' AutoModelForAudioXVector).")
    network, info = load_pretrained(AutoModelForAudioXVector.from_pretrained, model, config=config,
                                    output_loading_info=True)
    missing = sorted(k for k in info.get("missing_keys", ()) if not k.startswith(network.base_model_prefix + "."))
    if missing:
        raise ValueError(f"Model {model!r}: the checkpoint lacks the x-vector head weights {missing[:6]}; they "
                         "would be randomly initialised and the embeddings meaningless.")
    loaded = audio_model(network, config, model, device, owner="XVectorEmbedding")
    # the TDNN head needs several encoder frames, and its statistics pooling two output frames (the standard
    # deviation of one is NaN): widen the shortest usable input by the head's receptive field plus one frame
    tdnn_frames = 1 + sum((int(k) - 1) * int(d) for k, d in zip(config.tdnn_kernel, config.tdnn_dilation))
    loaded.min_samples += tdnn_frames * int(np.prod(config.conv_stride))
    return loaded


class XVectorEmbedding(ChunkedModelMixin, AudioTransformer):
    """Speaker embeddings from a pretrained x-vector model (e.g. WavLM-for-XVector): audio -> vectors.

    Loads any transformers ``*ForXVector`` checkpoint (WavLM, wav2vec 2.0,
    UniSpeech-SAT, data2vec-audio encoders with a TDNN x-vector head trained
    for speaker verification) from a local ``save_pretrained`` folder or the
    Hugging Face cache, offline-first. Each recording is resampled to the
    model's rate, split into equal chunks of at most ``chunk_seconds``, run in
    batches under :func:`torch.inference_mode`, and its embedding is the
    length-weighted mean of the chunk x-vectors, L2-normalised. The output is
    a 2-D array that any scikit-learn estimator (or
    :class:`~skvoice.classifiers.SpeakerVerifier`) takes.

    Parameters
    ----------
    model : str or os.PathLike, default="microsoft/wavlm-base-plus-sv"
        Hugging Face id or local folder of a ``*ForXVector`` checkpoint.
        Without network it must be a folder or already in the local cache
        (:class:`~skvoice.ModelNotAvailableError` says what to do otherwise).
    %(chunked_model_input)s
    batch_size : int, default=8
        Chunks per forward pass.
    %(device)s
    %(n_threads)s
    %(on_error)s
    %(n_jobs)s
        The network runs in the calling process.
    %(verbose)s

    Attributes
    ----------
    n_features_out_ : int
        Embedding size (the checkpoint's ``xvector_output_dim``).
    %(chunked_model_attributes_)s
    %(failures_)s

    See Also
    --------
    SpeakerEmbedding : the GE2E embedding whose weights ship with resemblyzer.
    skvoice.classifiers.SpeakerVerifier : verification/identification on embeddings.

    Notes
    -----
    The network is not pickled (``pickle``/``joblib.dump`` store only the
    parameters and fitted attributes); it is reloaded from ``model`` when
    needed and shared between instances through a small cache.

    Examples
    --------
    A tiny randomly initialised model stands in for a real checkpoint:

    >>> import tempfile, torch
    >>> from transformers import WavLMConfig, WavLMForXVector
    >>> from skvoice.datasets import make_voices
    >>> from skvoice.features import XVectorEmbedding
    >>> config = WavLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
    ...                      conv_dim=(8, 8), conv_kernel=(10, 3), conv_stride=(5, 2), num_conv_pos_embeddings=8,
    ...                      num_conv_pos_embedding_groups=2, tdnn_dim=(8, 8), tdnn_kernel=(3, 1),
    ...                      tdnn_dilation=(1, 1), xvector_output_dim=12, architectures=["WavLMForXVector"])
    >>> folder = tempfile.mkdtemp()
    >>> _ = torch.manual_seed(0)
    >>> WavLMForXVector(config).save_pretrained(folder)
    >>> voices = make_voices(n_speakers=2, n_utterances=2, duration=0.5, random_state=0)
    >>> emb = XVectorEmbedding(folder).fit_transform(voices.waveforms)
    >>> emb.shape, emb.dtype
    ((4, 12), dtype('float32'))
    """

    _parameter_constraints = {**CHUNKED_MODEL_CONSTRAINTS}
    _failed_slot = "a row of NaN"
    _model_loader = staticmethod(load_xvector_model)

    def __init__(self, model=DEFAULT_MODEL, *, sample_rate=16000, max_seconds=None, chunk_seconds=10.0,
                 batch_size=8, device="auto", n_threads=None, on_error="raise", n_jobs=None, verbose=0):
        super().__init__(model, sample_rate=sample_rate, max_seconds=max_seconds, chunk_seconds=chunk_seconds,
                         batch_size=batch_size, device=device, n_threads=n_threads, on_error=on_error,
                         n_jobs=n_jobs, verbose=verbose)

    def fit(self, X=None, y=None):
        """Load the model and record the output size (nothing is learned).

        Parameters
        ----------
        X : sequence of paths or waveforms, optional
            Validated only (files are not read).
        y : None
            Ignored.

        Returns
        -------
        self : XVectorEmbedding
        """
        self._validate_fit_audio(X)
        loaded = self._fit_model()
        self.n_features_out_ = int(loaded.network.config.xvector_output_dim)
        return self

    def transform(self, X):
        """Embed each recording.

        %(parameters_X_audio)s

        Returns
        -------
        embeddings : ndarray of shape (n_recordings, n_features_out_)
            float32 unit vectors; NaN rows for failed recordings
            (``on_error`` "warn"/"skip").
        """
        items, loaded = self._inference_input(X, "n_features_out_")

        def forward(inputs):
            return loaded.network(**inputs).embeddings.float().cpu().numpy()

        results = self._chunk_means(items, loaded, forward, desc="x-vector")
        return rows_or_nan(results, self.n_features_out_, dtype=np.float32, row=unit_vector)

    def get_feature_names_out(self, input_features=None):
        """``xvector_0`` ... ``xvector_{n-1}``."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "n_features_out_")
        return np.asarray([f"xvector_{i}" for i in range(self.n_features_out_)], dtype=object)

