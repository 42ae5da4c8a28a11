"""Evaluation through sklearn's cross_validate: the same numbers as fitting each split by hand."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skvoice.study.config import Budget
from skvoice.study.data import Corpus
from skvoice.study.evaluation import (
    Protocol,
    cross_validate_model,
    gender_protocols,
    score_fixed_predictions,
    score_predictions,
    speaker_protocols,
)
from skvoice.study.models import FRAMES, RECORDINGS, ModelSpec, frame_vote_pipeline, frames_per_recording
from skvoice.study.results import ProtocolInfo


def _ragged(n_speakers=6, per_speaker=3, seed=0):
    """Frames of recordings whose mean depends on the speaker's sex, plus speaker and sex labels."""
    rng = np.random.RandomState(seed)
    speaker = np.repeat([f"s{i}" for i in range(n_speakers)], per_speaker).astype(object)
    gender = np.array(["F" if int(s[1:]) % 2 == 0 else "M" for s in speaker], dtype=object)
    X = np.empty(len(speaker), dtype=object)
    for i, g in enumerate(gender):
        X[i] = (rng.normal(size=(rng.randint(15, 40), 4)) + (0.8 if g == "M" else 0.0)).astype(np.float32)
    return X, speaker, gender


def _corpus(X, speaker, gender):
    return Corpus(X=X, speaker=speaker, gender=gender, duration=np.ones(len(X)), description=None)


def _frame_spec(calls):
    def build(n_train):
        calls.append(n_train)
        return frame_vote_pipeline(LogisticRegression(), "hard", frames_per_recording(20, 150, n_train), seed=0)

    return ModelSpec("lr", "gender", "LR", "mfcc", FRAMES, build, "CMVN -> FrameVote(LR)")


def test_frame_model_matches_a_hand_written_loop():
    X, speaker, gender = _ragged()
    protocol = gender_protocols(_corpus(X, speaker, gender), Budget(gender_folds=3), seed=0)["speaker_disjoint"]
    calls = []
    ev = cross_validate_model(_frame_spec(calls), X, gender, protocol, labels=["F", "M"], pos_label="M",
                              predictions=True)
    assert calls == [len(train) for train, _ in protocol.splits]  # each split built for its training size
    res = ev.result
    assert res.n_splits == 3 and set(res.metrics) == {"per recording", "per frame"}

    expected = {"per recording": [], "per frame": []}
    frames, y_pred = [], []
    for train, test in protocol.splits:
        model = _frame_spec([]).build(len(train)).fit(X[train], gender[train])
        pred = model.predict(X[test])
        y_pred.append(pred)
        frame_pred = model[-1].predict_frames(model[:-1].transform(X[test]))
        y_frames = np.repeat(gender[test], [len(p) for p in frame_pred])
        expected["per recording"].append(score_predictions(gender[test], pred, ["F", "M"], "M"))
        expected["per frame"].append(score_predictions(y_frames, np.concatenate(list(frame_pred)), ["F", "M"], "M"))
        frames.append(int(model[-1].n_frames_fit_))
    for level, per_split in expected.items():
        for metric in ("accuracy", "precision", "recall", "f1"):
            summary = res.metric(metric, level)
            assert summary.values == [s[metric] for s in per_split], (level, metric)
            assert summary.mean == pytest.approx(np.mean(summary.values))
            assert summary.std == pytest.approx(np.std(summary.values))
    assert res.train_frames_per_split == frames and res.epochs_per_split == []
    assert ev.split_accuracy == res.metric("accuracy").values
    # out-of-fold predictions: every recording predicted once, by the model that did not see it
    tests = np.concatenate([test for _, test in protocol.splits])
    assert sorted(tests) == list(range(len(X)))
    np.testing.assert_array_equal(ev.y_true, gender[tests])
    np.testing.assert_array_equal(ev.y_pred, np.concatenate(y_pred))
    assert res.metric("accuracy").mean > 0.6  # the sexes are separable: better than chance


def test_recording_model_and_no_predictions():
    X, speaker, _ = _ragged(n_speakers=4, per_speaker=4)
    pooled = np.stack([r.mean(axis=0) for r in X])
    spec = ModelSpec("lr", "speaker", "LR", "embedding", RECORDINGS, lambda n: LogisticRegression(), "LR")
    protocol = speaker_protocols(_corpus(X, speaker, speaker), Budget(speaker_folds=2), seed=0)["closed_set"]
    ev = cross_validate_model(spec, pooled, speaker, protocol, labels=sorted(set(speaker)), pos_label=None)
    assert set(ev.result.metrics) == {"per recording"} and ev.result.n_splits == 2
    assert ev.y_true is None and ev.y_pred is None and ev.result.train_frames_per_split == []
    for train, _ in protocol.splits:  # closed set: every speaker in every training part
        assert set(speaker[train]) == set(speaker)


def test_fit_errors_propagate():
    X, speaker, gender = _ragged()

    class Broken(LogisticRegression):
        def fit(self, X, y):
            raise RuntimeError("broken fit")

    spec = ModelSpec("x", "gender", "X", "embedding", RECORDINGS, lambda n: Broken(), "broken")
    protocol = Protocol("p", ProtocolInfo("p", 1), [(np.arange(12), np.arange(12, 18))])
    pooled = np.stack([r.mean(axis=0) for r in X])
    with pytest.raises(RuntimeError, match="broken fit"):  # not a NaN score
        cross_validate_model(spec, pooled, gender, protocol, labels=["F", "M"], pos_label="M")


def test_gender_protocols():
    X, speaker, gender = _ragged(n_speakers=8, per_speaker=5)
    protocols = gender_protocols(_corpus(X, speaker, gender), Budget(gender_folds=5), seed=0)
    study, disjoint = protocols["study_split"], protocols["speaker_disjoint"]
    (train, test), = study.splits
    assert study.info.n_train == len(train) == 32 and study.info.n_test == len(test) == 8
    assert study.info.speakers_in_train_and_test == len(set(speaker[train]) & set(speaker[test]))
    assert study.info.speaker_disjoint is (study.info.speakers_in_train_and_test == 0)
    assert not study.confusion and disjoint.confusion
    assert disjoint.info.n_splits == len(disjoint.splits) == 4  # capped by the 4 speakers of each sex
    for train, test in disjoint.splits:
        assert not set(speaker[train]) & set(speaker[test])


def test_zero_shot_scores_skip_missing_predictions():
    y = np.array(["F", "M", "F", "M", "F", "M"], dtype=object)
    pred = np.array(["F", "M", None, "F", "F", "M"], dtype=object)
    protocol = Protocol("p", ProtocolInfo("p", 2), [(np.arange(3, 6), np.arange(3)), (np.arange(3), np.arange(3, 6))])
    ev = score_fixed_predictions(pred, y, protocol, labels=["F", "M"], pos_label="M")
    assert ev.split_accuracy == [1.0, 2 / 3]  # the None prediction is left out of split 1
    assert ev.result.unscored_per_split == [1, 0] and ev.result.to_dict()["unscored_per_split"] == [1, 0]
    assert ev.result.metric("accuracy").mean == pytest.approx(5 / 6)
    assert list(ev.y_true) == ["F", "M", "M", "F", "M"] and list(ev.y_pred) == ["F", "M", "F", "F", "M"]
