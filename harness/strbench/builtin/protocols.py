"""Built-in evaluation protocols (registered through the ``strbench_protocols`` hook, like a
plugin's; the core looks protocols up only through the plugin host).

Protocols named after an anchor harness reproduce that harness's own scoring of the same
predictions; ``tests/test_anchor_protocols.py`` checks each on hand-computed cases. The README's
protocol table states every rule."""

from __future__ import annotations

from strbench import hookimpl
from strbench.run.protocols import DIGITS_CASED, DIGITS_LOWER, DIGITS_LOWER_PUNCT, PRINTABLE94, Protocol

MMOCR_SYMBOLS = "[A-Za-z0-9\u4e00-\u9fa5^]"  # what mmocr's valid_symbol '[^A-Z^a-z^0-9^\u4e00-\u9fa5]' keeps
PARSEQ_REF = "parseq test.py, strhub/data/utils.py CharsetAdapter, strhub/data/dataset.py"


def _strbench(id: str, charset: str, case: str, what: str, ref: str) -> Protocol:
    return Protocol(
        id=id, version=2,
        description=f"{what}: labels lose whitespace and are NFKD-folded to ASCII, then {case} and reduced to "
                    f"the charset; predictions are only {case} and reduced to the charset (never folded, "
                    f"as parseq's CharsetAdapter); labels over 25 characters (after folding) kept and counted; "
                    f"empty labels skipped and counted",
        unicode="nfkd_ascii", case="lower" if case == "lower-cased" else "keep", charset=charset,
        predictions="charset_only", long_label_length="folded", reference=ref,
    )


def _parseq(id: str, charset: str, flags: str) -> Protocol:
    return Protocol(
        id=id, version=1,
        description=f"parseq test.py{flags}: labels lose whitespace, are NFKD-folded to ASCII, dropped if over "
                    f"25 characters, then CharsetAdapter (lower-cased when the charset is, other characters "
                    f"removed) and dropped if empty; predictions get CharsetAdapter only",
        unicode="nfkd_ascii", case="lower_if_charset_lower", charset=charset, predictions="charset_only",
        long_labels="skip", long_label_length="folded", reference=PARSEQ_REF,
    )


def _mmocr(id: str, version: int, mode: str, case: str, whitespace: bool, pattern: str | None) -> Protocol:
    return Protocol(
        id=id, version=version,
        description=f"mmocr WordMetric mode '{mode}' for word accuracy; 1-NED (OneMinusNEDMetric) and char "
                    f"precision/recall (CharMetric, difflib SequenceMatcher equal blocks) on lower-cased text "
                    f"reduced to [A-Za-z0-9\\u4e00-\\u9fa5^], as mmocr computes them in every mode; no unicode "
                    f"folding; empty labels kept",
        unicode="none", remove_whitespace=whitespace, case="lower" if case == "lower" else "keep",
        keep_pattern=pattern, empty_labels="keep", char_matching="difflib",
        char_metrics_keep_pattern=MMOCR_SYMBOLS, reference="mmocr mmocr/evaluation/metrics/recog_metric.py",
    )


PROTOCOLS: tuple[Protocol, ...] = (
    _strbench("lower36", DIGITS_LOWER, "lower-cased", "Academic default (parseq's rules, long labels kept)",
              "parseq test.py default charset"),
    _strbench("cased62", DIGITS_CASED, "case kept", "Case-sensitive alphanumerics (parseq --cased rules, long "
              "labels kept)", "parseq test.py --cased"),
    _strbench("full94", PRINTABLE94, "case kept", "Case-sensitive with punctuation (parseq --cased "
              "--punctuation rules, long labels kept)", "parseq test.py --cased --punctuation"),
    _parseq("parseq", DIGITS_LOWER, ""),
    _parseq("parseq-cased", DIGITS_CASED, " --cased"),
    _parseq("parseq-punctuation", DIGITS_LOWER_PUNCT, " --punctuation"),
    _parseq("parseq-cased-punctuation", PRINTABLE94, " --cased --punctuation"),
    Protocol(
        id="dtrb", version=1,
        description="DTRB test.py --data_filtering_off (its README's benchmark setting): labels and predictions "
                    "lower-cased and reduced to 0-9a-z (no whitespace or unicode step); long labels kept; labels "
                    "that become empty are counted; 1-NED adds 0 when the label or the prediction is empty",
        unicode="none", remove_whitespace=False, case="lower", charset=DIGITS_LOWER, empty_labels="keep",
        ned_empty="zero_if_either_empty",
        reference="deep-text-recognition-benchmark test.py validation(), dataset.py LmdbDataset",
    ),
    Protocol(
        id="dtrb-sensitive", version=1,
        description="DTRB test.py --sensitive (data filtering on): labels over 25 raw characters and labels with "
                    "any character outside the 94 printable ASCII characters (spaces, accents) dropped and "
                    "counted; case and punctuation kept; predictions reduced to the same charset; 1-NED adds 0 "
                    "when the label or the prediction is empty",
        unicode="none", remove_whitespace=False, case="keep", charset=PRINTABLE94, long_labels="skip",
        out_of_charset_labels="skip", empty_labels="keep", ned_empty="zero_if_either_empty",
        reference="deep-text-recognition-benchmark test.py, dataset.py LmdbDataset (filtering)",
    ),
    Protocol(
        id="paddle-filter", version=2,
        description="PaddleOCR RecMetric(is_filter=True, ignore_space=True): only [0-9A-Za-z] kept, then "
                    "lower-cased; no unicode folding; empty labels kept (PaddleOCR scores them)",
        unicode="none", case="lower", charset=DIGITS_CASED, case_stage="after_charset",
        empty_labels="keep", reference="PaddleOCR ppocr/metrics/rec_metric.py",
    ),
    _mmocr("mmocr-exact", 1, "exact", "keep", False, None),
    _mmocr("mmocr-ignore-case", 1, "ignore_case", "lower", False, None),
    _mmocr("mmocr-ignore-case-symbol", 2, "ignore_case_symbol", "lower", True, MMOCR_SYMBOLS),
    Protocol(
        id="exact", version=1,
        description="Raw strings compared exactly as recognised and labelled (no normalisation)",
        unicode="none", remove_whitespace=False, case="keep",
    ),
)


@hookimpl
def strbench_protocols() -> list[Protocol]:
    return list(PROTOCOLS)
