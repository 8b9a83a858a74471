import pytest
import torch

from agents.encoder_critic import (
    EncoderCritic,
    PairActor,
    action_to_unit,
    reward_root,
    unit_to_action,
)
from rcsim_env.encoders import SentenceEncoder

PAIRS = [
    {"sentence_a": "a man plays the guitar", "sentence_b": "a man plays the piano"},
    {"sentence_a": "a dog runs in the park", "sentence_b": "two people eat food"},
    {"sentence_a": "the cat sleeps", "sentence_b": "the cat sleeps in the house"},
]


def test_action_scale_round_trip():
    scores = torch.tensor([0.0, 0.25, 1.0])
    assert action_to_unit(unit_to_action(scores)) == pytest.approx(scores)
    assert unit_to_action(scores).shape == (3, 1)


def test_state_is_the_encoder_cosine_and_q_peaks_at_it(tiny_model_dir):
    encoder = SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")
    critic = EncoderCritic(encoder).eval()
    with torch.no_grad():
        state = critic.encode_state(PAIRS)
    expected = encoder.similarity([p["sentence_a"] for p in PAIRS], [p["sentence_b"] for p in PAIRS])
    assert state.shape == (3, 1) and state[:, 0].numpy() == pytest.approx(expected, abs=1e-5)
    cosine = state[:1].clamp(0, 1)
    answers = torch.linspace(-1, 1, 41).unsqueeze(-1)
    with torch.no_grad():
        q = critic.q_value(cosine.expand(41, 1), answers)
    best = action_to_unit(answers[q.argmax() : q.argmax() + 1])
    assert float(best) == pytest.approx(float(cosine), abs=0.03)
    assert float(q.max()) <= 0.0  # -(a - s)^2 - softplus(beta)


def test_td_errors_fine_tune_the_encoder_toward_the_oracle(tiny_model_dir):
    torch.manual_seed(0)
    encoder = SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")
    critic = EncoderCritic(encoder, learn_noise_floor=False)
    critic.eval()  # no dropout: a clean before / after comparison
    optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
    truth = torch.tensor([0.9, 0.1, 0.6])
    with torch.no_grad():
        before = (critic.encode_state(PAIRS)[:, 0] - truth).abs().mean()
    for _ in range(60):
        answers = torch.rand(3)  # wide exploration: uniform answers on the 0-1 scale
        rewards = -((answers - truth) ** 2)  # the environment's squared reward
        q = critic.q_value(critic.encode_state(PAIRS), unit_to_action(answers))
        loss = ((q - rewards) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in encoder.parameters())
        optimizer.step()
    with torch.no_grad():
        after = (critic.encode_state(PAIRS)[:, 0] - truth).abs().mean()
    assert after < 0.5 * before


def test_the_actor_starts_at_the_cosine_and_stays_in_bounds():
    actor = PairActor()
    state = torch.tensor([[0.3], [0.8], [-0.2], [1.4]])
    with torch.no_grad():
        actions = actor(state)
    assert actions.shape == (4, 1)
    assert action_to_unit(actions).numpy() == pytest.approx([0.3, 0.8, 0.0, 1.0])


def test_unknown_reward_is_refused(tiny_encoder):
    with pytest.raises(ValueError, match="supports rewards"):
        EncoderCritic(tiny_encoder, reward="hinge")


def test_distance_td_loss_gives_the_supervised_gradient_when_the_answer_is_beyond_both(tiny_encoder):
    critic = EncoderCritic(tiny_encoder, td_loss="distance")
    similarity = torch.tensor([[0.40], [0.70]], requires_grad=True)
    answers01 = torch.tensor([0.95, 0.05])  # above both s and y for the first, below both for the second
    truth = torch.tensor([0.60, 0.50])
    q = critic.q_value(similarity, unit_to_action(answers01))
    rewards = -((answers01 - truth) ** 2)
    critic.td_loss(q, rewards).backward()
    supervised = 2 * (similarity.detach()[:, 0] - truth) / 2  # d/ds mean (s - y)^2
    assert similarity.grad[:, 0] == pytest.approx(supervised, abs=1e-5)


def test_reward_root_rules_out_labels_off_the_scale_and_else_takes_the_nearer():
    answers = torch.tensor([0.0, 1.0, 0.2, 0.9, 0.5, 0.5])
    labels = torch.tensor([0.6, 0.3, 0.7, 0.4, 0.8, 0.8])
    distance = (answers - labels).abs()
    similarity = torch.tensor([0.9, 0.9, 0.0, 1.0, 0.3, 0.9])
    # rows 0-3: one root is off the 0-1 scale, so the label is known whatever the similarity;
    # rows 4-5: both roots (0.2 and 0.8) are on it, so the one nearer the similarity wins.
    expected = [0.6, 0.3, 0.7, 0.4, 0.2, 0.8]
    assert reward_root(answers, distance, similarity) == pytest.approx(expected, abs=1e-6)


def test_root_td_loss_pulls_the_similarity_to_the_feasible_label(tiny_encoder):
    critic = EncoderCritic(tiny_encoder, td_loss="root")
    similarity = torch.tensor([[-0.05], [0.50]], requires_grad=True)
    answers01 = torch.tensor([0.0, 0.5])
    truth = torch.tensor([0.70, 0.60])  # row 0: roots -0.7 (off the scale) and 0.7; row 1: 0.4 and 0.6
    q = critic.q_value(similarity, unit_to_action(answers01))
    loss = critic.td_loss(q, -((answers01 - truth) ** 2), similarity, unit_to_action(answers01))
    loss.backward()
    # row 0 goes to 0.7 although -0.7 is nearer to -0.05; row 1 to the nearer root 0.4
    assert similarity.grad[:, 0] == pytest.approx([(-0.05 - 0.70), (0.50 - 0.40)], abs=1e-5)
    with pytest.raises(ValueError, match="needs the state features"):
        critic.td_loss(q, q)


def test_mse_td_loss_is_the_squared_error_and_other_rewards_use_it(tiny_encoder):
    critic = EncoderCritic(tiny_encoder, td_loss="mse", learn_noise_floor=False)
    q, target = torch.tensor([-0.1, -0.3]), torch.tensor([-0.2, -0.2])
    assert float(critic.td_loss(q, target)) == pytest.approx(0.01)
    assert EncoderCritic(tiny_encoder, reward="paper").td_loss_kind == "mse"
    with pytest.raises(ValueError, match="td_loss must be one of"):
        EncoderCritic(tiny_encoder, td_loss="huber")
