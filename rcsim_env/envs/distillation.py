"""``RCSim/SentenceDistillation-v0``: walk the words of a sentence pair, keep or drop each one;
a Siamese critic judges what is left (Chen et al. 2020)."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs.common import (
    RENDER_MODES,
    build_pair_pool,
    check_render_mode,
    checked_reset_options,
    pair_position,
    render_text,
)
from rcsim_env.envs.similarity import EpisodeStateError
from rcsim_env.errors import InvalidActionError, InvalidArgumentError
from rcsim_env.validation import short_repr, validate_int, validate_real

REWARDS = ("contrastive", "correct", "absolute")
RESET_OPTIONS = ("pair_id",)
DROP, KEEP = 0, 1
DEFAULT_MARGIN = 1.0
DEFAULT_MAX_WORDS = 30


@runtime_checkable
class DistillationCritic(Protocol):
    """What the environment needs from a critic.

    The default, :class:`~rcsim_env.envs.distillation_critic.AveragedWordVectorCritic`, needs no
    training; the agents' Siamese co-attention LSTM (``agents.distillation.SiameseEnvCritic``) is
    the learned one.

    Attributes:
        hidden_size: H, the size of the first LSTM layer's hidden and cell states.
        word_dim: E, the size of a word vector.
        word_bound: a bound on the absolute value of every word-vector entry (the
            observation space's bound on that part; larger entries are clipped to it).
    """

    hidden_size: int
    word_dim: int
    word_bound: float

    def split_words(self, sentence: str) -> list[str]:
        """The words of a sentence, in order (at least one for a non-blank sentence)."""

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """A float32 array (len(words), E) of the words' vectors."""

    def first_layer_step(
        self, vector: np.ndarray, hidden: np.ndarray, cell: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Feed one word vector (E,) into the first LSTM layer; returns the new (hidden, cell), each (H,)."""

    def distance(self, words_a: Sequence[str], words_b: Sequence[str]) -> float:
        """The critic's distance ||h_a - h_b||_1 >= 0 between two (possibly empty) word lists."""


def distillation_reward(
    distance: float | np.ndarray,
    label: float | np.ndarray,
    kind: str = "contrastive",
    margin: float = DEFAULT_MARGIN,
) -> float | np.ndarray:
    """The terminal reward of a distilled pair from the critic's distance D and the label y in [0, 1].

    - ``"contrastive"``: minus the pair's contrastive loss, -(y D^2 + (1 - y) max(margin - D, 0)^2) / 2;
    - ``"correct"``: 1 when the similarity exp(-D) falls on the label's side of 0.5, else 0;
    - ``"absolute"``: -|exp(-D) - y|.

    Works elementwise on arrays (returns an array) and on numbers (returns a float).
    """
    if kind not in REWARDS:
        raise ValueError(f"reward must be one of {REWARDS}, got {kind!r}")
    d = np.asarray(distance, dtype=np.float64)
    y = np.asarray(label, dtype=np.float64)
    if kind == "contrastive":
        value = -0.5 * (y * d**2 + (1.0 - y) * np.maximum(margin - d, 0.0) ** 2)
    elif kind == "correct":
        value = ((np.exp(-d) >= 0.5) == (y >= 0.5)).astype(np.float64)
    else:
        value = -np.abs(np.exp(-d) - y)
    return float(value) if value.ndim == 0 else value


def episode_reward(
    distance: float | np.ndarray,
    label: float | np.ndarray,
    dropped_fraction: float | np.ndarray,
    kind: str = "contrastive",
    margin: float = DEFAULT_MARGIN,
    drop_bonus: float = 0.0,
) -> float | np.ndarray:
    """A finished episode's reward: :func:`distillation_reward` + ``drop_bonus`` x the share of words dropped.

    The bonus is ID-LSTM's (Zhang et al. 2018, which the paper builds on): without it nothing
    pays the policy for dropping a word the critic does not need. 0 turns it off.
    """
    total = distillation_reward(distance, label, kind, margin) + drop_bonus * np.asarray(
        dropped_fraction, dtype=np.float64
    )
    return float(total) if np.ndim(total) == 0 else total


def validate_action(action: object) -> int:
    """Return ``action`` as 0 (drop) or 1 (keep).

    Accepts a Python or NumPy integer, or an integer array with one element. Booleans,
    floats (NaN included), strings, bytes, object or text arrays, other shapes and values
    other than 0 and 1 (however large) raise :class:`~rcsim_env.errors.InvalidActionError`
    (a ValueError) naming the action.
    """
    value = action
    if isinstance(value, np.ndarray):
        if value.size != 1 or value.ndim > 1:
            raise InvalidActionError(
                f"action must be 0 (drop) or 1 (keep), got an array of shape {value.shape}"
            )
        if not np.issubdtype(value.dtype, np.integer):
            raise InvalidActionError(
                f"action must be an integer 0 or 1, got {value.dtype} array {short_repr(value.tolist())}"
            )
        value = value.reshape(-1)[0]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidActionError(
            "action must be an integer 0 (drop) or 1 (keep), got "
            f"{type(action).__name__}: {short_repr(action)}"
        )
    if value not in (DROP, KEEP):
        raise InvalidActionError(f"action {short_repr(value)} is out of range; use 0 (drop) or 1 (keep)")
    return int(value)


class SentenceDistillationEnv(gym.Env):
    """Read a sentence pair word by word and keep or drop each word; the critic judges the rest.

    ## Episodes
    One episode is one pair: first every word of sentence A, then every word of
    sentence B (each cut to its first ``max_words`` words, as the paper cut its inputs at
    30). Pairs come in a random order drawn from ``self.np_random``, reshuffled at each
    pass over the pool and at every seeded reset.

    ## Action space
    ``Discrete(2)``: 0 drops the current word, 1 keeps it (a Python or NumPy integer, or an
    integer array of one element). Anything else (a float, NaN, a bool, text, an object
    array, 2, -1, 10**400) raises :class:`~rcsim_env.errors.InvalidActionError`, a ValueError.

    ## Observation space
    float32 ``Box(low, high, (2H + E,))``: the state of the paper, [c, h, w], the cell
    and hidden state of the critic's first LSTM layer after the words of the current
    sentence kept so far (zeros at the start of each sentence), then the current word's
    vector. After the last word, w is zeros. Bounds: |c| <= ``max_words`` (an LSTM cell
    grows by less than 1 per word), |h| <= 1, |w| <= the critic's ``word_bound``.

    ## Rewards
    0 for every word but the last; after the last word of B the critic measures the
    distance D between the distilled sentences and the reward is
    :func:`distillation_reward` of D and the label (``"contrastive"``, the default: minus
    the contrastive loss with ``margin``; ``"correct"``; ``"absolute"``), plus ``drop_bonus``
    times the share of the pair's words dropped (:func:`episode_reward`). A sentence that
    lost every word is judged as an empty sentence (the critic's zero vector).

    ## Episode end
    ``terminated`` after the last word of B. ``truncated`` when ``max_steps`` decisions
    have been made before that (a time limit: the pair is not judged, the reward is 0
    and ``info["judged"]`` is False).

    ## Info
    Every step: ``pair_id``, ``word``, ``kept``, ``sentence`` ("a" or "b"), ``position``
    and ``judged``. When judged: ``distance``, ``similarity`` (exp(-D)), ``label``,
    ``distilled_a``, ``distilled_b`` (kept words joined by spaces) and ``keep_fraction``.

    ## Reset options
    ``{"pair_id": id}`` (a ``str``) serves that pair next. Options that are not a dict,
    unknown options and a ``pair_id`` that is not text or not in the pool raise
    :class:`~rcsim_env.errors.InvalidArgumentError` (a ValueError) before anything changes.

    ## Arguments
    ``max_words`` (>= 1) and ``max_steps`` (>= 1 or None) must be integers (not bools,
    floats or text); ``label_scale`` and ``margin`` finite numbers > 0, ``drop_bonus`` >= 0
    (not bools or text). Anything else raises :class:`~rcsim_env.errors.InvalidArgumentError`
    naming the argument and what it accepts.

    ## Rendering (``render_mode=``)
    ``"ansi"``: ``render()`` returns the pair with each word marked (dropped ``-word``,
    undecided ``?word``) and the last judgement as text; ``"human"``: prints that text;
    ``"rgb_array"``: returns it drawn as a uint8 image of shape (480, 640, 3), for
    Gymnasium's ``RecordVideo`` and SB3's ``VecVideoRecorder`` (drawn only when
    ``render()`` is called).

    ## Stable-Baselines3 and vector environments
    ``stable_baselines3.common.env_util.make_vec_env("RCSim/SentenceDistillation-v0",
    env_kwargs=...)`` works as is, with any SB3 algorithm for a ``Discrete`` action space.
    Forked ``AsyncVectorEnv`` workers run torch with one intra-op thread, so that the critic
    cannot deadlock in OpenMP (see :mod:`rcsim_env.fork_safety`); pass
    ``vector_kwargs={"context": "spawn"}`` to start them fresh instead.

    Args:
        pairs: the pool (``ScoredPair``s, ``(a, b, score)`` tuples or dicts) with scores in
            ``[0, label_scale]``; default MRPC ``split``.
        critic: a :class:`DistillationCritic`; default an
            :class:`~rcsim_env.envs.distillation_critic.AveragedWordVectorCritic` over the pool's words.
        encoder: for the default critic: a :class:`~rcsim_env.encoders.SentenceEncoder` or
            a model name/path whose input word embeddings give the word vectors (default:
            the bundled all-MiniLM-L6-v2).
        label_scale: the pool's score scale; labels are ``score / label_scale`` (MRPC 1, STS-B 5).
        reward: ``"contrastive"``, ``"correct"`` or ``"absolute"``.
        margin: the contrastive margin on the distance.
        drop_bonus: reward per share of words dropped (>= 0; 0: none).
        max_words: words kept per sentence before the episode starts (>= 1).
        max_steps: decisions per episode before truncation (None: no limit).
        data_dir: where to look for MRPC when ``pairs`` is None.
        split: the MRPC split of the default pool.
        render_mode: ``"ansi"`` (render returns text), ``"human"`` (render prints it) or
            ``"rgb_array"`` (render returns the text drawn as an RGB image).
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 4}

    def __init__(
        self,
        pairs: Sequence[ScoredPair | tuple | dict] | None = None,
        critic: DistillationCritic | None = None,
        encoder: Any = None,
        label_scale: float = 1.0,
        reward: str = "contrastive",
        margin: float = DEFAULT_MARGIN,
        drop_bonus: float = 0.0,
        max_words: int = DEFAULT_MAX_WORDS,
        max_steps: int | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        split: str = "train",
        render_mode: str | None = None,
    ):
        if not (isinstance(reward, str) and reward in REWARDS):
            raise InvalidArgumentError(f"reward must be one of {REWARDS}, got {short_repr(reward)}")
        margin = validate_real(margin, "margin", 0.0, exclusive=True)
        drop_bonus = validate_real(drop_bonus, "drop_bonus", 0.0)
        label_scale = validate_real(label_scale, "label_scale", 0.0, exclusive=True)
        max_words = validate_int(max_words, "max_words", 1)
        max_steps = validate_int(max_steps, "max_steps", 1, allow_none=True)
        check_render_mode(render_mode, self.metadata["render_modes"])
        self.label_scale = label_scale
        self.pairs = self._build_pool(pairs, data_dir, split)
        self._index_of = {pair.pair_id: i for i, pair in enumerate(self.pairs)}
        if critic is None:
            from rcsim_env.envs.distillation_critic import AveragedWordVectorCritic

            critic = AveragedWordVectorCritic.from_pairs(self.pairs, encoder)
        if not isinstance(critic, DistillationCritic):
            raise TypeError(f"critic must implement DistillationCritic, got {type(critic).__name__}")
        self.critic = critic
        self.reward_kind = reward
        self.margin = margin
        self.drop_bonus = drop_bonus
        self.max_words = max_words
        self.max_steps = max_steps
        self.render_mode = render_mode

        self._hidden_size, self._word_dim = int(critic.hidden_size), int(critic.word_dim)
        word_bound = float(critic.word_bound)
        if not (math.isfinite(word_bound) and word_bound > 0):
            raise ValueError(f"the critic's word_bound must be finite and positive, got {word_bound}")
        high = np.concatenate(
            [
                np.full(self._hidden_size, self.max_words, dtype=np.float32),
                np.ones(self._hidden_size, dtype=np.float32),
                np.full(self._word_dim, word_bound, dtype=np.float32),
            ]
        )
        self.observation_space = spaces.Box(-high, high, dtype=np.float32)
        self.action_space = spaces.Discrete(2)

        self._order: np.ndarray | None = None
        self._cursor = 0
        self._active = False
        self._pair: ScoredPair | None = None
        self._words: list[list[str]] = [[], []]
        self._vectors: list[np.ndarray] = []
        self._kept: list[list[str]] = [[], []]
        self._decisions: list[list[bool]] = [[], []]
        self._side = 0
        self._position = 0
        self._steps = 0
        self._hidden = np.zeros(self._hidden_size, dtype=np.float32)
        self._cell = np.zeros(self._hidden_size, dtype=np.float32)
        self._last: dict[str, Any] | None = None

    def _build_pool(self, pairs, data_dir, split) -> list[ScoredPair]:
        if pairs is None:
            from rcsim_env.data.loaders import load_mrpc

            pairs = load_mrpc(split, data_dir=data_dir)
        pool = build_pair_pool(pairs)
        for i, pair in enumerate(pool):
            if pair.score is None or not 0.0 <= pair.score <= self.label_scale:
                raise ValueError(f"pairs[{i}] needs a score in [0, {self.label_scale}], got {pair.score}")
        return pool

    # ----------------------------------------------------------------- Gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start an episode on the next pair; returns ``(observation, info)``."""
        options = checked_reset_options(options, RESET_OPTIONS)
        chosen = None
        if "pair_id" in options:
            chosen = pair_position(options["pair_id"], self._index_of, "reset option pair_id")
        super().reset(seed=seed)
        if seed is not None or self._order is None or self._cursor >= len(self.pairs):
            self._order = self.np_random.permutation(len(self.pairs))
            self._cursor = 0
        if chosen is not None:
            index = chosen
        else:
            index = int(self._order[self._cursor])
            self._cursor += 1
        self._pair = self.pairs[index]
        self._words = [
            self.critic.split_words(self._pair.sentence_a)[: self.max_words],
            self.critic.split_words(self._pair.sentence_b)[: self.max_words],
        ]
        if not self._words[0] or not self._words[1]:
            raise ValueError(f"pair {self._pair.pair_id} has a sentence without words")
        self._vectors = [
            np.asarray(self.critic.word_vectors(words), dtype=np.float32) for words in self._words
        ]
        self._kept, self._decisions = [[], []], [[], []]
        self._side, self._position, self._steps = 0, 0, 0
        self._reset_state()
        self._active = True
        self._last = None
        return self._observe(), {"pair_id": self._pair.pair_id, "words": sum(len(w) for w in self._words)}

    def step(self, action):
        """Keep (1) or drop (0) the current word; returns ``(obs, reward, terminated, truncated, info)``."""
        if not self._active:
            when = "before reset()" if self._pair is None else "after the episode ended"
            raise EpisodeStateError(f"step() called {when}; call reset() first")
        keep = validate_action(action) == KEEP
        side, position = self._side, self._position
        word = self._words[side][position]
        if keep:
            hidden, cell = self.critic.first_layer_step(
                self._vectors[side][position], self._hidden, self._cell
            )
            self._hidden = np.asarray(hidden, dtype=np.float32)
            self._cell = np.asarray(cell, dtype=np.float32)
            self._kept[side].append(word)
        self._decisions[side].append(keep)
        self._steps += 1
        self._position += 1
        if self._position == len(self._words[side]) and side == 0:
            self._side, self._position = 1, 0
            self._reset_state()
        terminated = self._side == 1 and self._position == len(self._words[1])
        truncated = not terminated and self.max_steps is not None and self._steps >= self.max_steps
        info: dict[str, Any] = {
            "pair_id": self._pair.pair_id,
            "word": word,
            "kept": keep,
            "sentence": "ab"[side],
            "position": position,
            "judged": terminated,
        }
        reward = 0.0
        if terminated:
            distance = float(self.critic.distance(self._kept[0], self._kept[1]))
            if not (math.isfinite(distance) and distance >= 0):
                raise ValueError(f"the critic returned distance {distance}; it must be finite and >= 0")
            label = float(self._pair.score) / self.label_scale
            words = sum(len(w) for w in self._words)
            kept = len(self._kept[0]) + len(self._kept[1])
            reward = float(
                episode_reward(
                    distance, label, 1.0 - kept / words, self.reward_kind, self.margin, self.drop_bonus
                )
            )
            info.update(
                distance=distance,
                similarity=math.exp(-distance),
                label=label,
                distilled_a=" ".join(self._kept[0]),
                distilled_b=" ".join(self._kept[1]),
                keep_fraction=kept / words,
            )
        self._active = not (terminated or truncated)
        self._last = {"reward": reward, **info}
        return self._observe(), reward, terminated, truncated, info

    # ----------------------------------------------------------------- helpers
    def _reset_state(self) -> None:
        self._hidden = np.zeros(self._hidden_size, dtype=np.float32)
        self._cell = np.zeros(self._hidden_size, dtype=np.float32)

    def _observe(self) -> np.ndarray:
        words = self._vectors[self._side]
        if self._position < len(words):
            vector = words[self._position]
        else:
            vector = np.zeros(self._word_dim, dtype=np.float32)
        state = np.concatenate([self._cell, self._hidden, vector]).astype(np.float32)
        return np.clip(state, self.observation_space.low, self.observation_space.high)

    def render(self) -> str | np.ndarray | None:
        """The pair as text (dropped words ``-word``, undecided ``?word``) for ``"ansi"``, printed for
        ``"human"``, drawn as an RGB uint8 image (480, 640, 3) for ``"rgb_array"``; None without a mode."""
        return render_text(self.render_mode, self._render_text)

    def _render_text(self) -> str:
        lines = []
        if self._pair is not None:
            lines.append(f"pair {self._pair.pair_id} (label {self._pair.score})")
            for side, name in enumerate("AB"):
                decided = self._decisions[side]
                marks = [
                    _mark(word, decided[i] if i < len(decided) else None)
                    for i, word in enumerate(self._words[side])
                ]
                lines.append(f"  {name}: {' '.join(marks)}")
        if self._last is not None and self._last["judged"]:
            lines.append(f"similarity {self._last['similarity']:.3f} reward {self._last['reward']:.3f}")
        return "\n".join(lines)


def _mark(word: str, kept: bool | None) -> str:
    """A word as render shows it: as is when kept, ``-word`` when dropped, ``?word`` when undecided."""
    if kept is None:
        return f"?{word}"
    return word if kept else f"-{word}"
