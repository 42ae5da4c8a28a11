"""What a reproduction run does: the user's options (:class:`ReproduceConfig`) and the work budget (:class:`Budget`)."""

from __future__ import annotations

import dataclasses

from .models import MODEL_KEYS

__all__ = ["Budget", "ReproduceConfig"]


@dataclasses.dataclass
class Budget:
    """How much work each step does (``--quick`` and ``--synthetic`` shrink it)."""

    gender_folds: int = 5
    speaker_folds: int = 3
    gender_per_sex: int | None = None          # speakers of each sex (None: all of the subset)
    gender_max_per_speaker: int | None = 20    # utterances per speaker for gender
    speaker_max_speakers: int | None = None    # None: every speaker of the subset
    speaker_max_per_speaker: int | None = 30   # dev-clean has ~68 per speaker; test-other 6
    gb_max_frames: int | None = None           # GB trains on all frames (HistGradientBoosting is fast)
    nn_max_frames: int = 200                   # frames per training recording for the Keras gender nets
    nn_total_frames: int = 40_000              # ... and at most about this many training frames in all
    nn_batch_size: int = 256
    dense_epochs: int = 20
    cnn_epochs: int = 10
    nn_patience: int = 3
    speaker_net_epochs: int = 30
    speaker_net_max_frames: int = 200
    speaker_net_total_frames: int = 40_000
    best_max_frames: int = 300
    gmm_n_init: int = 3
    ubm_components: int = 64
    ubm_total_frames: int = 100_000            # GMM-UBM trains on about this many frames at most
    hubert_max_seconds: float | None = None
    kmeans_max_frames: int = 50_000
    synthetic_speakers: int = 18
    synthetic_utterances: int = 6
    synthetic_duration: float = 2.0

    @classmethod
    def make(cls, quick=False, synthetic=False):
        """The budget of a run: full, ``--quick`` (minutes on 2 cores), or tiny (``--quick --synthetic``)."""
        if synthetic and quick:  # tiny: end-to-end tests and demos in seconds
            return cls(gender_folds=3, speaker_folds=3, nn_max_frames=40, dense_epochs=2, cnn_epochs=1,
                       nn_total_frames=1000, speaker_net_total_frames=1000, ubm_total_frames=5000,
                       nn_patience=1, speaker_net_epochs=3, speaker_net_max_frames=40, best_max_frames=60,
                       gmm_n_init=1, ubm_components=8, kmeans_max_frames=2000, synthetic_speakers=6,
                       synthetic_utterances=3, synthetic_duration=1.0)
        if quick:
            return cls(gender_folds=3, speaker_folds=3, gender_per_sex=30, gender_max_per_speaker=2,
                       speaker_max_speakers=20, speaker_max_per_speaker=6, nn_max_frames=100, dense_epochs=20,
                       nn_total_frames=8000, speaker_net_total_frames=10_000, ubm_total_frames=30_000,
                       cnn_epochs=8, nn_patience=3, speaker_net_epochs=12, speaker_net_max_frames=100,
                       best_max_frames=200, gmm_n_init=1, ubm_components=32, hubert_max_seconds=8.0,
                       kmeans_max_frames=20_000, synthetic_speakers=10, synthetic_utterances=4,
                       synthetic_duration=1.5)
        return cls()

    def to_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass
class ReproduceConfig:
    """Options of ``skvoice reproduce`` (see ``skvoice reproduce --help``)."""

    data: str | None = None
    gender_subset: str | None = None
    speaker_subset: str | None = None
    out: str = "skvoice_report"
    quick: bool = False
    models: tuple = MODEL_KEYS
    wav2vec: str | None = None
    hubert: str | None = None
    synthetic: bool = False
    n_jobs: int | None = -1
    seed: int = 0
    download: bool = False  # True: fetch dev-clean when no data is given (else the bundled sample is used)
    argv: list | None = None
    data_source: str | None = None  # a registered data source; None: synthetic or librispeech from the flags
    steps: tuple | None = None  # added steps to run (names of skvoice.study.run.EXTRA_STEPS); None: all

    @property
    def source(self):
        """Name of the data source (a key of :data:`skvoice.study.data.DATA_SOURCES`) the run uses."""
        if self.data_source:
            return self.data_source
        return "synthetic" if self.synthetic else "librispeech"

    @property
    def command(self):
        return "skvoice " + " ".join(self.argv or ["reproduce"])

    def to_dict(self):
        """The options as written to ``results.json`` (tuples as lists, without ``argv``)."""
        out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()
               if k != "argv"}
        for key in ("data_source", "steps"):  # results.json of runs that do not set them keeps its layout
            if out[key] is None:
                out.pop(key)
        return out

    def runs_step(self, name):
        """Whether the added step ``name`` runs (``steps`` is None or names it)."""
        return self.steps is None or name in self.steps
