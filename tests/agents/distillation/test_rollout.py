import pytest
import torch

from agents.distillation.policy import KeepDropPolicy
from agents.distillation.rollout import compact, distil, policy_states
from agents.distillation.siamese import SiameseLSTM

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make_parts(hidden=4, dim=3, seed=0):
    torch.manual_seed(seed)
    vectors = torch.randn(10, dim)
    vectors[0] = 0.0
    critic = SiameseLSTM(vectors, hidden_size=hidden, matrices=2)
    policy = KeepDropPolicy(2 * hidden + dim, hidden_size=5)
    return critic, policy


def test_policy_states_are_cell_then_hidden_then_word():
    state = policy_states(torch.full((1, 2), 1.0), torch.full((1, 2), 2.0), torch.full((1, 3), 3.0))
    assert state.tolist() == [[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0]]


def test_compact_closes_the_gaps_and_counts_kept_words():
    ids = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0], [4, 4, 4, 4]])
    keep = torch.tensor([[True, False, True, False], [False, False, False, False], [True, True, True, True]])
    packed, lengths = compact(ids, keep)
    assert lengths.tolist() == [2, 0, 4]
    assert packed.tolist() == [[5, 7, 0, 0], [0, 0, 0, 0], [4, 4, 4, 4]]
    packed, lengths = compact(ids[1:2], keep[1:2])
    assert packed.shape == (1, 1) and lengths.tolist() == [0]  # nothing kept: one padding column


def test_forced_rollouts_follow_the_actions_and_ignore_padding():
    critic, policy = make_parts()
    ids = torch.tensor([[1, 2, 3], [4, 5, 0]])
    lengths = torch.tensor([3, 2])
    actions = torch.tensor([[True, False, True], [False, True, True]])
    rollout = distil(critic, policy, ids, lengths, "forced", actions=actions)
    assert rollout.keep.tolist() == [[True, False, True], [False, True, False]]
    assert rollout.mask.tolist() == [[True, True, True], [True, True, False]]
    assert rollout.log_probs[1, 2] == 0 and rollout.logits[1, 2] == 0
    assert bool((rollout.log_probs[rollout.mask] < 0).all())
    rollout.log_probs.sum().backward()
    assert all(p.grad is not None for p in policy.parameters())
    assert critic.first.weight_ih_l0.grad is None  # the critic only serves states


def test_the_state_of_a_word_reflects_only_the_words_kept_before_it():
    critic, policy = make_parts()
    seen = []
    original_forward = policy.forward

    def recording_forward(states):
        seen.append(states.detach().clone())
        return original_forward(states)

    policy.forward = recording_forward
    ids, lengths = torch.tensor([[1, 2, 3]]), torch.tensor([3])
    distil(critic, policy, ids, lengths, "forced", actions=torch.tensor([[False, True, True]]))
    hidden = critic.hidden_size
    # word 0 and word 1 (after dropping word 0) both see the zero state
    assert seen[0][0, : 2 * hidden].abs().sum() == 0 and seen[1][0, : 2 * hidden].abs().sum() == 0
    _, (h, c) = critic.first(critic.embedding(torch.tensor([[2]])))
    assert torch.allclose(seen[2][0, :hidden], c[0, 0], atol=1e-6)
    assert torch.allclose(seen[2][0, hidden : 2 * hidden], h[0, 0], atol=1e-6)
    assert torch.allclose(seen[2][0, 2 * hidden :], critic.embedding.weight[3])


def test_greedy_keeps_exactly_where_the_keep_probability_reaches_one_half():
    critic, policy = make_parts()
    with torch.no_grad():
        policy.net[2].weight.zero_()
        policy.net[2].bias.fill_(-0.1)
    rollout = distil(critic, policy, torch.tensor([[1, 2]]), torch.tensor([2]), "greedy")
    assert not bool(rollout.keep.any())
    with torch.no_grad():
        policy.net[2].bias.fill_(0.0)
    assert bool(distil(critic, policy, torch.tensor([[1, 2]]), torch.tensor([2]), "greedy").keep.all())


def test_sampling_is_reproducible_with_a_generator_and_follows_the_probability():
    critic, policy = make_parts()
    with torch.no_grad():
        policy.net[2].weight.zero_()
        policy.net[2].bias.fill_(torch.logit(torch.tensor(0.8)).item())
    ids = torch.randint(1, 10, (400, 6), generator=torch.Generator().manual_seed(0))
    lengths = torch.full((400,), 6)
    first = distil(critic, policy, ids, lengths, "sample", generator=torch.Generator().manual_seed(5)).keep
    second = distil(critic, policy, ids, lengths, "sample", generator=torch.Generator().manual_seed(5)).keep
    assert torch.equal(first, second)
    assert float(first.float().mean()) == pytest.approx(0.8, abs=0.03)


def test_bad_modes_and_missing_actions_are_refused():
    critic, policy = make_parts()
    ids, lengths = torch.tensor([[1, 2]]), torch.tensor([2])
    with pytest.raises(ValueError, match="mode must be one of"):
        distil(critic, policy, ids, lengths, "random")
    with pytest.raises(ValueError, match="needs actions"):
        distil(critic, policy, ids, lengths, "forced")
