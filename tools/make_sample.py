"""Regenerate the LibriSpeech sample bundled in skvoice (``skvoice/datasets/data/librispeech_sample``).

Usage (from the repository root, with skvoice importable)::

    python tools/make_sample.py [--source /path/to/LibriSpeech] [--dest skvoice/datasets/data/librispeech_sample]

``--source`` defaults to ``$SKVOICE_LIBRISPEECH``. The project's source copy holds ``test-other`` (10 readers x
6 utterances) and ``train-clean-100`` (151 readers x 1 utterance).

Selection rule (deterministic, made from file headers and SPEAKERS.TXT only; no model was run to choose it):

* every utterance of ``test-other`` (the only readers with several utterances: speaker identification);
* from ``train-clean-100``, each reader's shortest utterance, then, for each sex, the ``--per-sex`` readers (30)
  whose utterance is shortest (ties broken by speaker id). Shortest-first is what fits 60 readers into the size
  budget; it biases the train-clean-100 part towards shorter utterances (about 9.3 s on average instead of 12.8 s).

The FLAC files are copied byte for byte (lossless, unmodified) in LibriSpeech's own layout. The script also writes
a ``SPEAKERS.TXT`` holding the original header and the kept readers' lines verbatim, copies ``LICENSE.TXT``
(CC BY 4.0), writes ``manifest.csv`` (one row per file: path, subset, speaker, sex, duration, bytes, sha256) and
``README.md`` (attribution, rule, the same table), and fails if the result exceeds ``--budget`` bytes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import sys

from skvoice._audio import audio_info
from skvoice.datasets import read_speakers

SUBSETS = ("test-other", "train-clean-100")
DEFAULT_DEST = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "skvoice", "datasets", "data", "librispeech_sample")


def list_utterances(root, subset):
    """Rows (relative path, subset, speaker, chapter, utterance id, frames, sample rate) of one subset, sorted."""
    rows = []
    sub_dir = os.path.join(root, subset)
    for dirpath, dirnames, filenames in os.walk(sub_dir):
        dirnames.sort()
        for fn in sorted(filenames):
            if fn.endswith(".flac"):
                path = os.path.join(dirpath, fn)
                info = audio_info(path)
                speaker, chapter, _ = fn[:-5].split("-")
                rows.append(dict(path=os.path.relpath(path, root).replace(os.sep, "/"), subset=subset,
                                 speaker=speaker, chapter=chapter, utterance_id=fn[:-5], frames=info.frames,
                                 sample_rate=info.sample_rate))
    if not rows:
        raise SystemExit(f"no .flac files under {sub_dir}")
    return rows


def select(root, per_sex):
    """Apply the selection rule; return the kept rows (test-other first, then train-clean-100 by sex and length)."""
    sexes = read_speakers(os.path.join(root, "SPEAKERS.TXT"))["gender"]
    kept = list_utterances(root, "test-other")
    shortest = {}
    for row in list_utterances(root, "train-clean-100"):
        key = (row["frames"] / row["sample_rate"], row["utterance_id"])
        best = shortest.get(row["speaker"])
        if best is None or key < (best["frames"] / best["sample_rate"], best["utterance_id"]):
            shortest[row["speaker"]] = row
    for sex in ("F", "M"):
        pool = [r for s, r in shortest.items() if sexes.get(s) == sex]
        pool.sort(key=lambda r: (r["frames"] / r["sample_rate"], int(r["speaker"])))
        if len(pool) < per_sex:
            raise SystemExit(f"only {len(pool)} {sex} readers in train-clean-100, {per_sex} asked for")
        kept += pool[:per_sex]
    for row in kept:
        row["sex"] = sexes[row["speaker"]]
        row["duration"] = row["frames"] / row["sample_rate"]
    return kept


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_speakers(src, dst, speakers):
    """Copy SPEAKERS.TXT's comment header and the kept readers' lines, unchanged."""
    with open(src, encoding="utf-8") as fh, open(dst, "w", encoding="utf-8", newline="\n") as out:
        for line in fh:
            if line.startswith(";") or line.split("|", 1)[0].strip() in speakers:
                out.write(line)


def write_transcripts(root, dest, kept):
    """Keep the kept utterances' transcript lines when the source has ``*.trans.txt`` files (optional)."""
    by_chapter = {}
    for row in kept:
        by_chapter.setdefault(os.path.dirname(row["path"]), set()).add(row["utterance_id"])
    for chapter, uids in by_chapter.items():
        name = "-".join(chapter.split("/")[-2:]) + ".trans.txt"
        src = os.path.join(root, chapter, name)
        if os.path.isfile(src):
            with open(src, encoding="utf-8") as fh:
                lines = [line for line in fh if line.split(" ", 1)[0] in uids]
            with open(os.path.join(dest, chapter, name), "w", encoding="utf-8", newline="\n") as out:
                out.writelines(lines)


README_HEAD = """# LibriSpeech sample bundled with skvoice

A small subset of the LibriSpeech ASR corpus, shipped inside the skvoice package so that real speech works out
of the box: `skvoice.datasets.load_sample()`.

**Attribution.** LibriSpeech (c) 2014 by Vassil Panayotov; V. Panayotov, G. Chen, D. Povey and S. Khudanpur,
"LibriSpeech: an ASR corpus based on public domain audio books", ICASSP 2015. It is licensed under the Creative
Commons Attribution 4.0 International License (see `LICENSE.TXT`, <http://creativecommons.org/licenses/by/4.0/>).
The recordings are LibriVox readings; the readers are listed in `SPEAKERS.TXT` (an unchanged excerpt of
LibriSpeech's own file). No file was changed: the FLAC files are byte-identical copies (16 kHz, mono, lossless),
in LibriSpeech's layout `<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utterance>.flac`; `manifest.csv`
gives each file's SHA-256.

**Selection rule** (`tools/make_sample.py`, deterministic; made from file headers and SPEAKERS.TXT only, without
looking at any model result):

* all {n_other} utterances of `test-other` ({n_other_spk} readers: {other_sex}, 6 utterances each): the
  multi-utterance readers, for speaker identification on held-out utterances;
* from `train-clean-100` (one utterance per reader in the source copy), the {per_sex} female and {per_sex} male
  readers whose utterance is shortest (ties broken by speaker id): shortest-first is what fits this many readers
  into the 20 MB budget, at the price of shorter utterances than the subset's average.

Totals: {n_files} files, {n_spk} readers ({n_f} F, {n_m} M), {minutes:.1f} minutes of speech, {mbytes:.2f} MB of
audio.

| file | subset | speaker | sex | duration (s) |
|---|---|---|---|---|
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=os.environ.get("SKVOICE_LIBRISPEECH"),
                        help="LibriSpeech root with SPEAKERS.TXT, test-other/ and train-clean-100/")
    parser.add_argument("--dest", default=DEFAULT_DEST)
    parser.add_argument("--per-sex", type=int, default=30)
    parser.add_argument("--budget", type=int, default=20_000_000, help="maximum total size in bytes")
    args = parser.parse_args(argv)
    if not args.source:
        parser.error("give --source or set SKVOICE_LIBRISPEECH")
    root = os.path.abspath(args.source)
    dest = os.path.abspath(args.dest)

    kept = select(root, args.per_sex)
    for name in (*SUBSETS, "SPEAKERS.TXT", "LICENSE.TXT", "manifest.csv", "README.md"):
        target = os.path.join(dest, name)
        if os.path.isdir(target):
            shutil.rmtree(target)
        elif os.path.exists(target):
            os.remove(target)
    os.makedirs(dest, exist_ok=True)
    for row in kept:
        out = os.path.join(dest, row["path"])
        os.makedirs(os.path.dirname(out), exist_ok=True)
        shutil.copyfile(os.path.join(root, row["path"]), out)
        row["bytes"] = os.path.getsize(out)
        row["sha256"] = sha256(out)
        if row["sha256"] != sha256(os.path.join(root, row["path"])):
            raise SystemExit(f"copy of {row['path']} differs from its source")
    write_transcripts(root, dest, kept)
    write_speakers(os.path.join(root, "SPEAKERS.TXT"), os.path.join(dest, "SPEAKERS.TXT"),
                   {r["speaker"] for r in kept})
    shutil.copyfile(os.path.join(root, "LICENSE.TXT"), os.path.join(dest, "LICENSE.TXT"))

    fields = ["path", "subset", "speaker", "sex", "duration", "bytes", "sha256"]
    with open(os.path.join(dest, "manifest.csv"), "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(fields)
        for row in kept:
            writer.writerow([row["path"], row["subset"], row["speaker"], row["sex"], f"{row['duration']:.4f}",
                             row["bytes"], row["sha256"]])

    speakers = {r["speaker"]: r["sex"] for r in kept}
    other = {r["speaker"]: r["sex"] for r in kept if r["subset"] == "test-other"}
    head = README_HEAD.format(
        n_other=sum(r["subset"] == "test-other" for r in kept), n_other_spk=len(other),
        other_sex=f"{sum(s == 'F' for s in other.values())} F, {sum(s == 'M' for s in other.values())} M",
        per_sex=args.per_sex, n_files=len(kept), n_spk=len(speakers),
        n_f=sum(s == "F" for s in speakers.values()), n_m=sum(s == "M" for s in speakers.values()),
        minutes=sum(r["duration"] for r in kept) / 60, mbytes=sum(r["bytes"] for r in kept) / 1e6)
    with open(os.path.join(dest, "README.md"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(head)
        for row in kept:
            fh.write(f"| `{row['path']}` | {row['subset']} | {row['speaker']} | {row['sex']} | "
                     f"{row['duration']:.2f} |\n")

    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(dest) for f in fs)
    print(f"{len(kept)} files, {len(speakers)} readers, {total} bytes in {dest}")
    if total > args.budget:
        raise SystemExit(f"sample is {total} bytes, over the {args.budget}-byte budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
