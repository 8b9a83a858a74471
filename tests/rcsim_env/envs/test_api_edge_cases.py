"""Both environments refuse every malformed action, reset option and constructor argument with the
package's own errors (InvalidActionError, InvalidArgumentError: ValueErrors naming what was wrong and
what is accepted), never a raw TypeError or OverflowError and never by silent truncation; valid
inputs of every accepted type still work.

Generated with hypothesis over the whole space of bad inputs, through ``gymnasium.make``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import rcsim_env
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.encoders.words import WordVocabulary
from rcsim_env.envs.common import RENDER_MODES
from rcsim_env.envs.distillation import REWARDS, SentenceDistillationEnv
from rcsim_env.envs.distillation_critic import AveragedWordVectorCritic
from rcsim_env.envs.similarity import OBSERVATION_MODES, SentenceSimilarityEnv
from rcsim_env.errors import InvalidActionError, InvalidArgumentError

POOL = [ScoredPair(f"a man plays guitar {i}", f"the dog runs {i}", float(i % 2), f"p{i}") for i in range(4)]
IDS = [pair.pair_id for pair in POOL]
QUICK = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def critic() -> AveragedWordVectorCritic:
    """The default critic's class over the pool's words, with fixed random vectors (no encoder needed)."""
    vocabulary = WordVocabulary.from_sentences(s for pair in POOL for s in (pair.sentence_a, pair.sentence_b))
    return AveragedWordVectorCritic(vocabulary, np.random.default_rng(0).normal(size=(len(vocabulary), 4)))


def similarity(**kwargs) -> gym.Env:
    return gym.make(rcsim_env.SENTENCE_SIMILARITY_ID, pairs=POOL, noise="exact", **kwargs)


def distillation(**kwargs) -> gym.Env:
    return gym.make(rcsim_env.SENTENCE_DISTILLATION_ID, pairs=POOL, critic=critic(), **kwargs)


MAKERS = {"SentenceSimilarity-v0": similarity, "SentenceDistillation-v0": distillation}
CLASSES = {
    "SentenceSimilarity-v0": lambda **kwargs: SentenceSimilarityEnv(pairs=POOL, noise="exact", **kwargs),
    "SentenceDistillation-v0": lambda **kwargs: SentenceDistillationEnv(
        pairs=POOL, critic=critic(), **kwargs
    ),
}

# --- the building blocks of bad values ----------------------------------------------------------------

HUGE_INTEGERS = st.one_of(
    st.integers(min_value=2**64),
    st.integers(max_value=-(2**64)),
    st.sampled_from([10**400, -(10**400), 10**5000]),
)
INT64_EXTREMES = st.sampled_from(
    [np.int64(np.iinfo(np.int64).max), np.int64(np.iinfo(np.int64).min), np.uint64(np.iinfo(np.uint64).max)]
)
NUMERIC_TEXT = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), st.integers().map(str))
TEXT = st.one_of(NUMERIC_TEXT, st.text(max_size=10))
UNHASHABLE = st.one_of(
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)
)


def text_arrays(items: st.SearchStrategy) -> st.SearchStrategy:
    """Arrays of text (str or bytes) of shape (1,) and ()."""
    return st.one_of(items.map(lambda s: np.array([s])), items.map(np.array))


def object_arrays(items: st.SearchStrategy) -> st.SearchStrategy:
    return items.map(lambda x: np.array([x], dtype=object))


# --- actions --------------------------------------------------------------------------------------

BAD_SIMILARITY_ACTIONS = st.one_of(
    TEXT,
    st.binary(max_size=4),
    text_arrays(NUMERIC_TEXT),
    text_arrays(st.floats(-1, 1).map(lambda x: str(x).encode())),
    object_arrays(st.floats(-1, 1)),
    st.sampled_from([True, False, np.bool_(True), np.array([True]), np.array([False])]),
    st.complex_numbers(max_magnitude=1).map(lambda z: complex(z.real, z.imag or 0.5)),
    st.complex_numbers(max_magnitude=1).map(lambda z: np.array([z], dtype=np.complex64)),
    HUGE_INTEGERS,
    HUGE_INTEGERS.map(lambda n: [n]),
    INT64_EXTREMES,
    st.sampled_from([None, {}, set(), [], [[0.5]], [0.1, 0.2], [[1.0], [1.0, 2.0]], ["0.5"], [b"1"]]),
    st.sampled_from([np.array(["2020-01-01"], dtype="datetime64[D]"), np.array([1], dtype="timedelta64[s]")]),
    st.sampled_from([math.nan, math.inf, -math.inf, np.float32("nan"), np.array([np.inf])]),
    st.floats(min_value=1.001).map(lambda x: np.array([x])),
    st.floats(max_value=-1.001),
    st.decimals(-1, 1, allow_nan=False, places=2),
    st.builds(object),
)
VALID_SIMILARITY_ACTIONS = st.floats(-1, 1, width=32).flatmap(
    lambda x: st.sampled_from(
        [
            x,
            np.float32(x),
            np.float64(x),
            np.float16(x) if abs(np.float16(x)) <= 1 else np.float16(0),
            np.array([x], dtype=np.float32),
            np.array([x]),
            np.array(x),
            [x],
            (x,),
            int(x),
            np.int8(int(x)),
            np.array([int(x)], dtype=np.uint8) if x >= 0 else np.array([int(x)]),
        ]
    )
)


@settings(QUICK, max_examples=400)
@given(action=BAD_SIMILARITY_ACTIONS)
def test_similarity_refuses_every_bad_action_without_spending_a_label(action: object) -> None:
    event(type(action).__name__ + (f" of {action.dtype}" if isinstance(action, np.ndarray) else ""))
    env = similarity()
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="action"):
        env.step(action)
    assert env.unwrapped.queries_used == 0
    *_, info = env.step(np.zeros(1, np.float32))  # the episode goes on
    assert env.unwrapped.queries_used == 1 and info["agent_score"] == 2.5


@settings(QUICK, max_examples=200)
@given(action=VALID_SIMILARITY_ACTIONS)
def test_similarity_accepts_every_kind_of_valid_action(action: object) -> None:
    env = similarity()
    env.reset(seed=0)
    *_, info = env.step(action)
    value = float(np.asarray(action).reshape(-1)[0])
    assert info["agent_score"] == pytest.approx((value + 1) * 2.5)


BAD_DISTILLATION_ACTIONS = st.one_of(
    TEXT,
    st.binary(max_size=4),
    text_arrays(st.sampled_from(["0", "1"])),
    text_arrays(st.sampled_from([b"0", b"1"])),
    object_arrays(st.sampled_from([0, 1])),
    st.sampled_from([True, False, np.bool_(True), np.array([True])]),
    st.floats(allow_nan=True),
    st.sampled_from([np.float64(1.0), np.array([1.0]), np.array([0.0], dtype=np.float16), complex(1, 0)]),
    st.integers().filter(lambda n: n not in (0, 1)),
    HUGE_INTEGERS,
    INT64_EXTREMES,
    st.sampled_from(
        [None, [], [1], [0, 1], (1,), {}, np.array([0, 1]), np.array([[1]]), np.array([], dtype=int)]
    ),
    st.builds(object),
)
VALID_DISTILLATION_ACTIONS = st.sampled_from([0, 1]).flatmap(
    lambda k: st.sampled_from(
        [k, np.int8(k), np.uint64(k), np.int64(k), np.array(k), np.array([k]), np.array([k], dtype=np.uint8)]
    )
)


@settings(QUICK, max_examples=400)
@given(action=BAD_DISTILLATION_ACTIONS)
def test_distillation_refuses_every_bad_action_and_stays_on_the_word(action: object) -> None:
    event(type(action).__name__ + (f" of {action.dtype}" if isinstance(action, np.ndarray) else ""))
    env = distillation()
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="action"):
        env.step(action)
    *_, info = env.step(1)
    assert (info["sentence"], info["position"]) == ("a", 0)  # the refused action decided nothing


@settings(QUICK, max_examples=100)
@given(action=VALID_DISTILLATION_ACTIONS)
def test_distillation_accepts_every_kind_of_valid_action(action: object) -> None:
    env = distillation()
    env.reset(seed=0)
    *_, info = env.step(action)
    assert info["kept"] == bool(int(np.asarray(action).reshape(-1)[0]))


# --- reset options --------------------------------------------------------------------------------

NOT_A_MAPPING = st.one_of(
    TEXT,
    st.integers(),
    st.lists(st.tuples(st.just("pair_ids"), st.just(["p0"])), min_size=1, max_size=1),
    st.sampled_from([(("pair_id", "p0"),), {"pair_ids"}, ["pair_ids"], 0.5, b"pair_ids", True]),
)
ANY_KEY = st.one_of(st.text(max_size=8), st.integers(), st.none(), st.tuples(st.integers()), st.booleans())


def unknown_options(accepted: str) -> st.SearchStrategy:
    """Option dicts with at least one key that is not ``accepted`` (keys of mixed, unorderable types)."""
    return st.dictionaries(ANY_KEY, st.integers(), min_size=1, max_size=3).filter(
        lambda options: any(key != accepted for key in options)
    )


NOT_A_PAIR_ID = st.one_of(
    st.integers(0, 3),
    HUGE_INTEGERS,
    st.floats(allow_nan=True),
    st.none(),
    st.binary(max_size=3),
    st.sampled_from([b"p0", ("p0",), True, np.int64(1), Decimal(1)]),
    UNHASHABLE,
    st.sampled_from([["p0"], {"p0": 1}, {"p0"}]),
)
UNKNOWN_PAIR_ID = st.text(max_size=6).filter(lambda text: text not in IDS)


@st.composite
def bad_pair_ids(draw: st.DrawFn) -> object:
    """Values of the similarity environment's ``pair_ids`` option that must be refused."""
    kind = draw(st.sampled_from(["not a list", "empty", "bad item", "unknown id", "repeated id"]))
    event(f"pair_ids: {kind}")
    if kind == "not a list":
        return draw(
            st.one_of(
                st.sampled_from(IDS),
                st.none(),
                st.integers(),
                st.dictionaries(st.sampled_from(IDS), st.integers(), min_size=1),
                st.frozensets(st.sampled_from(IDS), min_size=1),
                st.sampled_from([np.array(IDS), iter(IDS), range(2), b"p0"]),
            )
        )
    if kind == "empty":
        return draw(st.sampled_from([[], ()]))
    ids = draw(st.lists(st.sampled_from(IDS), max_size=3, unique=True))
    if kind == "bad item":
        item = draw(st.one_of(NOT_A_PAIR_ID, st.lists(st.sampled_from(IDS), min_size=1, max_size=2)))
    elif kind == "unknown id":
        item = draw(UNKNOWN_PAIR_ID)
    else:
        assume_ids = ids or [IDS[0]]
        ids, item = assume_ids, draw(st.sampled_from(assume_ids))
    at = draw(st.integers(0, len(ids)))
    return draw(st.sampled_from([list, tuple]))([*ids[:at], item, *ids[at:]])


def first_pairs(env: gym.Env, count: int) -> list[str]:
    """The ids of the next ``count`` pairs the similarity environment serves, each in its own episode."""
    ids = []
    for _ in range(count):
        _, info = env.reset()
        ids.append(info["pair_id"])
        env.step(np.zeros(1, np.float32))
    return ids


@settings(QUICK, max_examples=300)
@given(
    options=st.one_of(
        NOT_A_MAPPING,
        unknown_options("pair_ids"),
        bad_pair_ids().map(lambda value: {"pair_ids": value}),
    ),
    seed=st.one_of(st.none(), st.integers(0, 5)),
)
def test_similarity_refuses_bad_reset_options_before_anything_changes(
    options: object, seed: int | None
) -> None:
    env = similarity(episode_length=1)
    env.reset(seed=11)
    with pytest.raises(InvalidArgumentError, match="option") as caught:
        env.reset(seed=seed, options=options)
    assert isinstance(caught.value, ValueError)
    reference = similarity(episode_length=1)
    reference.reset(seed=11)
    assert first_pairs(env, 3) == first_pairs(reference, 3)  # not reseeded, nothing skipped


@settings(QUICK, max_examples=200)
@given(
    options=st.one_of(
        NOT_A_MAPPING,
        unknown_options("pair_id"),
        st.one_of(NOT_A_PAIR_ID, UNKNOWN_PAIR_ID).map(lambda value: {"pair_id": value}),
    )
)
def test_distillation_refuses_bad_reset_options(options: object) -> None:
    env = distillation()
    with pytest.raises(InvalidArgumentError, match="option"):
        env.reset(seed=0, options=options)
    env.reset(seed=0)  # still usable


@settings(QUICK, max_examples=100)
@given(ids=st.lists(st.sampled_from(IDS), min_size=1, unique=True), as_tuple=st.booleans())
def test_valid_pair_ids_serve_exactly_those_pairs(ids: list[str], as_tuple: bool) -> None:
    env = similarity()
    _, info = env.reset(options={"pair_ids": tuple(ids) if as_tuple else ids})
    served = [info["pair_id"]]
    for _ in ids:
        *_, truncated, info = env.step(np.zeros(1, np.float32))
        served.append(info["pair_id"])
    assert served[1:] == ids and truncated


@pytest.mark.parametrize("pair_id", IDS)
def test_a_valid_pair_id_serves_that_pair(pair_id: str) -> None:
    assert distillation().reset(options={"pair_id": pair_id})[1]["pair_id"] == pair_id


# --- constructor arguments --------------------------------------------------------------------------

NOT_AN_INTEGER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([2.0, 10.0, np.float64(3.0), np.float32(2.0), Decimal(10), Fraction(10), 2 + 0j]),
    st.integers().map(str),
    st.sampled_from(["10", " 5", "2.5", "1e3", "", "ten"]),
    st.sampled_from([True, False, np.bool_(True)]),
    st.sampled_from([[10], (10,), {10}, {"n": 10}, np.array(10), np.array([10])]),
)
NOT_A_REAL = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, np.float64("nan"), np.float32("inf")]),
    st.one_of(st.integers(min_value=2**1024), st.integers(max_value=-(2**1024)), st.just(10**5000)),
    st.sampled_from(["0.5", "1", "", True, False, np.bool_(False), None, 1 + 1j, Decimal("0.5"), [1.0], {}]),
)
NOT_A_FLAG = st.sampled_from(["yes", "", 1, 0, 1.0, None, [True], "False"])


def integer_argument(name: str, minimum: int, allow_none: bool = False) -> st.SearchStrategy:
    """(name, value) pairs that ``name`` (an integer >= ``minimum``) must refuse."""
    below = st.integers(max_value=minimum - 1)
    numpy_below = st.integers(min_value=-(2**63), max_value=minimum - 1).map(np.int64)
    values = st.one_of(NOT_AN_INTEGER, below, numpy_below, *([] if allow_none else [st.none()]))
    return st.tuples(st.just(name), values)


def real_argument(name: str, minimum: float | None = None, exclusive: bool = False) -> st.SearchStrategy:
    """(name, value) pairs that ``name`` (a finite real, >= or > ``minimum``) must refuse."""
    values = [NOT_A_REAL]
    if minimum is not None:
        below = st.floats(max_value=minimum, allow_nan=False, allow_infinity=False).filter(
            lambda x: x <= minimum if exclusive else x < minimum
        )
        values += [below, below.map(np.float64)]
    return st.tuples(st.just(name), st.one_of(*values))


BAD_ARGUMENTS = {
    "SentenceSimilarity-v0": st.one_of(
        integer_argument("episode_length", 1),
        integer_argument("label_budget", 0, allow_none=True),
        integer_argument("token_length", 2),
        real_argument("skip_reward"),
        st.tuples(st.sampled_from(["clip_actions", "precompute"]), NOT_A_FLAG),
        st.tuples(
            st.sampled_from(["observation", "render_mode"]), st.one_of(TEXT, UNHASHABLE, st.integers())
        ),
    ),
    "SentenceDistillation-v0": st.one_of(
        integer_argument("max_words", 1),
        integer_argument("max_steps", 1, allow_none=True),
        real_argument("margin", 0.0, exclusive=True),
        real_argument("label_scale", 0.0, exclusive=True),
        real_argument("drop_bonus", 0.0),
        st.tuples(st.sampled_from(["reward", "render_mode"]), st.one_of(TEXT, UNHASHABLE, st.integers())),
    ),
}
VALID_TEXT_ARGUMENTS = {"observation": OBSERVATION_MODES, "render_mode": RENDER_MODES, "reward": REWARDS}


@pytest.mark.parametrize("env_id", sorted(MAKERS))
@settings(QUICK, max_examples=250)
@given(data=st.data())
def test_bad_constructor_arguments_are_refused_naming_the_argument(env_id: str, data: st.DataObject) -> None:
    name, value = data.draw(BAD_ARGUMENTS[env_id])
    if name in VALID_TEXT_ARGUMENTS:
        value = data.draw(st.just(value).filter(lambda v: v not in VALID_TEXT_ARGUMENTS[name]))
    event(f"{name}: {type(value).__name__}")
    with pytest.raises(InvalidArgumentError, match=name) as caught:
        CLASSES[env_id](**{name: value})  # gymnasium.make reads render_mode itself: the class is called
    assert isinstance(caught.value, ValueError)


INTEGER_TYPES = st.sampled_from([int, np.int64, np.int32, np.uint16])


@settings(QUICK, max_examples=100)
@given(
    episode_length=st.integers(1, 50),
    label_budget=st.one_of(st.none(), st.integers(0, 10**6)),
    token_length=st.integers(2, 512),
    skip_reward=st.one_of(
        st.floats(-10, 10), st.integers(-3, 3), st.sampled_from([Fraction(1, 2), np.float32(0.5)])
    ),
    kind=INTEGER_TYPES,
)
def test_valid_similarity_arguments_are_kept_as_given(
    episode_length, label_budget, token_length, skip_reward, kind
):
    env = similarity(
        episode_length=kind(episode_length),
        label_budget=None if label_budget is None else np.int64(label_budget),
        token_length=kind(token_length),
        skip_reward=skip_reward,
        clip_actions=np.bool_(True),
    ).unwrapped
    assert (env.episode_length, env.label_budget) == (episode_length, label_budget)
    assert (
        type(env.episode_length) is int and env.skip_reward == float(skip_reward) and env.clip_actions is True
    )


@settings(QUICK, max_examples=100)
@given(
    max_words=st.integers(1, 100),
    max_steps=st.one_of(st.none(), st.integers(1, 10**6)),
    margin=st.floats(1e-6, 1e6),
    drop_bonus=st.one_of(st.floats(0, 10), st.integers(0, 3)),
    label_scale=st.one_of(st.floats(1, 10), st.sampled_from([1, 5, np.float32(1.0)])),
    kind=INTEGER_TYPES,
)
def test_valid_distillation_arguments_are_kept_as_given(
    max_words, max_steps, margin, drop_bonus, label_scale, kind
):
    env = distillation(
        max_words=kind(max_words),
        max_steps=None if max_steps is None else kind(min(max_steps, 60000)),
        margin=margin,
        drop_bonus=drop_bonus,
        label_scale=label_scale,
    ).unwrapped
    assert env.max_words == max_words and type(env.max_words) is int
    assert env.max_steps == (None if max_steps is None else min(max_steps, 60000))
    assert (env.margin, env.drop_bonus, env.label_scale) == (margin, float(drop_bonus), float(label_scale))
