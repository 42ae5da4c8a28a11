"""Estimator instances that more than one test module runs through its checks (importable: ``pythonpath``)."""

from sklearn.linear_model import LogisticRegression

from skvoice.classifiers import FrameVoteClassifier, GMMSpeakerClassifier
from skvoice.features import CMVN, MFCCExtractor, OutlierFilter, StatsPooling


def core_estimators():
    """The study's transformers and classifiers, in the settings the checks cover (fresh instances)."""
    return [
        CMVN(),
        CMVN(mode="per_recording"),
        CMVN(variance=False),
        OutlierFilter(),
        OutlierFilter(method="iqr", action="clip"),
        StatsPooling(),
        StatsPooling(stats=("mean", "std", "min", "max", "median", "skew", "kurtosis", "iqr", "var")),
        FrameVoteClassifier(LogisticRegression()),
        FrameVoteClassifier(LogisticRegression(), voting="soft", max_frames=5, random_state=0),
        GMMSpeakerClassifier(n_components=2, n_init=1, random_state=0),
        # mean-only MAP adaptation of a multi-component UBM cannot separate the checks' 2-D blobs well; one
        # component can
        GMMSpeakerClassifier(n_components=1, n_init=1, ubm=True, relevance_factor=4, random_state=0),
        MFCCExtractor(),
    ]


# scikit-learn's checks that fit with sample_weight: a composite whose models take no weights refuses them by name
SAMPLE_WEIGHT_CHECKS = ["check_sample_weights_pandas_series", "check_sample_weights_not_an_array",
                        "check_sample_weights_list", "check_sample_weights_shape",
                        "check_sample_weights_not_overwritten", "check_sample_weight_equivalence_on_dense_data",
                        "check_classifiers_one_label_sample_weights", "check_all_zero_sample_weights_error"]
