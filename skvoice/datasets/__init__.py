"""Datasets: the bundled LibriSpeech sample, local LibriSpeech, audio folders, downloads, synthetic voices,
chunk protocols and verification trials."""

from ._fetch import clear_data_home, fetch_librispeech, get_data_home
from ._folder import load_folder
from ._librispeech import ENV_ROOT, get_librispeech_root, load_librispeech, read_speakers, select_speakers
from ._protocols import chunk_recordings, chunk_split, load_chunks, verification_trials
from ._sample import load_sample, load_speech
from ._synthetic import make_voices

__all__ = ["load_librispeech", "select_speakers", "read_speakers", "get_librispeech_root", "make_voices",
           "ENV_ROOT", "fetch_librispeech", "get_data_home", "clear_data_home",
           "load_sample", "load_speech", "load_folder", "chunk_recordings", "load_chunks", "chunk_split",
           "verification_trials"]
