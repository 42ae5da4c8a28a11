"""Fitted estimators and pipelines survive pickle/joblib round trips; incompatible pickles fail clearly."""

import io
import pickle

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import skvoice
from skvoice import IncompatibleVersionError
from skvoice.classifiers import FrameVoteClassifier, GMMSpeakerClassifier
from skvoice.features import CMVN, MFCCExtractor, OutlierFilter, StatsPooling


def _joblib_round_trip(obj):
    buf = io.BytesIO()
    joblib.dump(obj, buf)
    buf.seek(0)
    return joblib.load(buf)


ROUND_TRIPS = ["pickle", "joblib"]


def _round_trip(obj, how):
    return pickle.loads(pickle.dumps(obj)) if how == "pickle" else _joblib_round_trip(obj)


@pytest.fixture(scope="module")
def features(voices):
    return MFCCExtractor(pitch=True).fit_transform(voices.waveforms)


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("make", [
    lambda: make_pipeline(MFCCExtractor(), CMVN(), FrameVoteClassifier(LogisticRegression(max_iter=500))),
    lambda: make_pipeline(MFCCExtractor(deltas=True), CMVN("per_recording"), OutlierFilter(method="iqr"),
                          GMMSpeakerClassifier(n_components=4, random_state=0)),
    lambda: make_pipeline(MFCCExtractor(), GMMSpeakerClassifier(n_components=4, ubm=True, random_state=0)),
    lambda: make_pipeline(MFCCExtractor(pitch=True), StatsPooling(("mean", "std", "median")),
                          LogisticRegression(max_iter=500)),
], ids=["mfcc-cmvn-framevote", "mfcc-cmvn-outliers-gmm", "mfcc-gmm-ubm", "mfcc-pooling-lr"])
def test_fitted_pipelines_round_trip(voices, make, how):
    pipe = make().fit(voices.waveforms, voices.speaker)
    again = _round_trip(pipe, how)
    assert np.array_equal(again.predict(voices.waveforms), pipe.predict(voices.waveforms))
    assert np.allclose(again.predict_proba(voices.waveforms), pipe.predict_proba(voices.waveforms))


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_transformers_round_trip(features, how):
    for est in (CMVN(), OutlierFilter(action="clip"), StatsPooling()):
        est.fit(features)
        again = _round_trip(est, how)
        a, b = est.transform(features), again.transform(features)
        assert all(np.array_equal(x, z) for x, z in zip(a, b))


def test_pickle_from_other_minor_version_is_refused(features, voices):
    clf = GMMSpeakerClassifier(n_components=2, random_state=0).fit(features, voices.speaker)
    data = pickle.dumps(clf).replace(skvoice.__version__.encode(), b"9.9.0")
    with pytest.raises(IncompatibleVersionError, match=r"pickled with skvoice 9\.9\.0.*refit"):
        pickle.loads(data)


def test_pickle_without_stamp_is_refused():
    state = CMVN().fit(np.ones((3, 2))).__getstate__()
    state.pop("_skvoice_version")
    obj = CMVN.__new__(CMVN)
    with pytest.raises(IncompatibleVersionError, match="no skvoice version stamp"):
        obj.__setstate__(state)


def test_pickle_holds_no_audio(voices):
    """A fitted MFCC pipeline pickles parameters and small models, never the training audio."""
    pipe = make_pipeline(MFCCExtractor(), CMVN(), FrameVoteClassifier(LogisticRegression(max_iter=500)))
    pipe.fit(voices.waveforms, voices.gender)
    audio_bytes = sum(w.nbytes for w in voices.waveforms)
    assert len(pickle.dumps(pipe)) < audio_bytes / 20


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_keras_frame_vote_pipeline_round_trip(voices, how):
    pytest.importorskip("scikeras")
    from skvoice.classifiers import DenseGenderClassifier

    pipe = make_pipeline(MFCCExtractor(pitch=True), CMVN(),
                         FrameVoteClassifier(DenseGenderClassifier(epochs=3, random_state=0), voting="soft",
                                             max_frames=50, random_state=0))
    pipe.fit(voices.waveforms, voices.gender)
    again = _round_trip(pipe, how)
    assert np.allclose(again.predict_proba(voices.waveforms), pipe.predict_proba(voices.waveforms), atol=1e-6)
    assert np.array_equal(again.predict(voices.waveforms), pipe.predict(voices.waveforms))


@pytest.mark.parametrize("name", ["features.MFCCExtractor", "features.CMVN", "features.OutlierFilter",
                                  "features.StatsPooling", "features.Wav2VecChunker", "features.SpeakerEmbedding",
                                  "classifiers.FrameVoteClassifier", "classifiers.GMMSpeakerClassifier",
                                  "classifiers.HubertGender", "classifiers.DenseGenderClassifier",
                                  "classifiers.CNN1DGenderClassifier", "classifiers.DenseSpeakerClassifier"])
def test_every_public_estimator_is_version_stamped(name):
    import importlib

    module, cls = name.split(".")
    est = getattr(importlib.import_module(f"skvoice.{module}"), cls)()
    data = pickle.dumps(est)
    assert type(pickle.loads(data)) is type(est)
    with pytest.raises(IncompatibleVersionError):
        pickle.loads(data.replace(skvoice.__version__.encode(), b"0.0.0"))
