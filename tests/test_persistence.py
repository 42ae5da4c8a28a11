"""Fitted estimators and pipelines survive pickle/joblib round trips; incompatible pickles fail clearly."""

import io
import pickle
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import skvoice
from skvoice import IncompatibleVersionError
from skvoice.classifiers import FrameVoteClassifier, GMMSpeakerClassifier
from skvoice.features import CMVN, MFCCExtractor, OutlierFilter, StatsPooling
from skvoice.io import UntrustedModelError, load_model, read_model_metadata, save_model


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


# ---------------------------------------------------------------- model files that are damaged or not model files
def _tiny_model():
    return LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), ["F", "F", "M", "M"])


@pytest.fixture
def skops_file(tmp_path):
    return save_model(_tiny_model(), tmp_path / "model.skops", metadata={"task": "demo"})


def _readers(allow_pickle):
    return [lambda p: load_model(p, allow_pickle=allow_pickle),
            lambda p: read_model_metadata(p, allow_pickle=allow_pickle)]


def _assert_clear_error(path, match, allow_pickle):
    """Both readers raise a plain ValueError matching ``match`` that does not advise allow_pickle."""
    for read in _readers(allow_pickle):
        with pytest.raises(ValueError, match=match) as info:
            read(path)
        assert not isinstance(info.value, UntrustedModelError)
        assert "allow_pickle" not in str(info.value) and "--allow-pickle" not in str(info.value)


@pytest.mark.parametrize("allow_pickle", [False, True])
def test_truncated_skops_file_is_called_truncated_not_a_pickle(skops_file, tmp_path, allow_pickle):
    blob = open(skops_file, "rb").read()
    for n_bytes in (len(blob) // 2, len(blob) - 10, 4):  # cut anywhere: the zip's central directory is at its end
        cut = tmp_path / f"cut-{n_bytes}.skops"
        cut.write_bytes(blob[:n_bytes])
        _assert_clear_error(cut, r"truncated or damaged \.skops file \(an interrupted download or copy\?\)",
                            allow_pickle)


@pytest.mark.parametrize("allow_pickle", [False, True])
def test_empty_file_is_called_empty(tmp_path, allow_pickle):
    empty = tmp_path / "empty.skops"
    empty.write_bytes(b"")
    _assert_clear_error(empty, r"empty \(0 bytes\), not a model file", allow_pickle)


@pytest.mark.parametrize("allow_pickle", [False, True])
def test_audio_or_random_bytes_are_not_a_model_file(tmp_path, allow_pickle):
    sf = pytest.importorskip("soundfile")
    flac = tmp_path / "audio.skops"
    sf.write(flac, np.zeros(1600, "float32"), 16000, format="FLAC")
    _assert_clear_error(flac, r"is not a skvoice model file: neither a \.skops archive nor a joblib/pickle file "
                              r"\(\d+ bytes, starting with b'fLaC.*a FLAC audio file", allow_pickle)
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"\x00\x01" + np.random.default_rng(0).bytes(500))
    _assert_clear_error(junk, r"not a skvoice model file.*\(502 bytes, starting with b'\\x00\\x01", allow_pickle)


@pytest.mark.parametrize("compress", [0, 3, ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)],
                         ids=["plain", "zlib", "gzip", "bz2", "xz", "lzma"])
def test_truncated_pickle_is_refused_then_called_damaged(tmp_path, compress):
    path = tmp_path / "model.joblib"
    payload = {"skvoice_model_file": 1, "metadata": {"skvoice_version": skvoice.__version__}, "model": _tiny_model(),
               "weights": np.arange(2000.0)}
    joblib.dump(payload, path, compress=compress)
    assert load_model(path, allow_pickle=True).predict([[2.5]]).tolist() == ["M"]  # sound: loads as before
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    # still recognised as a pickle: refused without allow_pickle, with the advice how to load a pickle
    for read in _readers(False):
        with pytest.raises(UntrustedModelError, match="is a pickle.*allow_pickle=True"):
            read(path)
    # allowed, the damage is named instead of a bare EOFError / UnpicklingError / zlib.error
    for read in _readers(True):
        with pytest.raises(ValueError, match=r"is a damaged pickle \(joblib\) file or not a model file: "
                                             r"unpickling it failed with \w+.*interrupted download") as info:
            read(path)
        assert not isinstance(info.value, UntrustedModelError) and info.value.__cause__ is not None


@pytest.mark.parametrize("allow_pickle", [False, True])
def test_garbage_after_a_pickle_header_is_called_damaged(tmp_path, allow_pickle):
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x04" + bytes(range(97, 123)) * 4)
    if not allow_pickle:
        with pytest.raises(UntrustedModelError, match="allow_pickle=True"):
            load_model(path)
        return
    with pytest.raises(ValueError, match="damaged pickle") as info:
        load_model(path, allow_pickle=True)
    assert info.value.__cause__ is not None


@pytest.mark.parametrize("protocol", [0, 1])
def test_old_protocol_pickles_are_still_recognised(tmp_path, protocol):
    path = tmp_path / "model.pkl"
    model = _tiny_model()
    for obj in (model, {"m": model}, [model]):
        path.write_bytes(pickle.dumps(obj, protocol=protocol))
        with pytest.raises(UntrustedModelError, match="allow_pickle=True"):
            load_model(path)
        assert type(load_model(path, allow_pickle=True)) is type(obj)
    # no magic number recognised (a tuple): refused without allow_pickle, but loads when allowed, as before
    path.write_bytes(pickle.dumps((model,), protocol=protocol))
    with pytest.raises(ValueError, match="not a skvoice model file"):
        load_model(path)
    assert type(load_model(path, allow_pickle=True)[0]) is LogisticRegression


def _corrupt_member(path, member):
    """Overwrite bytes in the middle of ``member``'s compressed data (the archive stays a readable zip)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    blob = bytearray(open(path, "rb").read())
    start = info.header_offset + 30 + len(info.filename.encode()) + int.from_bytes(blob[info.header_offset + 28:
                                                                                         info.header_offset + 30],
                                                                                   "little")
    middle = start + info.compress_size // 2
    blob[middle:middle + 8] = bytes(b ^ 0xA5 for b in blob[middle:middle + 8])
    open(path, "wb").write(bytes(blob))


def test_damaged_skops_member_gives_a_clear_error(skops_file):
    assert zipfile.is_zipfile(skops_file)
    _corrupt_member(skops_file, "skvoice-metadata.json")
    assert zipfile.is_zipfile(skops_file)
    for read in _readers(False):
        with pytest.raises(ValueError, match=r"is a damaged \.skops file \(an interrupted download or copy\?\): "
                                             r"reading it failed with (BadZipFile|error)") as info:
            read(skops_file)
        assert not isinstance(info.value, UntrustedModelError) and info.value.__cause__ is not None


def test_damaged_skops_schema_gives_a_clear_error(skops_file):
    _corrupt_member(skops_file, "schema.json")
    assert read_model_metadata(skops_file)["task"] == "demo"  # the record is intact
    with pytest.raises(ValueError, match=r"is a damaged \.skops file") as info:
        load_model(skops_file)
    assert "allow_pickle" not in str(info.value)


def test_sound_files_still_load(skops_file, tmp_path):
    assert load_model(skops_file).predict([[2.5]]).tolist() == ["M"]
    assert read_model_metadata(skops_file)["task"] == "demo"
    zipped = tmp_path / "notes.skops"  # a zip archive, but not a .skops file: unchanged message
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(ValueError, match=r"zip archive but not a \.skops model file \(no schema\.json\)"):
        load_model(zipped)


@pytest.mark.parametrize("suffix", [".skops", ".joblib"])
def test_save_model_into_a_missing_folder_says_so(tmp_path, suffix):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(_tiny_model(), tmp_path / "missing" / f"model{suffix}")
    assert list(tmp_path.iterdir()) == []
