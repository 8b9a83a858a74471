"""The SemEval STS annotation guidelines (Agirre et al.) that the page and the terminal oracle show."""

from __future__ import annotations

# One line per point of the 0-5 scale: (value, short name, description), highest first.
STS_GUIDELINES: tuple[tuple[int, str, str], ...] = (
    (5, "Completely equivalent", "The two sentences are completely equivalent, as they mean the same thing."),
    (4, "Mostly equivalent", "The two sentences are mostly equivalent, but some unimportant details differ."),
    (
        3,
        "Roughly equivalent",
        "The two sentences are roughly equivalent, but some important information differs or is missing.",
    ),
    (2, "Not equivalent, share details", "The two sentences are not equivalent, but share some details."),
    (1, "Not equivalent, same topic", "The two sentences are not equivalent, but are on the same topic."),
    (0, "Different", "The two sentences are completely dissimilar."),
)
