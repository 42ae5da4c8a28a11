import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skvoice import load_audio
from skvoice.datasets import load_librispeech, load_sample, load_speech, read_speakers

ROOT = Path(__file__).resolve().parents[2]
BUDGET = 20_000_000  # bytes: the most the bundled sample may weigh


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def _manifest(root):
    with open(os.path.join(root, "manifest.csv"), encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_counts_per_subset_sex_and_speaker(sample):
    f = sample.frame
    assert f.shape == (120, 8) and f["speaker"].nunique() == 70
    per_speaker = f.groupby(["subset", "speaker"]).size()
    assert (per_speaker.loc["test-other"] == 6).all() and len(per_speaker.loc["test-other"]) == 10
    assert (per_speaker.loc["train-clean-100"] == 1).all() and len(per_speaker.loc["train-clean-100"]) == 60
    sexes = f.drop_duplicates("speaker").groupby(["subset", "gender"]).size().to_dict()
    assert sexes == {("test-other", "F"): 5, ("test-other", "M"): 5,
                     ("train-clean-100", "F"): 30, ("train-clean-100", "M"): 30}
    assert not set(per_speaker.loc["test-other"].index) & set(per_speaker.loc["train-clean-100"].index)


def test_gender_matches_bundled_speakers_txt(sample):
    table = read_speakers(os.path.join(sample.root, "SPEAKERS.TXT"))
    assert sorted(table.index) == sorted(f_spk := sample.frame["speaker"].unique()) and len(f_spk) == 70
    assert (sample.frame["gender"] == sample.frame["speaker"].map(table["gender"])).all()
    assert (sample.frame["subset"] == sample.frame["speaker"].map(table["subset"])).all()
    assert set(sample.speakers.index) == set(f_spk)


def test_files_exist_decode_and_match_manifest(sample):
    rows = _manifest(sample.root)
    assert sorted(r["path"] for r in rows) == sorted(
        os.path.relpath(p, sample.root).replace(os.sep, "/") for p in sample.filenames)
    by_path = {os.path.join(sample.root, *r["path"].split("/")): r for r in rows}
    for path, duration, speaker, sex in sample.frame[["path", "duration", "speaker", "gender"]].itertuples(
            index=False):
        row = by_path[path]
        assert (row["speaker"], row["sex"]) == (speaker, sex)
        assert float(row["duration"]) == pytest.approx(duration, abs=1e-3)
        assert _sha256(path) == row["sha256"] and os.path.getsize(path) == int(row["bytes"])
        y, sr = load_audio(path, sample_rate=None)
        assert sr == 16000 and y.ndim == 1 and len(y) / sr == pytest.approx(duration, abs=1e-3)
        assert np.abs(y).max() > 0.01  # real speech, not silence


def test_size_budget_and_attribution_files(sample):
    sizes = [os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(sample.root) for f in fs]
    assert sum(sizes) <= BUDGET, sum(sizes)
    license_text = Path(sample.root, "LICENSE.TXT").read_text()
    assert "Creative Commons Attribution 4.0" in license_text and "Panayotov" in license_text
    readme = Path(sample.root, "README.md").read_text()
    for row in _manifest(sample.root):  # the README lists every file with its speaker and sex
        assert f"| `{row['path']}` | {row['subset']} | {row['speaker']} | {row['sex']} |" in readme
    assert "CC BY 4.0" in sample.DESCR and "Panayotov" in sample.DESCR and "make_sample.py" in sample.DESCR


def test_bunch_and_frame_shapes(monkeypatch):
    monkeypatch.delenv("SKVOICE_LIBRISPEECH", raising=False)  # works with no configured LibriSpeech
    data = load_sample(subset="test-other", target="speaker")
    assert len(data.filenames) == 60 and data.target_names.size == 10
    assert data.target.tolist() == data.speaker.tolist()
    X, y = load_sample(return_X_y=True)
    assert X.shape == (120,) and X.dtype == object and set(y) == {"F", "M"}
    Xf, yf = load_sample(subset=["train-clean-100"], return_X_y=True, as_frame=True)
    assert isinstance(Xf, pd.DataFrame) and len(Xf) == 60 and "gender" not in Xf and yf.name == "gender"
    same = load_librispeech(load_sample().root, ["test-other", "train-clean-100"])
    assert same.frame.equals(load_sample().frame)
    with pytest.raises(ValueError, match="subset"):
        load_sample(subset="dev-clean")
    with pytest.raises(ValueError, match="target"):
        load_sample(target="age")


@pytest.mark.realdata
def test_sample_is_unmodified_librispeech(sample, librispeech_root):
    """Byte-identical to the source copy, and the sex/subset lines of SPEAKERS.TXT are the original ones."""
    original = read_speakers(os.path.join(librispeech_root, "SPEAKERS.TXT"))
    bundled = read_speakers(os.path.join(sample.root, "SPEAKERS.TXT"))
    assert bundled.equals(original.loc[bundled.index])
    for row in _manifest(sample.root):
        assert _sha256(os.path.join(librispeech_root, row["path"])) == row["sha256"], row["path"]


@pytest.mark.realdata
def test_make_sample_regenerates_the_bundled_sample(sample, librispeech_root, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "make_sample.py"), "--source", librispeech_root,
                           "--dest", str(tmp_path / "s")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("manifest.csv", "README.md", "SPEAKERS.TXT", "LICENSE.TXT"):
        assert (tmp_path / "s" / name).read_bytes() == Path(sample.root, name).read_bytes(), name
    # the rule: the 30 + 30 shortest train-clean-100 utterances of each sex, none longer than any left out
    full = load_librispeech(librispeech_root, "train-clean-100").frame
    kept = set(sample.frame.loc[sample.frame["subset"] == "train-clean-100", "speaker"])
    for sex in ("F", "M"):
        f = full[full["gender"] == sex]
        assert f.loc[f["speaker"].isin(kept), "duration"].max() <= f.loc[~f["speaker"].isin(kept), "duration"].min()


def test_load_speech_reads_the_sample_when_no_root_is_set(monkeypatch, sample):
    monkeypatch.delenv("SKVOICE_LIBRISPEECH", raising=False)
    data = load_speech("test-other", target="speaker")
    assert data.source == "LibriSpeech sample bundled with skvoice (test-other)"
    expected = sample.frame[sample.frame["subset"] == "test-other"]
    assert sorted(data.filenames) == sorted(expected["path"]) and set(data.target) == set(expected["speaker"])
    monkeypatch.setenv("SKVOICE_LIBRISPEECH", "")  # set but empty: as unset
    assert load_speech().source.startswith("LibriSpeech sample bundled")


def test_load_speech_reads_a_local_tree_first(monkeypatch, tmp_path, sample):
    # any LibriSpeech tree: here a copy of the sample's train-clean-100 with one reader left out
    import shutil

    root = tmp_path / "LibriSpeech"
    shutil.copytree(sample.root, root)
    shutil.rmtree(root / "test-other")
    gone = sorted(os.listdir(root / "train-clean-100"))[0]
    shutil.rmtree(root / "train-clean-100" / gone)
    monkeypatch.setenv("SKVOICE_LIBRISPEECH", str(root))
    data = load_speech("train-clean-100")
    assert data.source == f"LibriSpeech train-clean-100 at {root}" and len(data.filenames) == 59
    assert all(str(p).startswith(str(root)) for p in data.filenames)
    monkeypatch.delenv("SKVOICE_LIBRISPEECH")
    assert len(load_speech(root=root).filenames) == 59  # an explicit root, environment unset
    # a root that was asked for is never silently replaced by the sample
    with pytest.raises(FileNotFoundError, match="has no 'test-other' folder"):
        load_speech("test-other", root=root)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_speech(root=tmp_path / "missing")
