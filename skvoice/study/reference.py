"""The study's own numbers (reference/study.md, "Results"): dev-clean, wav2vec2 features for Task 2.

The report prints them beside ours; they are copied from the study, never computed here.
"""

from __future__ import annotations

__all__ = ["STUDY", "reported"]

STUDY = {
    "data": "LibriSpeech dev-clean (40 speakers, 20 F / 20 M); gender: >= 9 F + 9 M speakers, random 80/20 split "
            "of recordings; speaker ID: wav2vec2 (wav2vec_small) features of 2-s chunks",
    "outliers": {
        "Z-score": [80, 2332, 1857, 1943, 3455, 2672, 1558, 2619, 1640, 2359, 3514, 2916, 3279],
        "IQR": [4607, 7940, 6680, 8135, 7602, 7054, 3061, 5477, 3817, 5391, 8252, 7826, 9336],
    },
    "gender": {
        "gb": {"per recording": {"accuracy": 0.901845, "precision": 0.909161, "recall": 0.888638},
               "per frame": {"accuracy": 0.752792, "precision": 0.758723, "recall": 0.736892}},
        "dense": {"per recording": {"accuracy": 0.998155, "precision": 0.997744, "recall": 0.998495},
                  "per frame": {"accuracy": 0.896041, "precision": 0.884290, "recall": 0.909866}},
        "cnn": {"per recording": {"accuracy": 0.998893, "precision": 0.999247, "recall": 0.998495},
                "per frame": {"accuracy": 0.907791, "precision": 0.905460, "recall": 0.909404}},
        "hubert": {"per recording": {"accuracy": 0.918081, "precision": 0.902545, "recall": 0.933785}},
    },
    "speaker": {
        "gmm": {"per recording": {"accuracy": 0.803544}, "features": "wav2vec2"},
        "speaker-net": {"per recording": {"accuracy": 0.747152}, "features": "wav2vec2"},
    },
    "pca": {"features": "wav2vec2 (768-d)", "threshold": 0.85, "mean_components": 47,
            "typical_range": [40, 55]},
    "kmeans": {"features": "wav2vec2 (768-d)", "n_components": 47, "n_clusters": 40, "level": "frames"},
}


def reported(study, task, study_key, level="per recording"):
    """The study's metrics ``{metric: value}`` for one model and level (``{}`` when it reported none)."""
    if not study_key:
        return {}
    return (study.get(task, {}).get(study_key) or {}).get(level, {})
