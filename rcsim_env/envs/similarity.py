"""``RCSim/SentenceSimilarity-v0``: judge how similar two sentences are, rewarded by an oracle."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders.sentence_encoder import SentenceEncoder, load_tokenizer
from rcsim_env.envs.common import (
    RENDER_MODES,
    build_pair_pool,
    check_render_mode,
    checked_reset_options,
    pair_position,
    render_text,
)
from rcsim_env.envs.observations import EmbeddingObserver, TextObserver, TokenObserver
from rcsim_env.errors import (
    InvalidActionError,
    InvalidArgumentError,
    LabelBudgetExhaustedError,
    RCSimError,
    RewardError,
)
from rcsim_env.oracles.base import Oracle, answer_is_predicted, checked_judgement, would_predict
from rcsim_env.oracles.dataset import DatasetOracle
from rcsim_env.oracles.noise import NOISE_PRESETS, AnnotatorNoise
from rcsim_env.rewards import RewardFn, checked_reward, get_reward_fn
from rcsim_env.validation import MAX_SCORE, short_repr, validate_flag, validate_int, validate_real

OBSERVATION_MODES = ("text", "tokens", "embedding")
RESET_OPTIONS = ("pair_ids",)
_ACTION_TOLERANCE = 1e-6


class EpisodeStateError(RCSimError, RuntimeError):
    """``step`` was called before ``reset`` or after the episode ended."""


def action_to_score(action: object, clip: bool = False) -> float:
    """Map an action in [-1, 1] (a number or a numeric array of shape (1,)) linearly to a score in [0, 5].

    Accepted: Python and NumPy integers and floats, and arrays (or lists) of them of shape () or
    (1,). Everything else raises :class:`InvalidActionError`: text and bytes (also inside
    arrays: ``np.array(["0.5"])``), booleans, complex numbers, object arrays, integers too large
    for an array (``10**400``), other shapes, NaN and infinities. Values outside [-1, 1] (beyond
    a 1e-6 float tolerance) raise too, unless ``clip``.
    """
    accepted = "a real number in [-1, 1] or a numeric array of shape (1,)"
    if action is None or isinstance(action, (str, bytes, bool, np.bool_)):
        raise InvalidActionError(
            f"action must be {accepted}, got {type(action).__name__}: {short_repr(action)}"
        )
    try:
        array = np.asarray(action)
    except (TypeError, ValueError, OverflowError, RuntimeError) as exc:
        raise InvalidActionError(
            f"action must be {accepted}, got {type(action).__name__}: {short_repr(action)}"
        ) from exc
    if array.dtype.kind not in "iuf":
        raise InvalidActionError(
            f"action must be {accepted}, got {type(action).__name__} {short_repr(action)} "
            f"(an array of dtype {array.dtype})"
        )
    if array.shape not in ((), (1,)):
        raise InvalidActionError(f"action must have shape (1,), got shape {array.shape}")
    value = float(array.reshape(-1)[0])
    if not math.isfinite(value):
        raise InvalidActionError(f"action is {value}; it must be a finite number in [-1, 1]")
    if not -1.0 - _ACTION_TOLERANCE <= value <= 1.0 + _ACTION_TOLERANCE and not clip:
        raise InvalidActionError(f"action {value} is outside [-1, 1]; pass clip_actions=True to clip instead")
    return (min(max(value, -1.0), 1.0) + 1.0) * MAX_SCORE / 2.0


def score_to_action(score: float) -> np.ndarray:
    """The inverse of :func:`action_to_score`: a 0-5 score as a float32 action of shape (1,)."""
    return np.array([score * 2.0 / MAX_SCORE - 1.0], dtype=np.float32)


class SentenceSimilarityEnv(gym.Env):
    """Show two sentences; the agent answers how similar they are; an oracle's judgement sets the reward.

    ## Action space
    ``Box(-1, 1, (1,), float32)``, mapped linearly to a similarity score in [0, 5]
    (-1 -> 0, 0 -> 2.5, 1 -> 5). Any real number or numeric array of shape (1,) is
    accepted; NaN, infinite, wrongly shaped or out-of-range actions, text and bytes (in
    arrays too), booleans, complex numbers, object arrays and integers too large for an
    array raise :class:`~rcsim_env.errors.InvalidActionError` (``clip_actions=True`` clips
    out-of-range values instead); see :func:`action_to_score`.

    ## Observation space (``observation=``)
    - ``"text"``: ``Dict(sentence_a=Text, sentence_b=Text)``, the raw sentences;
    - ``"tokens"``: ``Dict`` of int64 ``Box``es ``input_ids_a``, ``attention_mask_a``,
      ``input_ids_b``, ``attention_mask_b`` of length ``token_length`` (padded, truncated);
    - ``"embedding"``: float32 ``Box(-1, 1, (2 * dim,))``, the two unit-length sentence
      embeddings concatenated (their dot product is the encoder's cosine).

    ## Rewards (``reward=``)
    ``"squared"`` (default) -(x - x0)^2, ``"absolute"`` -|x - x0|, ``"paper"``
    1 - 100 (x - x0)^2 with negative values divided by 10, on the 0-1 scale (score / 5);
    or any callable ``f(agent_score, oracle_score) -> float`` on the 0-5 scale. When the
    oracle skips a pair the reward is ``skip_reward`` (default 0.0) and
    ``info["skipped"]`` is True: learners should drop such transitions.

    ## Pairs, episodes and the label budget
    Pairs are drawn without replacement from the pool (default: STS-B train) in a
    random order that is reshuffled at each pass and at every seeded reset. An episode
    shows ``episode_length`` pairs and ends by truncation (``terminated`` is always
    False: no pair is terminal). Each ``step`` queries the oracle once; queries are
    counted across episodes against ``label_budget`` (None: unlimited). The step that
    spends the last label truncates the episode with ``info["budget_exhausted"]``;
    a later ``step`` raises :class:`~rcsim_env.errors.LabelBudgetExhaustedError`.
    A ``reset`` without a seed continues with the next pair not yet judged.

    ## A label is spent once per answered query
    ``queries_used`` counts a query as soon as the oracle answers with a label in [0, 5] or a
    skip, before the reward is computed (an answer that is neither raises
    :class:`~rcsim_env.errors.InvalidLabelError` and spends nothing: no label was given). When
    the reward function then fails (raises, or returns text, a bool, NaN, an infinity...),
    ``step`` raises :class:`~rcsim_env.errors.RewardError` and the environment stays on that
    pair with the answer recorded: the next ``step`` on the pair, in this episode or a later
    one, reuses the answer without asking the oracle again (with a person as the oracle, no
    second question) and spends no label. ``stream_state`` keeps such recorded answers.

    ## Answers from a reward model
    An oracle may answer some pairs from a model instead of a judge (a
    :class:`~rcsim_env.oracles.mixed.MixedOracle` asks its judge only about the pairs queued
    for it; a :class:`~rcsim_env.oracles.reward_model.RewardModelOracle` always predicts). Such
    answers are marked ``info["predicted"]``, spend no label and do not count in
    ``queries_used`` or ``episode_queries``; once the budget is spent, predicted answers go on
    and only a pair that needs a label raises.

    ## Info
    ``step``: ``oracle_score`` (NaN when skipped), ``gold_score`` (NaN when the pool
    has none), ``agent_score``, ``pair_id``, ``skipped``, ``predicted``, ``episode_queries``,
    ``budget_exhausted`` (True on the step that spent the last label). ``reset``: ``pair_id``,
    ``queries_used`` and ``budget_left`` (lifetime totals, also the attributes ``queries_used``
    and ``budget_left``; they are kept out of step infos so that a seeded reset reproduces a
    step exactly, as Gymnasium's determinism check requires).

    ## Reset options
    ``{"pair_ids": [...]}`` serves exactly those pairs (by ``pair_id``) as the next
    episode: a non-empty list (or tuple) of distinct pair ids, each a ``str`` (an episode
    shows each pair once, so that no pair is judged twice in it). Options that are not a
    dict, unknown options and malformed ``pair_ids`` raise
    :class:`~rcsim_env.errors.InvalidArgumentError` (a ValueError) before anything changes.

    ## Arguments
    ``episode_length`` (>= 1), ``label_budget`` (>= 0 or None) and ``token_length`` (>= 2)
    must be integers (Python or NumPy; not bools, floats or text), ``skip_reward`` a finite
    real number, ``clip_actions`` and ``precompute`` bools; anything else raises
    :class:`~rcsim_env.errors.InvalidArgumentError` naming the argument and what it accepts.

    ## Randomness
    Pair order and simulated label noise come from ``self.np_random`` only; a human
    oracle is nondeterministic, whatever the seed.

    ## Rendering (``render_mode=``)
    ``"ansi"``: ``render()`` returns the current pair, the last judgement and the queries
    used as text; ``"human"``: prints that text; ``"rgb_array"``: returns it drawn as a
    uint8 image of shape (480, 640, 3), for Gymnasium's ``RecordVideo`` and SB3's
    ``VecVideoRecorder`` (drawn only when ``render()`` is called).

    ## Stable-Baselines3 and vector environments
    SB3 reads the ``"embedding"`` (``MlpPolicy``) and ``"tokens"`` (``MultiInputPolicy``)
    observations; ``"text"`` observations are strings, which SB3 policies cannot read.
    ``stable_baselines3.common.env_util.make_vec_env("RCSim/SentenceSimilarity-v0",
    env_kwargs=...)`` works as is. When the label budget can run out inside
    ``model.learn()``, pass ``callback=agents.sb3_callbacks.StopOnLabelBudget()``: it ends
    ``learn()`` cleanly at the step that spends the last label.

    Worker processes of an ``AsyncVectorEnv`` (``gymnasium.make_vec(...,
    vectorization_mode="async")``) that are forked (the default on Linux before Python
    3.14) run torch with one intra-op thread (:mod:`rcsim_env.fork_safety`): a forked
    child cannot use the parent's OpenMP threads and would otherwise deadlock in its first
    forward pass once the parent has encoded with several. The workers already run their
    environments in parallel; to keep torch's thread count in them, start them fresh with
    ``vector_kwargs={"context": "spawn"}`` (or ``"forkserver"``).

    Args:
        pairs: the pool: ``ScoredPair``s, ``(a, b[, score])`` tuples or dicts; a registered pool
            name (``"sick-train"``; see :data:`rcsim_env.data.POOLS`); or the path of a pairs
            file (``.jsonl``, ``.csv``, ``.tsv``; scores on the 0-5 scale -- for a 0-1 file pass
            ``rcsim_env.data.load_pool(path, score_scale="0-1")``); default STS-B ``split``.
        oracle: the judge (see :class:`~rcsim_env.oracles.Oracle`); default a
            :class:`~rcsim_env.oracles.DatasetOracle` over the pool with ``noise``.
        observation: ``"text"``, ``"tokens"`` or ``"embedding"``.
        reward: a name from :data:`rcsim_env.rewards.REWARD_FUNCTIONS` or a callable.
        episode_length: pairs per episode (>= 1).
        label_budget: total oracle queries allowed over the env's life (None: unlimited).
        encoder: a :class:`SentenceEncoder` or a model name/path for the token and
            embedding modes (default: the bundled all-MiniLM-L6-v2).
        token_length: tokens per sentence in ``"tokens"`` mode.
        noise: the default oracle's annotator model, or a preset name ``"mild"`` (default),
            ``"rounded"``, ``"exact"`` or ``"paper"``.
        clip_actions: clip out-of-range actions instead of raising.
        skip_reward: the reward when the oracle skips.
        data_dir: the data directory searched first for STS-B (``pairs`` None) or for a named
            pool's data set, before ``$RCSIM_DATA`` and the per-user data folder.
        split: the STS-B split for the default pool.
        precompute: in embedding mode, encode the whole pool at construction.
        render_mode: ``"ansi"`` (render returns text), ``"human"`` (render prints it) or
            ``"rgb_array"`` (render returns the text drawn as an RGB image).
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 4}

    def __init__(
        self,
        pairs: Sequence[ScoredPair | tuple | dict] | None = None,
        oracle: Oracle | None = None,
        observation: str = "text",
        reward: str | RewardFn = "squared",
        episode_length: int = 10,
        label_budget: int | None = None,
        encoder: SentenceEncoder | str | os.PathLike[str] | None = None,
        token_length: int = 128,
        noise: AnnotatorNoise | str | None = None,
        clip_actions: bool = False,
        skip_reward: float = 0.0,
        data_dir: str | os.PathLike[str] | None = None,
        split: str = "train",
        precompute: bool = False,
        render_mode: str | None = None,
    ):
        if not (isinstance(observation, str) and observation in OBSERVATION_MODES):
            raise InvalidArgumentError(
                f"observation must be one of {OBSERVATION_MODES}, got {short_repr(observation)}"
            )
        episode_length = validate_int(episode_length, "episode_length", 1)
        label_budget = validate_int(label_budget, "label_budget", 0, allow_none=True)
        token_length = validate_int(token_length, "token_length", 2)
        skip_reward = validate_real(skip_reward, "skip_reward")
        clip_actions = validate_flag(clip_actions, "clip_actions")
        precompute = validate_flag(precompute, "precompute")
        check_render_mode(render_mode, self.metadata["render_modes"])

        self.pairs = self._build_pool(pairs, data_dir, split)
        self._index_of = {pair.pair_id: i for i, pair in enumerate(self.pairs)}
        self.oracle = oracle if oracle is not None else DatasetOracle(self.pairs, _noise_model(noise))
        if not callable(getattr(self.oracle, "judge", None)):
            raise TypeError(
                f"oracle must have a judge(sentence_a, sentence_b, rng=...) method, got {self.oracle!r}"
            )
        self.reward_fn: RewardFn = get_reward_fn(reward)
        self.observation_mode = observation
        self.episode_length = episode_length
        self.label_budget = label_budget
        self.clip_actions = clip_actions
        self.skip_reward = skip_reward
        self.render_mode = render_mode

        self.observer = self._build_observer(observation, encoder, token_length)
        if precompute and isinstance(self.observer, EmbeddingObserver):
            self.observer.precompute(show_progress=True)
        self.observation_space = self.observer.space
        self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)

        self.queries_used = 0
        self._order: np.ndarray | None = None
        self._cursor = 0
        self._episode_pairs: list[int] | None = None
        self._step_in_episode = 0
        self._episode_queries = 0
        self._active = False
        self._last: dict[str, Any] | None = None
        # pool index -> (answer, predicted) of an answer whose reward failed
        self._answers: dict[int, tuple[float | None, bool]] = {}

    # ----------------------------------------------------------------- construction
    @staticmethod
    def _build_pool(pairs, data_dir, split) -> list[ScoredPair]:
        """The pool: STS-B ``split`` when ``pairs`` is None, a pool name or pairs file, or the given pairs."""
        if pairs is None:
            from rcsim_env.data.loaders import load_stsb

            pairs = load_stsb(split, data_dir=data_dir)
        elif isinstance(pairs, (str, os.PathLike)):
            from rcsim_env.data.pools import load_pool

            pairs = load_pool(pairs, data_dir=data_dir)
        return build_pair_pool(pairs)

    def _build_observer(self, mode: str, encoder, token_length: int):
        if mode == "text":
            return TextObserver(self.pairs)
        if mode == "tokens":
            tokenizer = encoder.tokenizer if isinstance(encoder, SentenceEncoder) else load_tokenizer(encoder)
            return TokenObserver(self.pairs, tokenizer, token_length)
        model = encoder if isinstance(encoder, SentenceEncoder) else SentenceEncoder.from_pretrained(encoder)
        return EmbeddingObserver(self.pairs, model)

    # ----------------------------------------------------------------- pair stream
    @property
    def budget_left(self) -> int | None:
        """Oracle queries still allowed (None: unlimited)."""
        return None if self.label_budget is None else max(self.label_budget - self.queries_used, 0)

    def _new_pass(self) -> None:
        self._order = self.np_random.permutation(len(self.pairs))
        self._cursor = 0

    def _current_index(self) -> int:
        if self._episode_pairs is not None and self._step_in_episode < len(self._episode_pairs):
            return self._episode_pairs[self._step_in_episode]
        assert self._order is not None
        return int(self._order[self._cursor])

    def _upcoming(self) -> Sequence[int]:
        if self._episode_pairs is not None:
            return self._episode_pairs[self._step_in_episode :]
        assert self._order is not None
        return self._order[self._cursor :].tolist()

    def _observe(self):
        return self.observer.observe(self._current_index(), self._upcoming())

    # ----------------------------------------------------------------- Gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start an episode; returns ``(observation, info)``. See the class docstring for ``options``."""
        options = checked_reset_options(options, RESET_OPTIONS)
        episode_pairs = self._resolve_pair_ids(options["pair_ids"]) if "pair_ids" in options else None
        super().reset(seed=seed)
        if seed is not None or self._order is None:
            self._new_pass()
        self._episode_pairs = episode_pairs
        self._step_in_episode = 0
        self._episode_queries = 0
        self._active = True
        self._last = None
        observation = self._observe()
        info = {
            "pair_id": self.pairs[self._current_index()].pair_id,
            "queries_used": self.queries_used,
            "budget_left": self.budget_left,
        }
        return observation, info

    def _resolve_pair_ids(self, pair_ids: object) -> list[int]:
        """The pool positions of the reset option ``pair_ids`` (a non-empty list of distinct ids)."""
        if not isinstance(pair_ids, (list, tuple)) or not pair_ids:
            raise InvalidArgumentError(
                "reset option pair_ids must be a non-empty list of pair ids (str), got "
                f"{type(pair_ids).__name__}: {short_repr(pair_ids)}"
            )
        not_text = next(((i, pid) for i, pid in enumerate(pair_ids) if not isinstance(pid, str)), None)
        if not_text is not None:
            pair_position(not_text[1], self._index_of, f"reset option pair_ids[{not_text[0]}]")
        missing = [pid for pid in pair_ids if pid not in self._index_of]
        if missing:
            raise InvalidArgumentError(
                "reset option pair_ids names pairs not in the pool: "
                f"{', '.join(short_repr(pid) for pid in missing[:5])} "
                f"(its ids look like {self.pairs[0].pair_id!r})"
            )
        first: dict[str, int] = {}
        for position, pid in enumerate(pair_ids):
            if pid in first:
                raise InvalidArgumentError(
                    f"reset option pair_ids names {short_repr(pid)} twice (at {first[pid]} and {position}); "
                    "an episode shows each pair once"
                )
            first[pid] = position
        return [self._index_of[pid] for pid in pair_ids]

    def _answer(self, index: int, pair: ScoredPair) -> tuple[float | None, bool]:
        """The oracle's answer for pair ``index`` and whether a model predicted it: one recorded by an
        earlier step whose reward failed, else a new query (a label, counted in ``queries_used`` as
        soon as the oracle gives a label or a skip, unless the answer was predicted; then recorded)."""
        if index in self._answers:
            return self._answers[index]
        if self.budget_left == 0 and not would_predict(self.oracle, pair.sentence_a, pair.sentence_b):
            raise LabelBudgetExhaustedError(
                f"the label budget of {self.label_budget} oracle queries is spent; "
                "create the environment with a larger label_budget to ask for more labels. "
                "The step that spent the last label said so in info['budget_exhausted']; with "
                "Stable-Baselines3, pass callback=StopOnLabelBudget() (from agents.sb3_callbacks) "
                "to model.learn() to stop there cleanly"
            )
        # an answer that is no label is the oracle's failure: nothing was learned, nothing is spent
        answer = checked_judgement(
            self.oracle.judge(pair.sentence_a, pair.sentence_b, rng=self.np_random), self.oracle
        )
        predicted = answer_is_predicted(self.oracle)
        if not predicted:
            self.queries_used += 1
            self._episode_queries += 1
        self._answers[index] = (answer, predicted)
        return answer, predicted

    def step(self, action):
        """Judge the current pair; returns ``(observation, reward, terminated, truncated, info)``."""
        if not self._active:
            when = "before reset()" if self._order is None else "after the episode ended"
            raise EpisodeStateError(f"step() called {when}; call reset() first")
        agent_score = action_to_score(action, clip=self.clip_actions)
        index = self._current_index()
        pair = self.pairs[index]
        label, predicted = self._answer(index, pair)
        if label is None:
            reward = self.skip_reward
        else:
            try:
                reward = checked_reward(self.reward_fn, agent_score, label)
            except RewardError as exc:
                raise RewardError(
                    f"{exc}. The oracle's answer {label} for pair {pair.pair_id} is kept: the next step "
                    "on this pair reuses it without asking the oracle again"
                ) from exc
        del self._answers[index]

        self._step_in_episode += 1
        if self._episode_pairs is None:
            self._cursor += 1
            if self._cursor == len(self.pairs):
                self._new_pass()
            episode_over = self._step_in_episode >= self.episode_length
        else:
            episode_over = self._step_in_episode >= len(self._episode_pairs)
        budget_exhausted = not predicted and self.budget_left == 0  # this step spent the last label
        truncated = episode_over or budget_exhausted
        self._active = not truncated
        if truncated:
            self._episode_pairs = None

        info = {
            "pair_id": pair.pair_id,
            "agent_score": agent_score,
            "oracle_score": math.nan if label is None else label,
            "gold_score": math.nan if pair.score is None else float(pair.score),
            "skipped": label is None,
            "predicted": predicted,
            "episode_queries": self._episode_queries,
            "budget_exhausted": budget_exhausted,
        }
        self._last = {"pair": pair, **info, "reward": reward}
        return self._observe(), float(reward), False, truncated, info

    # ----------------------------------------------------------------- checkpointing
    def stream_state(self) -> dict[str, Any]:
        """Everything that decides which pair comes next and what the simulated oracle answers.

        Returns a picklable dict: the pair order and cursor, the episode in progress, the
        lifetime query count and ``np_random``'s state. :meth:`load_stream_state` on an
        environment built with the same pool and oracle continues exactly from here.
        """
        return {
            "order": None if self._order is None else self._order.copy(),
            "cursor": self._cursor,
            "episode_pairs": None if self._episode_pairs is None else list(self._episode_pairs),
            "step_in_episode": self._step_in_episode,
            "episode_queries": self._episode_queries,
            "active": self._active,
            "queries_used": self.queries_used,
            "answers": dict(self._answers),
            "np_random": self.np_random.bit_generator.state,
            "pool_size": len(self.pairs),
        }

    def load_stream_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`stream_state` returned; the pool must have the same size."""
        if state["pool_size"] != len(self.pairs):
            raise ValueError(
                f"the saved stream state is for a pool of {state['pool_size']} pairs, "
                f"this environment has {len(self.pairs)}"
            )
        self.np_random.bit_generator.state = state["np_random"]
        self._order = None if state["order"] is None else np.asarray(state["order"]).copy()
        self._cursor = int(state["cursor"])
        self._episode_pairs = None if state["episode_pairs"] is None else list(state["episode_pairs"])
        self._step_in_episode = int(state["step_in_episode"])
        self._episode_queries = int(state["episode_queries"])
        self._active = bool(state["active"])
        self.queries_used = int(state["queries_used"])
        self._answers = {  # answers saved before predictions existed were all labels
            int(index): answer if isinstance(answer, tuple) else (answer, False)
            for index, answer in state.get("answers", {}).items()
        }
        self._last = None

    def render(self) -> str | np.ndarray | None:
        """The current pair and the last judgement: text (``"ansi"``), printed (``"human"``) or an
        RGB uint8 image of shape (480, 640, 3) (``"rgb_array"``); None without a render mode."""
        return render_text(self.render_mode, self._render_text)

    def _render_text(self) -> str:
        lines = []
        if self._order is not None:
            pair = self.pairs[self._current_index()]
            lines += [f"pair {pair.pair_id}", f"  A: {pair.sentence_a}", f"  B: {pair.sentence_b}"]
        if self._last is not None:
            last = self._last
            oracle = "skipped" if last["skipped"] else f"{last['oracle_score']:.2f}"
            lines.append(
                f"last: pair {last['pair_id']} agent {last['agent_score']:.2f} "
                f"oracle {oracle} reward {last['reward']:.3f}"
            )
        lines.append(
            f"queries used {self.queries_used}"
            + ("" if self.label_budget is None else f"/{self.label_budget}")
        )
        return "\n".join(lines)


def _noise_model(noise: AnnotatorNoise | str | None) -> AnnotatorNoise:
    if noise is None:
        return AnnotatorNoise.mild()
    if isinstance(noise, AnnotatorNoise):
        return noise
    return NOISE_PRESETS[noise]()  # an unknown name raises UnknownNameError listing the presets
