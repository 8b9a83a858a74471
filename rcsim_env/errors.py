"""Exceptions raised by rcsim_env, one per kind of bad input, so callers can catch them precisely."""

from __future__ import annotations


class RCSimError(Exception):
    """Base class of every error rcsim_env raises on purpose."""


class InvalidSentenceError(RCSimError, ValueError):
    """A sentence is not a string, is empty, or holds only whitespace."""


class DataFormatError(RCSimError, ValueError):
    """A data file has a malformed line; the message names the file and the 1-based line number."""

    def __init__(self, path: object, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class DataNotFoundError(RCSimError, FileNotFoundError):
    """A data set is in none of the searched data directories; the message lists them and how to get it."""


class ModelNotFoundError(RCSimError, OSError):
    """No encoder checkpoint could be loaded; the message says what to install or pass."""


class InvalidLabelError(RCSimError, ValueError):
    """An oracle label is not a finite number in [0, 5]."""


class InvalidActionError(RCSimError, ValueError):
    """An action is NaN, infinite, out of range or of the wrong shape."""


class LabelBudgetExhaustedError(RCSimError, RuntimeError):
    """The environment's label budget is spent: no more oracle queries are allowed."""


class UnknownNameError(RCSimError, KeyError, ValueError):
    """A name (of an oracle, a reward, an agent, a noise preset...) is not registered; the message lists
    the known ones. It is a ``KeyError`` (registries are mappings) and a ``ValueError`` (a bad setting)."""

    def __str__(self) -> str:  # KeyError would show the message quoted
        return str(self.args[0]) if self.args else ""


class UnknownPoolError(UnknownNameError, DataNotFoundError):
    """A pair pool is neither a registered pool name nor an existing pairs file; the message lists the
    registered names. It is both an :class:`UnknownNameError` and a :class:`DataNotFoundError`."""


class ScoreScaleWarning(UserWarning):
    """The scores of a pairs file may be on another scale than the one they are read on (0-1 vs 0-5)."""


class UnverifiedDownloadWarning(UserWarning):
    """A downloaded file could not be checked (in full) against a pinned SHA-256 digest."""


class InvalidArgumentError(RCSimError, ValueError, TypeError):
    """An argument or option has the wrong type or value; the message names it and says what is
    accepted. It is a ``ValueError`` (a bad setting) and a ``TypeError`` (a value of the wrong kind)."""


class RewardError(RCSimError, ValueError):
    """A reward function raised, or returned something other than a finite real number. The oracle's
    answer it was given is kept: the label is not asked for again."""
