"""Protocols named after an anchor harness equal that harness's own scoring on hand-made edge cases.

Every expected number below was computed by hand from the anchor's code (parseq test.py and
CharsetAdapter, DTRB test.py/dataset.py, mmocr recog_metric.py, PaddleOCR rec_metric.py); the
comment next to each case gives the strings each anchor compares."""

from __future__ import annotations

import pytest

from strbench.builtin.metrics import METRICS
from strbench.builtin.protocols import PROTOCOLS
from strbench.run.protocols import protocol_from_json
from strbench.run.scoring import SamplePrediction, score

P = {p.id: p for p in PROTOCOLS}
M = {m.name: m for m in METRICS}

# (label, prediction): accented, full-width, a label that empties out, a space, a curly quote, case
CASES = [
    ("café", "café"),
    ("TEST", "ＴＥＳＴ"),
    ("!!", ""),
    ("New York", "NEWYORK"),
    ("it’s", "it's"),
    ("Hello", "hello"),
]


def _score(protocol: str, cases: list[tuple[str, str]] = CASES):
    preds = [SamplePrediction(str(i), label, pred, 1.0) for i, (label, pred) in enumerate(cases)]
    return score(preds, P[protocol], M)


@pytest.mark.parametrize(
    ("protocol", "evaluated", "accuracy", "ned"),
    [
        # parseq: labels cafe test (dropped: empty) newyork its hello; predictions through CharsetAdapter only:
        # caf '' newyork its hello -> 3/5 right; 1-NED (0.75 + 0 + 1 + 1 + 1) / 5
        ("parseq", 5, 60.0, 75.0),
        ("lower36", 5, 60.0, 75.0),  # parseq's rules (no label here is long)
        # --cased: cafe/caf, TEST/'', NewYork/NEWYORK (5 subs of 7), its/its, Hello/hello (1 of 5)
        ("parseq-cased", 5, 20.0, 100 * (0.75 + 0 + 2 / 7 + 1 + 0.8) / 5),
        ("cased62", 5, 20.0, 100 * (0.75 + 0 + 2 / 7 + 1 + 0.8) / 5),
        # --punctuation (lower + punctuation): '!!' stays a label (pred '' -> 0); it's keeps ' in the
        # prediction only (the label's ’ is folded away): its/it's = 0.75
        ("parseq-punctuation", 6, 100 * 2 / 6, 100 * (0.75 + 0 + 0 + 1 + 0.75 + 1) / 6),
        # DTRB --data_filtering_off: caf/caf, test/'', ''/'' (counted, right, NED adds 0), newyork, its, hello
        ("dtrb", 6, 100 * 5 / 6, 100 * 4 / 6),
        # DTRB --sensitive: café, 'New York', it’s dropped (outside the 94 characters); TEST/'' (0),
        # !!/'' (0), Hello/hello (0.8)
        ("dtrb-sensitive", 3, 0.0, 100 * 0.8 / 3),
        # PaddleOCR is_filter: caf/caf, test/'', ''/'' (right, distance 0), newyork, its, hello
        ("paddle-filter", 6, 100 * 5 / 6, 100 * 5 / 6),
        # mmocr: words raw (exact), lower-cased (ignore_case), reduced (ignore_case_symbol); 1-NED always on
        # the reduced text: caf/caf 1, test/'' 0, ''/'' 1, newyork 1, its 1, hello 1
        ("mmocr-exact", 6, 100 / 6, 100 * 5 / 6),
        ("mmocr-ignore-case", 6, 100 * 2 / 6, 100 * 5 / 6),
        ("mmocr-ignore-case-symbol", 6, 100 * 5 / 6, 100 * 5 / 6),
    ],
)
def test_anchor_word_accuracy_and_ned(protocol: str, evaluated: int, accuracy: float, ned: float) -> None:
    s = _score(protocol)
    assert s.evaluated == evaluated and s.evaluated + s.skipped == len(CASES)
    assert s.metrics["word_accuracy"] == pytest.approx(accuracy)
    assert s.metrics["one_minus_ned"] == pytest.approx(ned)


def test_dtrb_sensitive_names_why_labels_are_dropped() -> None:
    assert _score("dtrb-sensitive").skip_reasons == {"label has characters outside the charset": 3}


def test_mmocr_char_metrics_use_difflib_matching() -> None:
    # reduced text: caf/caf 3, test/'' 0, ''/'' 0, newyork 7, its 3, hello 5 -> 18 of 22 label chars,
    # 18 of 18 predicted; then aaaa vs abaa: difflib's equal blocks match 2 (an LCS would match 3)
    s = _score("mmocr-exact")
    assert s.metrics["char_recall"] == pytest.approx(100 * 18 / 22)
    assert s.metrics["char_precision"] == pytest.approx(100.0)
    d = _score("mmocr-ignore-case-symbol", [("abaa", "aaaa")])
    assert d.metrics["char_precision"] == pytest.approx(50.0) and d.metrics["char_recall"] == pytest.approx(50.0)
    lcs = _score("exact", [("abaa", "aaaa")])
    assert lcs.metrics["char_precision"] == pytest.approx(75.0)


def test_paddle_filters_before_lower_casing() -> None:
    # the Kelvin sign lower-cases to 'k' but is not in string.ascii_letters: PaddleOCR drops it first
    s = _score("paddle-filter", [("\u212a", "k")])
    assert s.metrics["word_accuracy"] == 0.0 and s.evaluated == 1


def test_long_labels_parseq_after_folding_dtrb_raw() -> None:
    spaced = " ".join("abcdefghijklmn")  # 27 raw characters, 14 after whitespace removal
    long = "a" * 26
    cases = [(spaced, "abcdefghijklmn"), (long, long)]
    parseq = _score("parseq", cases)
    assert parseq.evaluated == 1 and parseq.skip_reasons == {"label longer than 25 characters": 1}
    assert _score("lower36", cases).evaluated == 2 and _score("lower36", cases).long_labels == 1
    sensitive = _score("dtrb-sensitive", cases)  # the spaced label is long (raw) and has spaces
    assert sensitive.evaluated == 0
    assert _score("dtrb", cases).metrics["word_accuracy"] == 100.0


def test_stored_protocol_round_trips() -> None:
    from strbench.plugin.types import to_jsonable

    for p in PROTOCOLS:
        assert protocol_from_json({"key": p.key, **to_jsonable(p)}) == p
    old = protocol_from_json({"id": "lower36", "version": 1, "description": "", "unicode": "nfkd_ascii",
                              "case": "lower", "charset": "abc"})
    assert old.predictions == "same"  # a record of an older version keeps its own rules
