import math

import numpy as np
import pytest
import torch

from agents.distillation.config import DistillationConfig
from agents.distillation.data import encode_pairs
from agents.distillation.trainer import DistillationTrainer, check_finite
from rcsim_env.encoders.words import WordVocabulary, random_word_vectors

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = dict(
    hidden_size=8,
    matrices=2,
    policy_hidden=8,
    batch_size=16,
    policy_batch_size=16,
    samples_per_pair=2,
    show_progress=False,
)


def build(pairs, vectors=None, **overrides):
    vocabulary = WordVocabulary.from_sentences(s for p in pairs for s in (p.sentence_a, p.sentence_b))
    data = encode_pairs(pairs, vocabulary)
    if vectors is None:
        vectors = random_word_vectors(vocabulary, 8, torch.Generator().manual_seed(0))
    config = DistillationConfig(**{**SMALL, **overrides})
    return DistillationTrainer(config, data, vectors), data


def test_a_short_critic_run_lowers_the_loss_and_separates_the_labels(toy):
    trainer, data = build(toy, critic_lr=1e-2)
    losses = trainer.train_critic(8, distilled=False)
    assert len(losses) == 8 and losses[-1] < 0.6 * losses[0]
    similarity = trainer.predict(data, distilled=False).similarity
    labels = data.labels.numpy()
    assert similarity[labels == 1].mean() > similarity[labels == 0].mean() + 0.1


def test_fit_runs_the_alternating_schedule_in_order(toy):
    trainer, data = build(toy, critic_epochs=1, policy_pretrain_epochs=1, rounds=2)
    history = trainer.fit()
    phases = [record["phase"] for record in history]
    assert phases == [
        "critic-full",
        "policy-pretrain",
        "policy",
        "critic-distilled",
        "policy",
        "critic-distilled",
    ]
    assert all(math.isfinite(record["mean"]) and record["seconds"] >= 0 for record in history)
    assert all(0.0 <= record["keep_fraction"] <= 1.0 for record in history if record["phase"] == "policy")
    prediction = trainer.predict(data, distilled=True)
    assert prediction.similarity.shape == (len(data),)
    assert bool(((prediction.similarity > 0) & (prediction.similarity <= 1)).all())
    assert [len(row) for row in prediction.keep_a] == data.lengths_a.tolist()
    assert 0.0 <= prediction.keep_fraction <= 1.0
    full = trainer.predict(data, distilled=False)
    assert full.keep_fraction == 1.0


def test_policy_pretraining_learns_to_keep_the_first_words(toy):
    trainer, data = build(toy, pretrain_keep_first=2, pretrain_drop_probability=0.9, policy_lr=2e-2)
    trainer.train_critic(1, distilled=False)
    losses = trainer.pretrain_policy(8)
    assert losses[-1] < losses[0] - 0.1
    prediction = trainer.predict(data, distilled=True)
    rows = prediction.keep_a + prediction.keep_b
    first = np.mean([row[0] for row in rows])
    later = np.mean([keep for row in rows for keep in row[2:]])
    assert first >= 0.7 and later <= 0.2  # the heuristic keeps words 1-2 and drops 90% of the rest


def test_a_drop_bonus_teaches_the_policy_to_drop_words(toy):
    trainer, _ = build(toy, drop_bonus=2.0, policy_lr=2e-2, beta=1.0, samples_per_pair=4)
    trainer.train_critic(1, distilled=False)
    trainer.train_policy(4)
    kept = [record["keep_fraction"] for record in trainer.history if record["phase"] == "policy"]
    assert kept[-1] < kept[0] - 0.1


def test_a_non_finite_loss_stops_before_the_weights_change(toy):
    trainer, _ = build(toy)
    with torch.no_grad():
        trainer.critic.embedding.weight[2:] = float("nan")
    before = {
        name: value.clone() for name, value in trainer.critic.named_parameters() if name != "embedding.weight"
    }
    with pytest.raises(FloatingPointError, match="critic loss"):
        trainer.train_critic(1, distilled=False)
    for name, value in trainer.critic.named_parameters():
        if name != "embedding.weight":
            assert torch.equal(value, before[name])
    with pytest.raises(FloatingPointError, match="the probe is inf"):
        check_finite(torch.tensor(float("inf")), "the probe")


def test_the_same_seed_gives_the_same_run(toy):
    runs = []
    for _ in range(2):
        trainer, data = build(toy, critic_epochs=1, rounds=1)
        history = trainer.fit()
        runs.append(
            ([record["mean"] for record in history], trainer.predict(data, distilled=True).similarity)
        )
    assert runs[0][0] == runs[1][0]
    assert np.array_equal(runs[0][1], runs[1][1])


@pytest.mark.parametrize(
    "field, value",
    [
        ("matrices", 0),
        ("hidden_size", -1),
        ("batch_size", True),
        ("samples_per_pair", 0),
        ("rounds", -1),
        ("beta", 0.0),
        ("beta", 1.5),
        ("margin", 0.0),
        ("margin", float("nan")),
        ("critic_lr", -1e-3),
        ("regularisation", -0.1),
        ("drop_bonus", float("inf")),
        ("pretrain_drop_probability", 1.2),
        ("regulariser", "l3"),
        ("reward", "accuracy"),
        ("word_vectors", "glove"),
        ("device", "tpu"),
    ],
)
def test_bad_config_values_are_refused_by_name(field, value):
    with pytest.raises(ValueError, match=field):
        DistillationConfig(**{field: value})


def test_the_trainer_refuses_an_empty_training_set(toy):
    trainer, data = build(toy)
    data.labels = data.labels[:0]
    with pytest.raises(ValueError, match="no training pairs"):
        DistillationTrainer(trainer.config, data, trainer.critic.embedding.weight.detach())
