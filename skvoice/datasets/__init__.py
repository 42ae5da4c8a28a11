"""Datasets: the bundled LibriSpeech sample, local LibriSpeech, audio folders, downloads, synthetic voices."""

from ._fetch import clear_data_home, fetch_librispeech, get_data_home
from ._folder import load_folder
from ._librispeech import ENV_ROOT, get_librispeech_root, load_librispeech, read_speakers, select_speakers
from ._sample import load_sample
from ._synthetic import make_voices

__all__ = ["load_librispeech", "select_speakers", "read_speakers", "get_librispeech_root", "make_voices",
           "ENV_ROOT", "fetch_librispeech", "get_data_home", "clear_data_home",
           "load_sample", "load_folder"]
