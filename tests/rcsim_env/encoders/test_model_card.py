"""The model card: sentence-transformers-style front matter the hub parses; any input keeps it well formed."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rcsim_env.encoders import DEFAULT_MODEL_ID, ModelCard, render_card
from rcsim_env.encoders.model_card import BASE_TAGS

FACTS = {"dimension": 384, "max_length": 256, "pooling": "mean", "normalize": True}


def parse(text: str):
    """The card as the Hugging Face hub library reads it (metadata and body)."""
    from huggingface_hub import ModelCard as HubCard

    return HubCard(text)


def test_a_full_card():
    card = ModelCard(
        base_model="default",
        task="RC-DDPG calibration",
        data="STS-B train, 1,000 pairs",
        oracle="simulated judge (gold + noise 0.5)",
        label_budget=1000,
        scores={"STS-B test Spearman": 84.08, "STS-B dev Spearman": math.nan},
        command="rcsim-calibrate --queries 1000 --seed 0",
        language="en",
        license="apache-2.0",
        datasets=["sentence-transformers/stsb"],
        tags=["rc-ddpg"],
    )
    text = render_card(card, **FACTS)
    parsed = parse(text)
    data = parsed.data.to_dict()
    assert data["library_name"] == "sentence-transformers"
    assert data["pipeline_tag"] == "sentence-similarity"
    assert data["base_model"] == DEFAULT_MODEL_ID
    assert data["tags"] == [
        "sentence-transformers",
        "sentence-similarity",
        "feature-extraction",
        "rcsim",
        "rc-ddpg",
    ]
    assert data["language"] == ["en"] and data["license"] == "apache-2.0"
    assert data["datasets"] == ["sentence-transformers/stsb"]
    body = parsed.text
    for expected in (
        "fine-tuned from [sentence-transformers/all-MiniLM-L6-v2]",
        "384-dimensional",
        "**Maximum sequence length:** 256 tokens",
        "`mean` (average of the token states under the mask), then normalized to unit length",
        "**Oracle:** simulated judge (gold + noise 0.5)",
        "**Label budget:** 1,000 labels",
        "| STS-B test Spearman | 84.08 |",
        "| STS-B dev Spearman | n/a |",
        "```bash\nrcsim-calibrate --queries 1000 --seed 0\n```",
        'SentenceTransformer("path/to/this/folder")',
    ):
        assert expected in body


def test_a_minimal_card_of_a_local_base_has_no_base_model_metadata():
    text = render_card(ModelCard(base_model="/data/models/my-encoder"), **FACTS)
    data = parse(text).data.to_dict()
    assert "base_model" not in data and data["library_name"] == "sentence-transformers"
    assert "based on `/data/models/my-encoder`" in text
    assert "## Training" not in text and "## Evaluation" not in text


hostile = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40).filter(
    lambda text: text.strip()
)


@settings(max_examples=60, deadline=None)
@given(
    tag=hostile,
    license=hostile,
    command=hostile,
    metric=hostile,
    oracle=hostile,
    score=st.floats(allow_nan=True, allow_infinity=False, width=32),
)
def test_any_text_keeps_the_card_well_formed(tag, license, command, metric, oracle, score):
    import yaml

    card = ModelCard(
        base_model="org/model",
        oracle=oracle,
        scores={metric: score},
        command=command,
        license=license,
        tags=[tag],
    )
    text = render_card(card, **FACTS)
    assert text.startswith("---\n")
    front, _, body = text[4:].partition("\n---\n")
    metadata = yaml.safe_load(front)
    assert metadata["license"] == license and metadata["base_model"] == "org/model"
    assert tag in metadata["tags"] and len(metadata["tags"]) == len({*BASE_TAGS, tag})
    # the score table keeps two columns whatever the metric's name holds
    rows = [
        line
        for line in body.splitlines()
        if line.startswith("| ") and "Score" not in line and "---" not in line
    ]
    assert len(rows) == 1 and re.sub(r"\\.", "", rows[0]).count("|") == 3
    # the command stays inside its fence
    fence_line = next(line for line in body.splitlines() if line.startswith("```bash"))
    fence = fence_line.removesuffix("bash")
    assert f"{fence}bash\n{command}\n{fence}\n" in body


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("scores", {"spearman": "84"}, r"scores\['spearman'\] must be a number"),
        ("scores", {"spearman": True}, "must be a number"),
        ("label_budget", -1, "non-negative int"),
        ("label_budget", 2.5, "non-negative int"),
        ("label_budget", True, "non-negative int"),
    ],
)
def test_bad_card_fields_are_refused(field, value, problem):
    with pytest.raises(ValueError, match=problem):
        ModelCard(base_model="org/model", **{field: value})
