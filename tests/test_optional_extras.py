"""Without an optional extra, skvoice says which one to install (never a bare ``No module named 'torch'``).

Each test runs Python in a subprocess in which the extras' modules cannot be imported, as on a core-only install.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

# every optional module but skops (the io extra), as after ``pip install skvoice[io]``
BLOCKED = ["torch", "transformers", "keras", "scikeras", "resemblyzer", "webrtcvad", "_webrtcvad", "silero_vad",
           "onnxruntime", "noisereduce", "pyroomacoustics"]

PRELUDE = textwrap.dedent(f"""
    import sys

    class _NotInstalled:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {BLOCKED!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, _NotInstalled())
""")


def _python(code, *args, cwd=None):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_estimators_name_their_extra():
    code = """
        import json
        import numpy as np

        wave = [np.random.RandomState(0).standard_normal(16000).astype("float32") * 0.1]
        out = {}

        def attempt(name, f):
            try:
                f()
                out[name] = "no error"
            except ImportError as exc:
                out[name] = str(exc)

        def keras_net():
            from skvoice.classifiers import DenseGenderClassifier  # noqa: F401

        def recipe():
            from skvoice.recipes import gender_pipeline
            gender_pipeline().fit(wave * 4, ["F", "M", "F", "M"])

        from skvoice.features import SpeakerEmbedding, VoiceActivityDetector, Wav2VecChunker, XVectorEmbedding
        attempt("SpeakerEmbedding", lambda: SpeakerEmbedding().fit_transform(wave))
        attempt("Wav2VecChunker", lambda: Wav2VecChunker(model="/nowhere").fit_transform(wave))
        attempt("XVectorEmbedding", lambda: XVectorEmbedding(model="/nowhere").fit_transform(wave))
        attempt("silero", lambda: VoiceActivityDetector(method="silero").fit_transform(wave))
        attempt("keras", keras_net)
        attempt("recipe", recipe)
        import skvoice.classifiers
        ns = {}
        exec("from skvoice.classifiers import *", ns)
        out["star"] = sorted(k for k in ns if not k.startswith("__"))
        print(json.dumps(out))
    """
    run = _python(code)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.splitlines()[-1])
    assert "pip install 'skvoice[embeddings]'" in out["SpeakerEmbedding"]
    assert "pip install 'skvoice[torch]'" in out["Wav2VecChunker"]
    assert "pip install 'skvoice[torch]'" in out["XVectorEmbedding"]
    assert "pip install 'skvoice[vad]'" in out["silero"]
    assert "pip install 'skvoice[keras]'" in out["keras"]
    assert "pip install 'skvoice[embeddings]'" in out["recipe"]
    # a star import brings what this installation can import
    assert "GMMSpeakerClassifier" in out["star"] and "SpeakerVerifier" in out["star"]
    assert "DenseGenderClassifier" not in out["star"] and "HubertGender" not in out["star"]


def test_command_line_refuses_before_any_work(tmp_path):
    from skvoice.datasets import load_sample

    files = load_sample(subset="test-other").filenames[:2]
    data = tmp_path / "voices"
    for label, f in zip(("a", "b"), files):
        (data / label).mkdir(parents=True)
        os.symlink(f, data / label / os.path.basename(f))
    code = """
        import sys
        from skvoice.cli import main
        sys.exit(main(sys.argv[1:]))
    """
    run = _python(code, "predict", "gender", files[0])
    assert run.returncode == 2 and run.stdout == ""
    assert "needs the optional dependencies embeddings: pip install 'skvoice[embeddings]'" in run.stderr
    for task, extras in (("gender", "embeddings"), ("speaker", "embeddings,vad,denoise")):
        run = _python(code, "train", task, data, "--out", tmp_path / "m.skops")
        assert run.returncode == 2, run.stderr
        assert f"pip install 'skvoice[{extras}]'" in run.stderr and "checking" not in run.stdout + run.stderr
    run = _python(code, "train", "speaker", data, "--out", tmp_path / "m.skops", "--clean-audio")
    assert run.returncode == 2 and "pip install 'skvoice[embeddings,vad]'" in run.stderr
    run = _python(code, "info")
    assert run.returncode == 0, run.stderr
    assert "installed, but it needs pip install 'skvoice[embeddings]' to run" in run.stdout
    assert not (tmp_path / "m.skops").exists()


@pytest.mark.parametrize("module, name", [("robustness", "_robustness"), ("verification", "_speaker_verification")])
def test_study_recipe_steps_skip_without_their_extras(module, name, monkeypatch):
    import importlib
    import io
    import types

    import numpy as np

    import skvoice._optional as optional
    from skvoice.datasets import load_sample
    from skvoice.study.config import ReproduceConfig
    from skvoice.study.progress import Progress

    sample = load_sample(subset="test-other", target="speaker")
    corpus = types.SimpleNamespace(X=np.asarray(sample.filenames[:6], dtype=object),
                                   speaker=np.asarray(sample.speaker[:6]), gender=np.array(["F", "M"] * 3))
    monkeypatch.setattr(optional, "missing_extras", lambda extras: [e for e in extras if e in ("vad", "denoise")])
    stream = io.StringIO()
    progress = Progress(stream=stream, total=5)
    progress.done = 3
    context = types.SimpleNamespace(progress=progress, config=ReproduceConfig(quick=True, n_jobs=1),
                                    gender_corpus=corpus, speaker_corpus=corpus)
    result = getattr(importlib.import_module(f"skvoice.study.{module}"), name)(context, None)
    assert result.skipped == "needs pip install 'skvoice[vad,denoise]'" or (
        module == "verification" and result.skipped == "needs pip install 'skvoice[vad]'")
    assert result.failures() == []
    assert progress.total == progress.done == 3 and "skipped" in stream.getvalue()


class _NeedsAnExtra:
    """A model whose dependencies are missing: every call raises the ImportError that names the extra."""

    classes_ = ["a", "b"]

    def predict(self, X):
        raise ImportError("SpeakerEmbedding needs torch: pip install 'skvoice[embeddings]'")


def test_predict_stops_at_a_missing_dependency_instead_of_failing_every_file(tmp_path, monkeypatch):
    from cli_run import run_cli

    import skvoice.cli as cli
    from skvoice._train_predict import predict_rows
    from skvoice.datasets import load_sample

    files = list(load_sample(subset="test-other").filenames[:3])
    with pytest.raises(ImportError, match="embeddings"):  # not three rows that each say "ImportError"
        list(predict_rows(_NeedsAnExtra(), files))
    monkeypatch.setattr(cli, "_load_predict_model", lambda args: (_NeedsAnExtra(), "m.skops", list(args.inputs)))
    target = tmp_path / "labels.csv"
    target.write_text("earlier\n")
    code, _, err = run_cli(["predict", "--model", "m.skops", *files, "--speech-check", "off", "--output", target])
    assert code == 2 and "cannot run the model" in err and "skvoice[embeddings]" in err
    assert target.read_text() == "earlier\n"
