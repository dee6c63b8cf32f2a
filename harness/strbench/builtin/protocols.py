"""Built-in evaluation protocols (registered through the ``strbench_protocols`` hook, like a
plugin's; the core looks protocols up only through the plugin host)."""

from __future__ import annotations

from strbench import hookimpl
from strbench.run.protocols import DIGITS_CASED, DIGITS_LOWER, PRINTABLE94, Protocol

PROTOCOLS: tuple[Protocol, ...] = (
    Protocol(
        id="lower36", version=1,
        description="Academic default: NFKD to ASCII, whitespace removed, lower-cased, only 0-9a-z kept; "
                    "labels over 25 characters kept and counted; empty labels skipped and counted",
        unicode="nfkd_ascii", case="lower", charset=DIGITS_LOWER,
        reference="parseq test.py default charset; DTRB --data_filtering_off",
    ),
    Protocol(
        id="cased62", version=1,
        description="Case-sensitive alphanumerics: NFKD to ASCII, whitespace removed, only 0-9a-zA-Z kept",
        unicode="nfkd_ascii", case="keep", charset=DIGITS_CASED,
        reference="parseq test.py --cased",
    ),
    Protocol(
        id="full94", version=1,
        description="Case-sensitive with punctuation: NFKD to ASCII, whitespace removed, the 94 printable "
                    "ASCII characters kept",
        unicode="nfkd_ascii", case="keep", charset=PRINTABLE94,
        reference="parseq test.py --cased --punctuation",
    ),
    Protocol(
        id="paddle-filter", version=1,
        description="PaddleOCR RecMetric(is_filter=True, ignore_space=True): spaces removed, only "
                    "[0-9A-Za-z] kept, lower-cased; no unicode folding; empty labels kept (PaddleOCR "
                    "scores them)",
        unicode="none", case="lower", charset=DIGITS_LOWER,
        empty_labels="keep",
        reference="PaddleOCR ppocr/metrics/rec_metric.py",
    ),
    Protocol(
        id="mmocr-ignore-case-symbol", version=1,
        description="mmocr WordMetric ignore_case_symbol: lower-cased, every character matching "
                    "[^A-Za-z0-9\\u4e00-\\u9fa5^] removed (the '^' is kept, as mmocr's regex does); "
                    "whitespace removed by the same regex; empty labels kept",
        unicode="none", remove_whitespace=True, case="lower",
        keep_pattern="[A-Za-z0-9\u4e00-\u9fa5^]", empty_labels="keep",
        reference="mmocr mmocr/evaluation/metrics/recog_metric.py",
    ),
    Protocol(
        id="exact", version=1,
        description="Raw strings compared exactly as recognised and labelled (no normalisation)",
        unicode="none", remove_whitespace=False, case="keep",
    ),
)


@hookimpl
def strbench_protocols() -> list[Protocol]:
    return list(PROTOCOLS)
