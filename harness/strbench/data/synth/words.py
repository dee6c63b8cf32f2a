"""Word lists and label sampling.

Label kinds and rates (drawn per sample, independent of rendering):

=============  =====  ==============================================================================
kind           rate   what
=============  =====  ==============================================================================
word           0.72   one word of the word lists
compound       0.06   two words joined by ``-`` (70%), ``&``, ``/`` or ``.`` (10% each)
number         0.12   integer 1-6 digits 50%, decimal 15%, price ``$12.99`` 10%, ``a-b`` 10%,
                      percent 5%, time ``12:30`` 5%, ordinal ``21st`` 5%
random         0.10   random alphanumerics, length 1-10: lower+digits 40%, UPPER+digits 30%, mixed 30%
=============  =====  ==============================================================================

A word comes from one of the word lists picked uniformly (so a short common list such as wamerican
weighs as much as trdg's 466k words), then uniformly within it. Words and compounds are then cased lower 45% / Title 30% / UPPER 25% (:data:`CASE_RATES`), and
get punctuation with probability :data:`PUNCT_RATE`: a trailing ``.,!?:;`` (60%), wrapped in
quotes or brackets (20%) or a leading ``#@*`` (20%). Labels are at most :data:`MAX_LABEL`
characters of printable ASCII without spaces.
"""

from __future__ import annotations

import random
from pathlib import Path

from strbench.data.synth.fonts import trdg_dir
from strbench.errors import DataError

MAX_LABEL = 24
KIND_RATES: tuple[tuple[str, float], ...] = (("word", 0.72), ("compound", 0.06), ("number", 0.12), ("random", 0.10))
CASE_RATES: tuple[tuple[str, float], ...] = (("lower", 0.45), ("title", 0.30), ("upper", 0.25))
PUNCT_RATE = 0.12
DEFAULT_WORD_LIST = Path("/usr/share/dict/american-english")
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_DIGITS = "0123456789"
_ALNUM = (_LOWER + _DIGITS, _UPPER + _DIGITS, _LOWER + _UPPER + _DIGITS)


def default_word_files() -> list[Path]:
    """Debian wamerican's list and trdg's ``dicts/en.txt``, those that are installed."""
    files = [DEFAULT_WORD_LIST]
    trdg = trdg_dir()
    if trdg is not None:
        files.append(trdg / "dicts" / "en.txt")
    return [f for f in files if f.is_file()]


def usable(word: str) -> bool:
    """Printable ASCII, no spaces, 1..MAX_LABEL characters, not a possessive ``...'s`` form (those are
    29k of wamerican's 104k lines and would flood the labels with apostrophes)."""
    return 0 < len(word) <= MAX_LABEL and word.isascii() and word.isprintable() and " " not in word \
        and not word.endswith("'s")


def load_words(files: list[Path] | None = None) -> list[list[str]]:
    """The usable words of each of ``files`` (default :func:`default_word_files`), deduplicated, in file
    order; one list per file that has any."""
    if files is None:
        files = default_word_files()
        if not files:
            raise DataError(f"no word list found ({DEFAULT_WORD_LIST} nor trdg's dicts/en.txt); install Debian "
                            f"'wamerican' or 'pip install --no-deps trdg==1.8.0', or pass --words FILE")
    lists = []
    for path in files:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise DataError(f"cannot read word list {path}: {exc.strerror or exc}") from None
        words = list(dict.fromkeys(w for w in (line.strip() for line in text.splitlines()) if usable(w)))
        if words:
            lists.append(words)
    if not lists:
        raise DataError(f"no usable words in {', '.join(map(str, files))} (one word per line, printable ASCII, "
                        f"at most {MAX_LABEL} characters)")
    return lists


def _pick(r: random.Random, rates: tuple[tuple[str, float], ...]) -> str:
    u = r.random()
    for name, rate in rates:
        u -= rate
        if u < 0:
            return name
    return rates[-1][0]


def _case(r: random.Random, word: str) -> str:
    case = _pick(r, CASE_RATES)
    return word.lower() if case == "lower" else word.upper() if case == "upper" else word[:1].upper() + word[1:].lower()


def _punctuate(r: random.Random, text: str) -> str:
    u = r.random()
    if u < 0.6:
        return text + r.choice(".,!?:;")
    if u < 0.8:
        left, right = r.choice(('""', "''", "()", "[]"))
        return left + text + right
    return r.choice("#@*") + text


def _number(r: random.Random) -> str:
    u = r.random()
    n = str(r.randrange(10 ** r.randint(1, 6)))
    if u < 0.50:
        return n
    if u < 0.65:
        return f"{n}{r.choice('.,')}{r.randrange(100):02d}"
    if u < 0.75:
        return f"${r.randrange(1000)}" + (f".{r.randrange(100):02d}" if r.random() < 0.5 else "")
    if u < 0.85:
        return f"{r.randrange(1000)}-{r.randrange(10000)}"
    if u < 0.90:
        return f"{r.randrange(101)}%"
    if u < 0.95:
        return f"{r.randrange(24)}:{r.randrange(60):02d}"
    k = r.randint(1, 99)
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _word(r: random.Random, lists: list[list[str]]) -> str:
    words = lists[int(r.random() * len(lists))]
    return words[int(r.random() * len(words))]


def sample_label(r: random.Random, lists: list[list[str]]) -> tuple[str, str]:
    """One label and its kind (see the module table), drawn from ``r``; words come from a list picked
    uniformly, then uniformly within it."""
    kind = _pick(r, KIND_RATES)
    if kind == "number":
        return _number(r), kind
    if kind == "random":
        chars = r.choice(_ALNUM)
        return "".join(r.choices(chars, k=r.randint(1, 10))), kind
    text = _word(r, lists)
    if kind == "compound":
        joined = text + ("-" if r.random() < 0.7 else r.choice("&/.")) + _word(r, lists)
        text = joined if len(joined) <= MAX_LABEL else text
    text = _case(r, text)
    if r.random() < PUNCT_RATE and len(text) + 2 <= MAX_LABEL:
        text = _punctuate(r, text)
    return text, kind
