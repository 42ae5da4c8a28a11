"""Open-set identification: ``set_threshold`` reaches every fitted scorer; ``skvoice predict --threshold``."""

import csv
import io

import numpy as np
import pytest
from cli_run import run_cli
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvoice.augment import AddNoise, AugmentedTrainer
from skvoice.classifiers import BandwidthRouter, ScoreFusion, SpeakerVerifier, set_threshold
from skvoice.classifiers._open_set import open_set_scorers
from skvoice.features import MFCCExtractor, StatsPooling


def _embeddings(seed=0, n_speakers=6, per_speaker=8):
    rng = np.random.RandomState(seed)
    centres = rng.standard_normal((n_speakers, 32))
    X = np.repeat(centres, per_speaker, axis=0) + 0.4 * rng.standard_normal((n_speakers * per_speaker, 32))
    return X, np.repeat([f"s{i}" for i in range(n_speakers)], per_speaker), rng.standard_normal((5, 32))


def test_set_threshold_reaches_the_fitted_scorers_that_predict():
    X, y, strangers = _embeddings()
    model = AugmentedTrainer(make_pipeline(StandardScaler(), SpeakerVerifier(normalization=None, random_state=0)),
                             AddNoise(), n_copies=0).fit(X, y)
    assert set(model.predict(strangers)) <= set(y)
    # what set_params does: only the template changes, the fitted model predicts as before
    model.set_params(estimator__speakerverifier__threshold=np.log(99))
    assert set(model.predict(strangers)) <= set(y)
    assert set_threshold(model, np.log(99), unknown_label="unknown") is model
    assert list(model.predict(strangers)) == ["unknown"] * 5
    scores = model.estimator_[-1].speaker_scores(model.estimator_[:-1].transform(X))
    best = scores.max(axis=1)  # the enrolled: rejected exactly when their best score is below the threshold
    closed = model.estimator_[-1].classes_[scores.argmax(axis=1)]
    np.testing.assert_array_equal(model.predict(X), np.where(best >= np.log(99), closed, "unknown"))
    assert [s.threshold for s in open_set_scorers(model)] == [np.log(99)] * 2  # the fitted one and the template
    set_threshold(model, None)
    assert set(model.predict(strangers)) <= set(y)
    with pytest.raises(ValueError, match="is one of the enrolled speakers"):
        set_threshold(model, 1.0, unknown_label="s3")
    with pytest.raises(ValueError, match="holds no SpeakerVerifier or ScoreFusion"):
        set_threshold(LogisticRegression().fit(X, y), 1.0)


def test_open_set_scorers_of_the_robust_recipe_are_both_fusions():
    fusions = [ScoreFusion([("v", SpeakerVerifier())]) for _ in range(2)]
    model = AugmentedTrainer(BandwidthRouter(*fusions), AddNoise())
    assert open_set_scorers(model) == fusions  # the outer fusions decide, not the verifiers they fuse
    set_threshold(model, 2.0, unknown_label=-5)
    assert [(f.threshold, f.unknown_label) for f in fusions] == [(2.0, -5)] * 2
    assert model.estimator.wideband.estimators[0][1].threshold is None


class _CountingVerifier(SpeakerVerifier):
    """Counts the recordings it scores (each one is embedded and scored once per call in a real model)."""

    scored = 0

    def speaker_scores(self, X):
        type(self).scored += len(X)
        return super().speaker_scores(X)


def test_predict_scores_every_recording_once_through_router_and_wrappers():
    # the CLI called predict and then speaker_scores: a speaker model embedded and scored each file twice
    from skvoice._train_predict import _predict_with_scores
    from skvoice.augment import telephone
    from skvoice.classifiers._open_set import predict_and_score

    rng = np.random.RandomState(0)
    waves = [rng.standard_normal(8000).astype("float32") * 0.1 for _ in range(24)]
    y = np.repeat(["ann", "bob", "cy"], 8)
    waves = [w + 0.3 * np.sin(2 * np.pi * (120 + 60 * k) * np.arange(8000) / 16000).astype("float32")
             for w, k in zip(waves, np.repeat([0, 1, 2], 8))]
    narrow = [telephone(w, 16000) for w in waves[::3]]

    def system():  # the robust recipe's shape: one fusion of front end + scorer pipelines per channel
        return ScoreFusion([("v", make_pipeline(MFCCExtractor(), StatsPooling(), StandardScaler(),
                                                _CountingVerifier(normalization=None, random_state=0)))], cv=2)

    model = AugmentedTrainer(BandwidthRouter(system(), system()), AddNoise(), n_copies=0).fit(waves, y)
    test = waves[:4] + narrow[:4]
    for threshold in (None, 3.0):
        set_threshold(model, threshold, unknown_label="unknown")
        expected = model.predict(test), model.speaker_scores(test)
        _CountingVerifier.scored = 0
        labels, scores = predict_and_score(model, test)
        assert _CountingVerifier.scored == len(test)  # each recording by the model of its channel, once
        np.testing.assert_array_equal(labels, expected[0])
        np.testing.assert_allclose(scores, expected[1])
        _CountingVerifier.scored = 0
        labels, best = _predict_with_scores(model, test)
        assert _CountingVerifier.scored == len(test)
        np.testing.assert_array_equal(labels, expected[0])
        np.testing.assert_allclose(best, expected[1].max(axis=1))
    assert "unknown" in set(labels) and len(set(labels) - {"unknown"}) > 0
    assert model.estimator_.is_narrowband(test).tolist() == [False] * 4 + [True] * 4


def test_predict_and_score_agrees_with_predict_and_speaker_scores():
    from skvoice.classifiers import GMMSpeakerClassifier
    from skvoice.classifiers._open_set import predict_and_score

    X, y, strangers = _embeddings()
    test = np.vstack([X[::7], strangers])
    piped = make_pipeline(StandardScaler(), SpeakerVerifier(normalization=None, threshold=np.log(99),
                                                            unknown_label="unknown", random_state=0)).fit(X, y)
    frames = np.empty(len(X), dtype=object)  # one 8-frame recording per row: a GMM model's ragged input
    frames[:] = [np.repeat(row[None, :4], 8, axis=0) for row in X]
    gmm = GMMSpeakerClassifier(n_components=1, n_init=1, random_state=0).fit(frames, y)
    for model, data in ((piped, test), (gmm, frames[::7])):
        labels, scores = predict_and_score(model, data)
        np.testing.assert_array_equal(labels, model.predict(data))
        np.testing.assert_allclose(scores, model[-1].speaker_scores(model[:-1].transform(data))
                                   if model is piped else model.speaker_scores(data))
    assert "unknown" in set(predict_and_score(piped, test)[0])


@pytest.fixture(scope="module")
def speaker_model(tmp_path_factory):
    """5 readers of the bundled sample enrolled with 4 utterances each; their other utterances and 5 strangers."""
    pytest.importorskip("skops")
    from skvoice.datasets import load_sample
    from skvoice.io import save_model

    data = load_sample(subset="test-other", target="speaker")
    files, speakers = np.asarray(data.filenames, dtype=object), np.asarray(data.speaker).astype(str)
    readers = sorted(set(speakers))
    enrolled = np.isin(speakers, readers[:5])
    first = np.zeros(len(files), dtype=bool)
    for r in readers[:5]:
        first[np.flatnonzero(speakers == r)[:4]] = True
    model = make_pipeline(MFCCExtractor(), StatsPooling(), StandardScaler(),
                          SpeakerVerifier(normalization=None, random_state=0))
    model.fit(files[first], speakers[first])
    path = tmp_path_factory.mktemp("open") / "speakers.skops"
    save_model(model, path)
    return path, model, list(files[enrolled & ~first]), list(files[~enrolled][::3])


def _rows(out):
    return list(csv.DictReader(io.StringIO(out)))


def test_predict_reports_the_best_speaker_score_and_rejects_below_the_threshold(speaker_model):
    path, model, genuine, strangers = speaker_model
    files = genuine + strangers
    best = model[-1].speaker_scores(model[:-1].transform(files)).max(axis=1)
    code, out, err = run_cli(["predict", "--model", path, *files, "--speech-check", "off"])
    assert code == 0, err
    rows = _rows(out)
    closed = [r["label"] for r in rows]
    assert set(closed) <= set(model.classes_)  # closed set: strangers get an enrolled label
    np.testing.assert_allclose([float(r["score"]) for r in rows], best, rtol=1e-5)
    assert "none of the enrolled" not in err
    threshold = float(np.median(best))
    code, out, err = run_cli(["predict", "--model", path, *files, "--speech-check", "off",
                              "--threshold", threshold, "--unknown-label", "nobody"])
    assert code == 0, err
    rows = _rows(out)
    for row, label, score in zip(rows, closed, best):
        assert float(row["score"]) == pytest.approx(score, rel=1e-5)  # also for the rejected rows
        assert row["label"] == (label if score >= threshold else "nobody"), row
    n_unknown = int(np.sum(best < threshold))
    assert 0 < n_unknown < len(files)
    assert f"{len(files)} of {len(files)} file(s) predicted" in err and f"({n_unknown} none of the enrolled" in err


def test_threshold_usage_errors(speaker_model, tmp_path):
    path, _, genuine, _ = speaker_model
    code, _, err = run_cli(["predict", "--model", path, genuine[0], "--unknown-label", "x"])
    assert code == 2 and "--unknown-label goes with --threshold" in err
    from sklearn.dummy import DummyClassifier

    from skvoice.io import save_model

    other = tmp_path / "dummy.skops"
    save_model(make_pipeline(MFCCExtractor(), StatsPooling(), DummyClassifier()).fit(genuine[:2], ["a", "b"]), other)
    code, _, err = run_cli(["predict", "--model", other, genuine[0], "--threshold", "1"])
    assert code == 2 and "holds no SpeakerVerifier or ScoreFusion" in err
    code, _, err = run_cli(["predict", "--model", path, genuine[0], "--threshold", "1", "--unknown-label",
                            str(speaker_model[1].classes_[0])])
    assert code == 2 and "is one of the enrolled speakers" in err
