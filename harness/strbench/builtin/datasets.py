"""Built-in dataset formats (clovaai LMDB and LMDB trees, folder + label file, PaddleOCR, ICDAR,
mmocr) and the benchmark suites (the standard six here, the others in ``benchmarks``)."""

from __future__ import annotations

from strbench import hookimpl
from strbench.builtin.benchmarks import SUITES
from strbench.data.annotations import (
    IcdarFormat,
    MmocrJsonFormat,
    MmocrJsonlFormat,
    MmocrTxtFormat,
    PaddleFormat,
)
from strbench.data.folder import FolderFormat
from strbench.data.lmdb_format import LmdbFormat
from strbench.data.lmdb_tree import LmdbTreeFormat
from strbench.data.suite import BenchmarkSuite, DatasetVersion

V = DatasetVersion

STANDARD = BenchmarkSuite(
    name="standard",
    description="The six regular/irregular English benchmarks with every common split version",
    versions=(
        V("IIIT5k_3000", "IIIT5K", 3000, ("IIIT5k_3000", "IIIT5K"),
          ("IIIT5K_3000/gt_cased.txt", "IIIT5K_3000/gt.txt", "IIIT5K/gt_cased.txt", "IIIT5K/gt.txt"),
          case_note="cased labels (gt_cased.txt) are used where present"),
        V("SVT_647", "SVT", 647, ("SVT", "SVT_647"), ("SVT_647/gt.txt", "SVT/gt.txt"),
          case_note="labels are upper-case only in the common copies, so cased scores measure the labels, not the model"),
        V("IC03_860", "IC03", 860, ("IC03_860",), ("IC03_860/gt.txt", "IC03/gt_860.txt"),
          case_note="labels are upper-case only in the common copies, so cased scores measure the labels, not the model"),
        V("IC03_867", "IC03", 867, ("IC03_867",), ("IC03_867/gt.txt", "IC03/gt_867.txt"),
          case_note="labels are upper-case only in the common copies, so cased scores measure the labels, not the model"),
        V("IC13_857", "IC13", 857, ("IC13_857",), ("IC13_857/gt.txt", "IC13/gt_857.txt")),
        V("IC13_1015", "IC13", 1015, ("IC13_1015",), ("IC13_1015/gt.txt", "IC13/gt_1015.txt")),
        V("IC13_1095", "IC13", 1095, ("IC13_1095",), ("IC13_1095/gt.txt", "IC13/gt_1095.txt"),
          note="full IC13 test set (not part of the usual averages)"),
        V("IC15_1811", "IC15", 1811, ("IC15_1811",), ("IC15_1811/gt.txt", "IC15/gt_1811.txt")),
        V("IC15_2077", "IC15", 2077, ("IC15_2077",), ("IC15_2077/gt.txt", "IC15/gt_2077.txt")),
        V("SVTP_645", "SVTP", 645, ("SVTP", "SVTP_645"), ("SVTP_645/gt.txt", "SVTP/gt.txt")),
        V("CUTE80_288", "CUTE80", 288, ("CUTE80", "CUTE80_288"), ("CUTE80_288/gt.txt", "CUTE80/gt.txt")),
    ),
    groups={
        # parseq / OpenOCR "common" six (IC13_857, IC15_1811)
        "benchmark_sub": ("IIIT5k_3000", "SVT_647", "IC13_857", "IC15_1811", "SVTP_645", "CUTE80_288"),
        # parseq "benchmark", mmocr and PaddleOCR RobustScanner six (IC13_1015, IC15_2077)
        "benchmark": ("IIIT5k_3000", "SVT_647", "IC13_1015", "IC15_2077", "SVTP_645", "CUTE80_288"),
        # clovaai DTRB: the ten versions of its Table 1
        "dtrb10": ("IIIT5k_3000", "SVT_647", "IC03_860", "IC03_867", "IC13_857", "IC13_1015",
                   "IC15_1811", "IC15_2077", "SVTP_645", "CUTE80_288"),
    },
    source="clovaai deep-text-recognition-benchmark README: data_lmdb_release.zip (evaluation/ holds every version) "
           "on Dropbox; parseq's data archive (data/test); the raw sets from their publishers (docs/datasets.md)",
    protocol_note="parseq/mmocr/OpenOCR report lower-case alphanumeric word accuracy (lower36 here)",
    # the split of the field's tables (parseq, DTRB, PaddleOCR): horizontal, mostly frontal text vs
    # incidental, perspective and curved text
    text_kinds={"regular": ("IIIT5K", "SVT", "IC03", "IC13"), "irregular": ("IC15", "SVTP", "CUTE80")},
)


@hookimpl
def strbench_dataset_formats() -> list:
    # Detection order: the specific layouts first, the tab label file (accepts any file) after them.
    return [LmdbFormat(), IcdarFormat(), MmocrJsonFormat(), MmocrJsonlFormat(), MmocrTxtFormat(),
            PaddleFormat(), FolderFormat(), LmdbTreeFormat()]


@hookimpl
def strbench_benchmark_suites() -> list:
    return [STANDARD, *SUITES]
