"""Evaluation test fixtures: tiny data folders in the real layouts, a fake encoder with known cosines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rcsim_env.data import locate

SENTENCES = (
    ("a man plays the guitar .", "a man is playing a guitar .", 4.8),
    ("a woman eats food .", "a dog sleeps in the house .", 0.4),
    ("two people sit in the park .", "two people sit on the field .", 3.6),
    ("a child reads a book .", "the child is reading a red book .", 4.0),
    ("a cat runs in the field .", "a big dog runs in the park .", 2.2),
    ("the red car is small .", "three people play piano .", 0.0),
    ("a woman plays the piano .", "a woman is playing piano .", 5.0),
    ("the dog eats food in the house .", "a cat sleeps on the car .", 1.0),
)


def write(path: Path, lines: Sequence[str]) -> Path:
    """Write ``lines`` (each ended by a newline) to ``path``, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def write_stsb(path: Path) -> Path:
    """An STS-B file in the original layout (7 tab-separated fields, no header)."""
    rows = [
        f"main-captions\tMSRvid\t2012test\t{i:04d}\t{s:.3f}\t{a}\t{b}"
        for i, (a, b, s) in enumerate(SENTENCES)
    ]
    return write(path, rows)


def write_sick(path: Path) -> Path:
    """A SICK file with its header; relatedness = STS score mapped from [0, 5] to [1, 5]."""
    header = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment"
    rows = [f"{i}\t{a}\t{b}\t{1 + 0.8 * s:.2f}\tNEUTRAL" for i, (a, b, s) in enumerate(SENTENCES, start=1)]
    return write(path, [header, *rows])


def write_mrpc(path: Path) -> Path:
    """An MRPC file with its header; a pair is a paraphrase when its STS score is at least 3."""
    header = "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String"
    rows = [f"{int(s >= 3)}\t{2 * i}\t{2 * i + 1}\t{a}\t{b}" for i, (a, b, s) in enumerate(SENTENCES)]
    return write(path, [header, *rows])


@pytest.fixture
def tiny_data_dir(tmp_path: Path, tiny_pairs) -> Path:
    """A data directory with small STS-B dev/test, SICK trial and MRPC train/test files."""
    root = tmp_path / "data"
    for split in ("dev", "test"):
        write_stsb(root / locate.STSB_FILES[split])
    write_sick(root / locate.SICK_FILES["trial"])
    for split in ("train", "test"):
        write_mrpc(root / locate.MRPC_FILES[split][0])
    return root


@pytest.fixture
def sandbox(no_data_anywhere: Path) -> Path:
    """A working directory where no data can be found (see the root conftest's ``no_data_anywhere``)."""
    return no_data_anywhere


# --- a fake encoder whose cosines are known exactly ------------------------------------------------
# The probe sentences are plain words (``probe(0.25) == "zero point two five"``) in the tiny model's
# vocabulary, so the tiny model, given the same SentEval tree, sees a distinct sentence per cosine.

ANCHOR = "a man plays the guitar ."
NUMBER_WORDS = {
    **dict(zip("0123456789", "zero one two three four five six seven eight nine".split(), strict=True)),
    ".": "point",
    "-": "minus",
}
NUMBER_CHARACTERS = {word: character for character, word in NUMBER_WORDS.items()}


def probe(cosine: float) -> str:
    """The sentence whose cosine with :data:`ANCHOR` under :class:`FakeEncoder` is ``cosine``.

    It spells the number out in words: ``probe(-0.05) == "minus zero point zero five"``.
    """
    text = format(float(cosine), ".6g")
    if any(character not in NUMBER_WORDS for character in text):
        raise ValueError(f"probe needs a cosine written with digits, '.' and '-' only, got {text!r}")
    return " ".join(NUMBER_WORDS[character] for character in text)


def probe_cosine(sentence: str) -> float:
    """The cosine :func:`probe` spelled as ``sentence``."""
    return float("".join(NUMBER_CHARACTERS[word] for word in sentence.split()))


class FakeEncoder:
    """Stands in for SentenceEncoder: :data:`ANCHOR` embeds as (1, 0), ``probe(x)`` as (x, sqrt(1 - x^2)).

    So ``cos(ANCHOR, probe(x)) == x`` exactly, which lets a test compute the expected
    correlations by hand.
    """

    ANCHOR = ANCHOR
    probe = staticmethod(probe)

    def encode(
        self,
        sentences: Sequence[str],
        batch_size: int = 64,
        normalize: bool = False,
        show_progress: bool = False,
    ) -> np.ndarray:
        """Return one unit 2-D row per sentence."""
        rows = []
        for sentence in sentences:
            x = 1.0 if sentence == ANCHOR else probe_cosine(sentence)
            rows.append((x, math.sqrt(max(0.0, 1.0 - x * x))))
        return np.array(rows, dtype=np.float32)

    def similarity(
        self,
        sentences_a: Sequence[str],
        sentences_b: Sequence[str],
        batch_size: int = 64,
        show_progress: bool = False,
    ) -> np.ndarray:
        """Exact cosines of the rows :meth:`encode` gives (float64)."""
        a, b = self.encode(sentences_a), self.encode(sentences_b)
        return np.sum(a * b, axis=1, dtype=np.float64)


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    """A :class:`FakeEncoder`."""
    return FakeEncoder()


# Three STS13 subsets: within each, cosine order matches gold order exactly (per-subset Spearman 100),
# but the subsets' levels disagree, so the pooled correlation is far lower. One blank gold line in OnWN.
STS13_DATA: dict[str, list[tuple[float, str]]] = {
    "FNWN": [(0.10, "3.0"), (0.20, "4.0"), (0.30, "5.0")],
    "headlines": [(0.70, "0.0"), (0.80, "1.0"), (0.90, "2.0")],
    "OnWN": [(0.40, "1.5"), (0.05, ""), (0.50, "2.0"), (0.60, "4.5")],
}


@pytest.fixture
def sts13_data() -> dict[str, list[tuple[float, str]]]:
    """:data:`STS13_DATA`: per subset, (cosine under FakeEncoder, gold line) rows."""
    return STS13_DATA


@pytest.fixture
def tiny_pairs(tiny_vocabulary) -> tuple[tuple[str, str, float], ...]:
    """:data:`SENTENCES`: the (sentence 1, sentence 2, STS score) rows of every tiny data file.

    Fails if a sentence holds a word outside the tiny model's vocabulary (``tiny_vocabulary``).
    """
    tiny_vocabulary.check(sentence for a, b, _ in SENTENCES for sentence in (a, b))
    return SENTENCES


@pytest.fixture
def senteval_root(tmp_path: Path, tiny_vocabulary) -> Path:
    """A SentEval tree with only STS13-en-test (built from :data:`STS13_DATA`); returns its parent folder.

    Its sentences are :data:`ANCHOR` and distinct probes, all in the tiny model's vocabulary
    (checked), so the tiny model gives each pair its own cosine.
    """
    root = tmp_path / "senteval"
    folder = root / "STS13-en-test"
    probes = [probe(cosine) for rows in STS13_DATA.values() for cosine, _ in rows]
    assert len(set(probes)) == len(probes), "two STS13 rows share a probe sentence"
    tiny_vocabulary.check([ANCHOR, *probes])
    for subset, rows in STS13_DATA.items():
        write(folder / f"STS.input.{subset}.txt", [f"{ANCHOR}\t{probe(cosine)}" for cosine, _ in rows])
        write(folder / f"STS.gs.{subset}.txt", [gold for _, gold in rows])
    return root
