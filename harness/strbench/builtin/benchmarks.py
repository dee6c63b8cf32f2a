"""The benchmark suites beyond the standard six: Union14M-Benchmark, parseq's new sets, OST,
WordArt and LTB, each with its versions, expected counts and the folder names and annotation
layouts of its public distributions (``docs/datasets.md`` says where to get them)."""

from __future__ import annotations

from strbench.data.suite import BenchmarkSuite, DatasetVersion

V = DatasetVersion


def _u14m(name: str, expected: int | None, note: str = "") -> DatasetVersion:
    """A Union14M-Benchmark subset: the LMDB copies (OpenOCR ``u14m/``) or the raw release
    (``Union14M-L/Union14M-Benchmarks/<subset>/annotation.json`` in mmocr 1.x format, with
    ``annotation.jsonl`` in mmocr 0.x format next to it)."""
    raw = ("Union14M-L/Union14M-Benchmarks", "Union14M-Benchmarks", "Union14M-Benchmark", "")
    layouts = tuple(f"{r}/{name}/annotation.json".lstrip("/") for r in raw) + tuple(
        f"{r}/{name}/annotation.jsonl".lstrip("/") for r in raw)
    return V(name, "Union14M", expected, (f"u14m/{name}", f"union14m/{name}", f"Union14M-LMDB/{name}", name),
             layouts, note=note)


UNION14M = BenchmarkSuite(
    name="union14m",
    description="Union14M-Benchmark (Jiang et al., ICCV 2023): seven challenge subsets and a general set",
    versions=(
        _u14m("curve", 2426),
        _u14m("multi_oriented", 1369),
        _u14m("artistic", 900),
        _u14m("contextless", 779),
        _u14m("salient", 1585),
        _u14m("multi_words", 829),
        _u14m("general", 400000, note="large: evaluated streaming"),
        _u14m("incomplete", None,
              note="published count not verified here: the found count is reported, not checked"),
    ),
    groups={
        # OpenOCR eval_rec_all_en.py "Union14M (7 subsets)"
        "union14m_7": ("curve", "multi_oriented", "artistic", "contextless", "salient", "multi_words", "general"),
        # the six challenge subsets without the 400k general set (quick comparisons)
        "challenges": ("curve", "multi_oriented", "artistic", "contextless", "salient", "multi_words"),
    },
    source="Union14M README (github.com/Mountchicken/Union14M): 'Union14M-L & Union14M-Benchmark' archive on "
           "Google Drive / Baidu Yun (12 GB with the training data); LMDB copies of the benchmark are "
           "distributed with OpenOCR (github.com/Topdu/OpenOCR, docs/svtrv2.md)",
    protocol_note="OpenOCR scores lower-case alphanumerics after removing spaces and characters outside the 94 "
                  "printable ASCII, test labels filtered to length <= 25; 'incomplete' is not in its 7-subset average",
)

PARSEQ_NEW = BenchmarkSuite(
    name="parseq-new",
    description="parseq's larger, more varied test sets: ArT, COCO-Text v1.4 and Uber-Text (test.py --new)",
    versions=(
        V("ArT", "ArT", 35149, ("ArT",), ("ArT/gt.txt",)),
        V("COCOv1.4", "COCO-Text", 9825, ("COCOv1.4", "COCO-Text", "COCOText"), ("COCOv1.4/gt.txt",)),
        V("Uber", "Uber-Text", 80551, ("Uber", "Uber-Text"), ("Uber/gt.txt",)),
    ),
    groups={"new": ("ArT", "COCOv1.4", "Uber")},
    source="parseq README (github.com/baudm/parseq), 'Datasets': the LMDB archive of its test sets (data/test/ArT, "
           "COCOv1.4, Uber) on Google Drive; counts as parseq's README table publishes them",
    protocol_note="parseq reports these with its 36-character (lower-case alphanumeric) protocol; 'Combined' "
                  "figures are sample-weighted",
)

OST = BenchmarkSuite(
    name="ost",
    description="Occluded Scene Text (VisionLAN, Wang et al., ICCV 2021): weakly and heavily occluded words",
    versions=(
        V("OST_weak", "OST", 2416, ("OST/weak", "OST/Weak", "OST_weak", "OST_w", "ost_weak"),
          ("OST/weak/gt.txt", "OST_weak/gt.txt")),
        V("OST_heavy", "OST", 2416, ("OST/heavy", "OST/Heavy", "OST_heavy", "OST_h", "ost_heavy"),
          ("OST/heavy/gt.txt", "OST_heavy/gt.txt")),
    ),
    groups={"ost": ("OST_weak", "OST_heavy")},
    source="VisionLAN README (github.com/wangyuxin87/VisionLAN): the OST LMDBs on Google Drive / Baidu Yun; "
           "also in OpenOCR's evaluation archive",
    protocol_note="the same 2,416 words in both: occluded weakly (one character stroke) or heavily (several); "
                  "OpenOCR reports both and their mean",
)

WORDART = BenchmarkSuite(
    name="wordart",
    description="WordArt (CornerTransformer, Xie et al., ECCV 2022): artistic text, test split",
    versions=(
        V("WordArt", "WordArt", 1511, ("WordArt", "wordart", "WordArt/test", "WordArt_test"),
          ("WordArt/test_label.txt", "WordArt/test/gt.txt", "WordArt/gt.txt")),
    ),
    source="WordArt README (github.com/xdxie/WordArt): the dataset archive on Google Drive (train and "
           "test images with label files); also in OpenOCR's evaluation archive",
    protocol_note="OpenOCR evaluates it with IC13_1015 and IC15_2077 as its 'WordArt' group",
)

LTB = BenchmarkSuite(
    name="ltb",
    description="Long Text Benchmark (SVTRv2/OpenOCR): words and lines longer than 25 characters",
    versions=(
        V("LTB", "LTB", 3376, ("ltb", "LTB", "long_text_benchmark"), ("LTB/gt.txt", "ltb/gt.txt"),
          note="keeps labels longer than 25 characters: use a protocol whose long_labels is 'keep' "
               "(every built-in protocol)"),
    ),
    source="OpenOCR (github.com/Topdu/OpenOCR, docs/svtrv2.md): the LTB LMDB in its evaluation archive",
    protocol_note="OpenOCR filters every other test set to labels of length <= 25 but not LTB",
)

SUITES = (UNION14M, PARSEQ_NEW, OST, WORDART, LTB)
