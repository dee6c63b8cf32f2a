"""What a model gets wrong, from a record's stored predictions: accuracy by label length, by case
class and by character class of the raw label; character confusions from a Levenshtein alignment
of the normalised label and prediction; the most often misread words."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz.distance import Levenshtein

from strbench.run.metrics import Scored

if TYPE_CHECKING:
    from strbench.run.protocols import Protocol
    from strbench.run.record import Record

LENGTH_BUCKETS = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 15), (16, 10**9))
GAP = "∅"


@dataclass(frozen=True)
class Sample:
    """One scored sample with where it came from."""

    dataset: str
    key: str
    raw_label: str
    raw_prediction: str
    scored: Scored

    @property
    def correct(self) -> bool:
        return self.scored.label == self.scored.prediction

    @property
    def confidence(self) -> float:
        return float(self.scored.confidence)

    @property
    def distance(self) -> int:
        """Edit distance between the normalised label and prediction."""
        return int(Levenshtein.distance(self.scored.label, self.scored.prediction))


def analysed_versions(record: dict[str, Any], wanted: Sequence[str] | None = None) -> list[str]:
    """The versions an analysis of ``record`` (its JSON) covers: ``wanted`` versions and suite groups,
    else the ``benchmark`` group when the record holds it complete, else every version it holds."""
    from strbench.errors import UsageError

    present = [d["name"] for d in record["datasets"]]
    groups = record.get("summary", {}).get("groups", {})
    if not wanted:
        bench = groups.get("benchmark", {})
        return list(bench["datasets"]) if bench.get("complete") else present
    out = []
    for name in wanted:
        members = groups.get(name, {}).get("datasets") or [name]
        for m in members:
            if m not in present:
                raise UsageError(f"{m!r} is not in the record; it holds {', '.join(present)}")
            out.append(m)
    return list(dict.fromkeys(out))


def record_samples(record_path: Path, record: Record, protocol: Protocol, versions: Sequence[str]) -> list[Sample]:
    """The scored samples of ``versions`` from the predictions file stored next to a record, in the
    record's order (versions in the order given, samples in file order within each)."""
    from strbench.run.records import predictions_path, read_predictions
    from strbench.run.scoring import SamplePrediction, score

    by_dataset: dict[str, list[SamplePrediction]] = defaultdict(list)
    for dataset, pred in read_predictions(predictions_path(record_path, record)):
        if dataset in versions:
            by_dataset[dataset].append(pred)
    samples = []
    for name in versions:
        raw = {p.key: p for p in by_dataset.get(name, [])}
        for key, sc in score(raw.values(), protocol, {}).samples:
            samples.append(Sample(name, key, raw[key].label, raw[key].prediction, sc))
    return samples


def length_bucket(n: int) -> str:
    for lo, hi in LENGTH_BUCKETS:
        if lo <= n <= hi:
            return f"{lo}-{hi}" if hi < 10**9 else f"{lo}+"
    return "0"


def case_class(label: str) -> str:
    letters = [c for c in label if c.isalpha()]
    if not letters:
        return "no letters"
    if all(c.islower() for c in letters):
        return "lower"
    if all(c.isupper() for c in letters):
        return "UPPER"
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return "Capitalised"
    return "MiXed"


def char_class(label: str) -> str:
    if any(ord(c) > 127 for c in label):
        return "non-ASCII"
    if any(not c.isalnum() for c in label):
        return "with punctuation/space"
    if label.isalpha():
        return "letters only"
    if label.isdigit():
        return "digits only"
    return "letters+digits"


def confusions(label: str, prediction: str) -> list[tuple[str, str]]:
    """(label char, predicted char) pairs of the edit operations; ``GAP`` for a missing side."""
    out = []
    for op in Levenshtein.editops(label, prediction):
        if op.tag == "replace":
            out.append((label[op.src_pos], prediction[op.dest_pos]))
        elif op.tag == "delete":
            out.append((label[op.src_pos], GAP))
        else:
            out.append((GAP, prediction[op.dest_pos]))
    return out


@dataclass
class Breakdown:
    """Right / total counts by class."""

    counts: dict[str, list[int]] = field(default_factory=dict)

    def add(self, name: str, correct: bool) -> None:
        c = self.counts.setdefault(name, [0, 0])
        c[0] += int(correct)
        c[1] += 1

    def rows(self, order: Iterable[str] | None = None) -> list[tuple[str, int, int, float]]:
        names = [n for n in (order or sorted(self.counts)) if n in self.counts]
        return [(n, self.counts[n][0], self.counts[n][1], 100.0 * self.counts[n][0] / self.counts[n][1])
                for n in names]


@dataclass
class ErrorReport:
    samples: int
    correct: int
    by_length: Breakdown
    by_case: Breakdown
    by_chars: Breakdown
    confusions: Counter[tuple[str, str]]
    wrong_words: Counter[str]
    misreadings: dict[str, Counter[str]]

    def length_rows(self) -> list[tuple[str, int, int, float]]:
        return self.by_length.rows([length_bucket(lo) for lo, _ in LENGTH_BUCKETS])


def analyse(samples: Iterable[Sample]) -> ErrorReport:
    rep = ErrorReport(0, 0, Breakdown(), Breakdown(), Breakdown(), Counter(), Counter(), {})
    for s in samples:
        rep.samples += 1
        rep.correct += s.correct
        rep.by_length.add(length_bucket(len(s.scored.label)), s.correct)
        rep.by_case.add(case_class(s.raw_label), s.correct)
        rep.by_chars.add(char_class(s.raw_label), s.correct)
        if not s.correct:
            rep.confusions.update(confusions(s.scored.label, s.scored.prediction))
            rep.wrong_words[s.scored.label] += 1
            rep.misreadings.setdefault(s.scored.label, Counter())[s.scored.prediction] += 1
    return rep


def marked(label: str, prediction: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Label and prediction as (char, differs) runs: the characters the alignment does not match."""
    lab = [False] * len(label)
    pred = [False] * len(prediction)
    for op in Levenshtein.editops(label, prediction):
        if op.tag in ("replace", "delete"):
            lab[op.src_pos] = True
        if op.tag in ("replace", "insert"):
            pred[op.dest_pos] = True
    return list(zip(label, lab)), list(zip(prediction, pred))
