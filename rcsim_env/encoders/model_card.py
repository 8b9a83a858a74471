"""The model card (``README.md``) of an exported encoder, in the sentence-transformers style.

The card opens with YAML front matter the Hugging Face hub reads (``library_name:
sentence-transformers``, ``pipeline_tag: sentence-similarity``, ``base_model``, ``tags``),
then says what the encoder is, how it was made (task, data, oracle, label budget, command)
and how it scored.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import rcsim_env
from rcsim_env.encoders.pooling import POOLING_MODES
from rcsim_env.encoders.resolve import DEFAULT_ALIASES, DEFAULT_MODEL_ID, is_hub_id

BASE_TAGS = ("sentence-transformers", "sentence-similarity", "feature-extraction", "rcsim")


@dataclass(frozen=True)
class ModelCard:
    """What the card of an exported encoder says; every field but ``base_model`` is optional.

    Attributes:
        base_model: the encoder it started from: a hub id or a folder (``None`` or
            ``"default"``: the default all-MiniLM-L6-v2). Only a hub id goes into the front
            matter's ``base_model``; a folder is named in the text.
        task: how it was trained, e.g. ``"RC-DDPG calibration"`` or ``"supervised fine-tuning"``.
        data: the sentence pairs it learned from, e.g. ``"STS-B train, 1,000 pairs"``.
        oracle: who gave the labels, e.g. ``"simulated judge (gold + noise 0.5)"``.
        label_budget: how many labels it was allowed.
        scores: figures to report, name -> value, e.g. ``{"STS-B test Spearman": 84.1}``.
        command: the command line that produced it.
        title: the card's heading (default: "rcsim sentence encoder").
        notes: free text added under its own heading.
        language: language code(s) for the front matter, e.g. ``"en"``.
        license: a license identifier for the front matter, e.g. ``"apache-2.0"``.
        datasets: hub dataset ids for the front matter.
        tags: extra tags (the sentence-transformers ones and ``rcsim`` are always there).
    """

    base_model: str | None = None
    task: str | None = None
    data: str | None = None
    oracle: str | None = None
    label_budget: int | None = None
    scores: Mapping[str, float] = field(default_factory=dict)
    command: str | None = None
    title: str = "rcsim sentence encoder"
    notes: str | None = None
    language: str | Sequence[str] | None = None
    license: str | None = None
    datasets: Sequence[str] = ()
    tags: Sequence[str] = ()

    def __post_init__(self) -> None:
        for name, value in self.scores.items():
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"ModelCard.scores[{name!r}] must be a number, got {value!r}")
        budget = self.label_budget
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
            raise ValueError(f"ModelCard.label_budget must be a non-negative int or None, got {budget!r}")

    @property
    def base_model_name(self) -> str:
        """``base_model`` with the default's aliases replaced by the default's hub id."""
        return DEFAULT_MODEL_ID if self.base_model in DEFAULT_ALIASES else str(self.base_model)

    @property
    def base_model_hub_id(self) -> str | None:
        """The base model's hub id, or None when it was a local folder."""
        name = self.base_model_name
        return name if "/" in name and is_hub_id(name) else None


_PLAIN_YAML = re.compile(r"[A-Za-z][A-Za-z0-9._/-]*")  # a letter first: never a number or a date
_YAML_KEYWORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


_YAML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _yaml_printable(code: int) -> bool:
    """True for characters YAML allows unescaped on one line (no control or line-break characters)."""
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        and code not in (0x2028, 0x2029)
        or (0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF)
    )


def _yaml_escape(char: str) -> str:
    code = ord(char)
    if char in _YAML_ESCAPES:
        return _YAML_ESCAPES[char]
    if _yaml_printable(code):
        return char
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _yaml_string(text: str) -> str:
    """``text`` as a one-line YAML scalar: plain when unambiguous, else double-quoted with escapes."""
    text = str(text)
    if _PLAIN_YAML.fullmatch(text) and text.lower() not in _YAML_KEYWORDS:
        return text
    return '"' + "".join(_yaml_escape(char) for char in text) + '"'


def _yaml_list(key: str, values: Sequence[str]) -> list[str]:
    return [f"{key}:", *(f"- {_yaml_string(value)}" for value in values)] if values else []


def _front_matter(card: ModelCard) -> str:
    """The YAML block between ``---`` lines that opens the card."""
    lines = ["library_name: sentence-transformers", "pipeline_tag: sentence-similarity"]
    if card.base_model_hub_id:
        lines.append(f"base_model: {_yaml_string(card.base_model_hub_id)}")
    language = [card.language] if isinstance(card.language, str) else list(card.language or [])
    lines += _yaml_list("language", language)
    if card.license:
        lines.append(f"license: {_yaml_string(card.license)}")
    lines += _yaml_list("datasets", list(card.datasets))
    lines += _yaml_list("tags", list(dict.fromkeys([*BASE_TAGS, *card.tags])))
    return "\n".join(["---", *lines, "---"])


def _cell(text: object) -> str:
    """Text safe on one Markdown line or table cell: whitespace runs flattened, pipes escaped."""
    flat = re.sub(r"\s+", " ", str(text)).strip()
    return flat.replace("\\", "\\\\").replace("|", "\\|")


def _figure(value: float) -> str:
    number = float(value)
    return "n/a" if math.isnan(number) else f"{number:.2f}"


def _code_block(text: str, language: str = "") -> list[str]:
    """``text`` in a fenced code block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", text, fence]


def render_card(card: ModelCard, *, dimension: int, max_length: int, pooling: str, normalize: bool) -> str:
    """The ``README.md`` text for an encoder with these settings, described by ``card`` (newline-ended)."""
    base = card.base_model_name
    base_text = f"[{base}](https://huggingface.co/{base})" if card.base_model_hub_id else f"`{base}`"
    made = f"fine-tuned from {base_text} by {_cell(card.task)}" if card.task else f"based on {base_text}"
    lines = [
        _front_matter(card),
        "",
        f"# {_cell(card.title)}",
        "",
        f"A [sentence-transformers](https://www.SBERT.net) model {made}, exported by rcsim. "
        f"It maps sentences to a {dimension}-dimensional dense vector space; "
        "compare two with cosine similarity.",
        "",
        "## Model details",
        "",
        f"- **Base model:** {base_text}",
        f"- **Maximum sequence length:** {max_length} tokens",
        f"- **Output dimensionality:** {dimension}",
        f"- **Pooling:** `{pooling}` ({POOLING_MODES.help_of(pooling)})"
        + (", then normalized to unit length" if normalize else ""),
        "- **Similarity function:** cosine similarity",
        f"- **Exported by:** rcsim {rcsim_env.__version__}",
    ]
    training = [
        ("Task", card.task),
        ("Data", card.data),
        ("Oracle", card.oracle),
        ("Label budget", f"{card.label_budget:,} labels" if card.label_budget is not None else None),
    ]
    given = [(name, value) for name, value in training if value]
    if given or card.command:
        lines += ["", "## Training", ""]
        lines += [f"- **{name}:** {_cell(value)}" for name, value in given]
        if card.command:
            lines += ["", "Produced by:", "", *_code_block(card.command, "bash")]
    if card.scores:
        lines += ["", "## Evaluation", "", "| Metric | Score |", "| --- | ---: |"]
        lines += [f"| {_cell(name)} | {_figure(value)} |" for name, value in card.scores.items()]
    if card.notes:
        lines += ["", "## Notes", "", card.notes.strip()]
    usage = (
        "from sentence_transformers import SentenceTransformer\n\n"
        'model = SentenceTransformer("path/to/this/folder")\n'
        'embeddings = model.encode(["A man is playing a guitar.", "Someone plays an instrument."])\n'
        "print(model.similarity(embeddings[:1], embeddings[1:]))"
    )
    rcsim_usage = (
        "from rcsim_env.encoders import SentenceEncoder\n\n"
        'encoder = SentenceEncoder.from_pretrained("path/to/this/folder")\n'
        'print(encoder.similarity(["A man is playing a guitar."], ["Someone plays an instrument."]))'
    )
    lines += ["", "## Usage", "", "With sentence-transformers:", "", *_code_block(usage, "python")]
    lines += ["", "With rcsim:", "", *_code_block(rcsim_usage, "python")]
    return "\n".join(lines) + "\n"
