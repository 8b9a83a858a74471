"""The mixed oracle: a judge for the queued pairs, a reward model for the rest, and the budget it spends."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.envs.similarity import SentenceSimilarityEnv
from rcsim_env.errors import InvalidArgumentError, LabelBudgetExhaustedError
from rcsim_env.oracles import AnnotatorNoise, DatasetOracle
from rcsim_env.oracles.mixed import MixedOracle
from rcsim_env.oracles.reward_model import EncoderEnsemble

WORDS = "a the man woman dog cat child plays runs sits reads eats in on park field house book food".split()
POOL = [
    ScoredPair(
        f"{WORDS[i % 19]} {WORDS[(3 * i) % 19]} {i}", f"{WORDS[(7 * i) % 19]} {i}", float(i % 6), f"p{i}"
    )
    for i in range(12)
]
ZERO = np.zeros(1, np.float32)


class CountingJudge(DatasetOracle):
    """The dataset oracle (gold, no noise), counting what it was asked."""

    def __init__(self, pairs):
        super().__init__(pairs, AnnotatorNoise.exact())
        self.asked: list[tuple[str, str]] = []

    def judge(self, sentence_a, sentence_b, *, rng=None):
        self.asked.append((sentence_a, sentence_b))
        return super().judge(sentence_a, sentence_b, rng=rng)


@pytest.fixture(scope="module")
def reward_model(tiny_encoder):
    return EncoderEnsemble([tiny_encoder])


def _env(oracle, budget):
    return SentenceSimilarityEnv(POOL, oracle=oracle, episode_length=4, label_budget=budget)


def test_queued_pairs_go_to_the_judge_once_and_the_rest_to_the_reward_model(reward_model):
    judge = CountingJudge(POOL)
    oracle = MixedOracle(judge, reward_model)
    first, second = POOL[0], POOL[1]
    oracle.ask_about([(first.sentence_a, first.sentence_b)])
    assert not oracle.will_predict(first.sentence_a, first.sentence_b)
    assert (
        oracle.judge(first.sentence_a, first.sentence_b) == first.score and not oracle.last_answer_predicted
    )
    predicted = oracle.judge(first.sentence_a, first.sentence_b)  # answered: no longer queued
    expected = reward_model.predict([first.sentence_a], [first.sentence_b]).mean[0]
    assert oracle.last_answer_predicted and predicted == pytest.approx(expected)
    oracle.judge(second.sentence_a, second.sentence_b)
    assert judge.asked == [(first.sentence_a, first.sentence_b)] and oracle.queued == []


@st.composite
def runs(draw):
    queued = draw(st.sets(st.integers(0, len(POOL) - 1), max_size=len(POOL)))
    budget = draw(st.one_of(st.none(), st.integers(1, len(POOL))))
    return sorted(queued), budget, draw(st.integers(0, 1000))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(run=runs())
def test_only_the_judges_answers_spend_labels_and_none_is_asked_twice(reward_model, run):
    queued, budget, seed = run
    judge = CountingJudge(POOL)
    oracle = MixedOracle(judge, reward_model)
    oracle.ask_about((POOL[i].sentence_a, POOL[i].sentence_b) for i in queued)
    env = _env(oracle, budget)
    env.reset(seed=seed)
    labels, exhausted_steps, refused = 0, 0, 0
    for _ in range(2 * len(POOL)):  # two passes: queued pairs come round again
        try:
            *_, truncated, info = env.step(ZERO)
        except LabelBudgetExhaustedError:
            refused += 1
            env.reset(
                options={
                    "pair_ids": [p.pair_id for p in POOL if oracle.will_predict(p.sentence_a, p.sentence_b)]
                }
            )
            continue
        labels += not info["predicted"]
        exhausted_steps += info["budget_exhausted"]
        if not info["predicted"]:
            assert info["pair_id"] in {POOL[i].pair_id for i in queued}
        if truncated:
            env.reset()
    assert env.queries_used == labels == len(judge.asked)
    assert len(set(judge.asked)) == len(judge.asked)  # never the same pair twice
    assert labels == (len(queued) if budget is None else min(len(queued), budget))
    assert exhausted_steps == (1 if budget is not None and len(queued) >= budget else 0)
    if refused:  # only a queued pair with the budget spent is refused
        assert budget is not None and env.budget_left == 0 and oracle.queued


def test_predictions_continue_after_the_budget_is_spent(reward_model):
    judge = CountingJudge(POOL)
    oracle = MixedOracle(judge, reward_model)
    env = _env(oracle, budget=1)
    _, info = env.reset(seed=0)
    current = next(p for p in POOL if p.pair_id == info["pair_id"])
    oracle.ask_about([(current.sentence_a, current.sentence_b)])
    *_, truncated, info = env.step(ZERO)
    assert not info["predicted"] and info["budget_exhausted"] and truncated and env.budget_left == 0
    _, info = env.reset()
    for _ in range(3):
        *_, truncated, info = env.step(ZERO)
        assert info["predicted"] and not info["budget_exhausted"] and info["episode_queries"] == 0
    nxt = next(p for p in POOL if p.pair_id == env.pairs[env._current_index()].pair_id)
    oracle.ask_about([(nxt.sentence_a, nxt.sentence_b)])
    with pytest.raises(LabelBudgetExhaustedError):
        env.step(ZERO)


def test_the_queue_survives_a_checkpoint(reward_model):
    oracle = MixedOracle(CountingJudge(POOL), reward_model)
    oracle.ask_about([(p.sentence_a, p.sentence_b) for p in POOL[3:6]])
    restored = MixedOracle(CountingJudge(POOL), reward_model)
    restored.load_state(oracle.state())
    assert restored.queued == oracle.queued == [(p.sentence_a, p.sentence_b) for p in POOL[3:6]]


def test_recorded_answers_of_older_checkpoints_still_load():
    env = SentenceSimilarityEnv(POOL, episode_length=4)
    env.reset(seed=0)
    state = env.stream_state()
    state["answers"] = {2: 3.0}  # the format before predicted answers existed
    env.load_stream_state(state)
    assert env.stream_state()["answers"] == {2: (3.0, False)}


@pytest.mark.parametrize("bad", [["a", "b"], [("a",)], [("a", 3)], [("a", "b", "c")], [None], ["ab"]])
def test_ask_about_refuses_what_is_not_a_pair_of_sentences(reward_model, bad):
    with pytest.raises(InvalidArgumentError, match="ask_about takes"):
        MixedOracle(CountingJudge(POOL), reward_model).ask_about(bad)


def test_a_judge_without_judge_is_refused(reward_model):
    with pytest.raises(InvalidArgumentError, match="judge must be an oracle"):
        MixedOracle(object(), reward_model)
