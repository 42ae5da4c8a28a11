"""Public functions validate their parameters with scikit-learn's validate_params (InvalidParameterError)."""

import numpy as np
import pandas as pd
import pytest

from skvoice._sklearn_compat import InvalidParameterError
from skvoice._validation import check_names
from skvoice.analysis import (
    classification_table,
    cluster_purity,
    components_for_variance,
    outlier_table,
    pca_kmeans,
    plot_components_histogram,
    plot_confusion_matrix,
)
from skvoice.datasets import (
    chunk_recordings,
    chunk_split,
    load_librispeech,
    load_sample,
    select_speakers,
    verification_trials,
)
from skvoice.features import outlier_counts
from skvoice.metrics import actual_dcf, bayes_threshold, equal_error_rate, min_dcf, plot_det, trial_scores

FRAMES = np.random.RandomState(0).standard_normal((40, 3))
Y, S = [1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1]
SPEAKERS = pd.DataFrame({"speaker": list("abcd"), "gender": list("FFMM")})


@pytest.mark.parametrize("call, param", [
    (lambda: equal_error_rate(Y, S, return_threshold="yes"), "return_threshold"),
    (lambda: min_dcf(Y, S, p_target=0.0), "p_target"),
    (lambda: min_dcf(Y, S, c_miss=-1), "c_miss"),
    (lambda: min_dcf(Y, S, c_fa=np.inf), "c_fa"),  # the open interval (0, inf) leaves out inf itself
    (lambda: min_dcf(Y, S, normalize=None), "normalize"),
    (lambda: actual_dcf(Y, S, threshold="high"), "threshold"),
    (lambda: bayes_threshold(p_target=1.5), "p_target"),
    (lambda: plot_det(Y, S, hull=1.5), "hull"),
    (lambda: trial_scores(np.ones((2, 2)), [0, 1], [0, 1], trials=[(0, 1)]), "trials"),
    (lambda: outlier_counts(FRAMES, threshold=-1.0), "threshold"),
    (lambda: outlier_table(FRAMES, normalize="yes"), "normalize"),
    (lambda: components_for_variance([FRAMES], threshold=2), "threshold"),
    (lambda: plot_components_histogram([1, 2], bins=0), "bins"),
    (lambda: pca_kmeans(FRAMES, n_clusters=2, n_init="many"), "n_init"),
    (lambda: cluster_purity([0, 1], 3), "labels_pred"),
    (lambda: classification_table([0, 1], [0, 1], name=3), "name"),
    (lambda: plot_confusion_matrix([0, 1], [0, 1], colorbar="no"), "colorbar"),
    (lambda: load_librispeech("/nonexistent", max_per_speaker=0), "max_per_speaker"),
    (lambda: load_sample(subset="dev-clean"), "subset"),
    (lambda: select_speakers(SPEAKERS, -1, 1), "n_female"),
    (lambda: select_speakers(SPEAKERS.to_dict(), 1, 1), "frame"),
    (lambda: chunk_recordings([np.zeros(16000)], sample_rate=0), "sample_rate"),
    (lambda: chunk_split(pd.DataFrame({"recording": [0], "chunk": [0]}), test_size=1), "test_size"),
    (lambda: verification_trials(["a"], ["a"], n_nontarget=-1), "n_nontarget"),
])
def test_invalid_parameter_is_named(call, param):
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        call()


def test_domain_checks_remain_where_constraints_cannot_express_them():
    with pytest.raises(ValueError, match="threshold must be a real number or None"):
        actual_dcf(Y, S, threshold=np.nan)
    with pytest.raises(ValueError, match="threshold must be a number in"):
        components_for_variance([FRAMES], threshold=True)  # an int to scikit-learn, but not a share of variance
    with pytest.raises(ValueError, match="chunk_seconds=2"):
        chunk_recordings([np.zeros(16000)], min_seconds=2.5)


def test_check_names():
    assert check_names("a", ("a", "b"), param="p", what="thing") == ["a"]
    assert check_names(("b", "a"), ("a", "b"), param="p", what="thing") == ["b", "a"]
    with pytest.raises(ValueError, match="p must name at least one thing"):
        check_names([], ("a",), param="p", what="thing")
    with pytest.raises(ValueError, match=r"Unknown thing\(s\) \['c'\]; choose from \['a', 'b'\]"):
        check_names(["a", "c"], ("a", "b"), param="p", what="thing")
    with pytest.raises(ValueError, match="p has duplicates"):
        check_names(["a", "a"], ("a", "b"), param="p", what="thing")
