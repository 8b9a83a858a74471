import math

import pytest
import torch

from agents.distillation.policy import (
    KeepDropPolicy,
    SoftUpdatedPolicy,
    action_log_probs,
    leave_one_out_baseline,
    pretraining_actions,
    reinforce_loss,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_the_policy_maps_states_to_one_logit_each():
    torch.manual_seed(0)
    policy = KeepDropPolicy(state_dim=7, hidden_size=4)
    assert policy(torch.randn(5, 7)).shape == (5,)
    assert policy(torch.randn(2, 3, 7)).shape == (2, 3)
    assert sum(isinstance(m, torch.nn.Linear) for m in policy.modules()) == 2
    with pytest.raises(ValueError, match="state_dim and hidden_size"):
        KeepDropPolicy(state_dim=0)


def test_action_log_probs_on_hand_values():
    logits = torch.tensor([0.0, 0.0, math.log(3.0)])
    keep = torch.tensor([True, False, True])
    assert action_log_probs(logits, keep).tolist() == pytest.approx(
        [math.log(0.5), math.log(0.5), math.log(0.75)]
    )


def test_leave_one_out_baseline_is_the_mean_of_the_other_samples():
    rewards = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])
    assert leave_one_out_baseline(rewards).tolist() == [[2.5, 2.0, 1.5], [3.0, 3.0, 0.0]]
    single = leave_one_out_baseline(torch.tensor([[1.0], [3.0]]))
    assert single.tolist() == [[2.0], [2.0]]  # one sample per pair: the batch mean
    with pytest.raises(ValueError, match="pairs, samples"):
        leave_one_out_baseline(torch.tensor([1.0, 2.0]))


def test_reinforce_loss_on_a_hand_computed_case():
    log_prob_sums = torch.tensor([-1.0, -2.0], requires_grad=True)
    loss = reinforce_loss(log_prob_sums, torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]))
    # advantages (.5, -.5): -mean(.5 * -1, -.5 * -2) = -.25
    assert loss.item() == pytest.approx(-0.25)
    loss.backward()
    assert log_prob_sums.grad.tolist() == pytest.approx([-0.25, 0.25])


def test_a_reinforce_step_makes_the_rewarded_action_likelier():
    torch.manual_seed(1)
    policy = KeepDropPolicy(state_dim=3, hidden_size=4)
    optimizer = torch.optim.SGD(policy.parameters(), lr=0.5)
    state = torch.ones(4, 3)
    keep = torch.tensor([True, True, False, False])
    rewards = torch.tensor([1.0, 1.0, 0.0, 0.0])  # keeping pays
    before = torch.sigmoid(policy(state[:1])).item()
    loss = reinforce_loss(action_log_probs(policy(state), keep), rewards, torch.full((4,), 0.5))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    assert torch.sigmoid(policy(state[:1])).item() > before


def test_pretraining_actions_keep_the_first_words_and_drop_later_ones_at_the_given_rate():
    generator = torch.Generator().manual_seed(0)
    lengths = torch.full((2000,), 20)
    actions = pretraining_actions(lengths, 22, keep_first=3, drop_probability=0.3, generator=generator)
    assert actions.shape == (2000, 22)
    assert bool(actions[:, :3].all()) and not bool(actions[:, 20:].any())
    assert float(actions[:, 3:20].float().mean()) == pytest.approx(0.7, abs=0.01)
    short = pretraining_actions(
        torch.tensor([2, 5]), 5, keep_first=3, drop_probability=1.0, generator=generator
    )
    assert short.tolist() == [[True, True, False, False, False], [True, True, True, False, False]]
    with pytest.raises(ValueError, match="drop_probability"):
        pretraining_actions(lengths, 22, keep_first=3, drop_probability=1.5, generator=generator)


def test_the_soft_update_moves_the_target_by_beta_toward_the_online_network():
    torch.manual_seed(2)
    pair = SoftUpdatedPolicy(KeepDropPolicy(state_dim=3, hidden_size=2), beta=0.25)
    assert not any(p.requires_grad for p in pair.target.parameters())
    with torch.no_grad():
        for parameter in pair.online.parameters():
            parameter.add_(1.0)
    old_target = {k: v.clone() for k, v in pair.target.state_dict().items()}
    online = {k: v.clone() for k, v in pair.online.state_dict().items()}
    pair.end_batch()
    for name, value in pair.target.state_dict().items():
        assert torch.allclose(value, 0.75 * old_target[name] + 0.25 * online[name])
        assert torch.allclose(value, old_target[name] + 0.25)  # online was target + 1
    pair.begin_batch()
    for name, value in pair.online.state_dict().items():
        assert torch.equal(value, pair.target.state_dict()[name])


def test_sync_copies_and_a_bad_beta_is_refused():
    pair = SoftUpdatedPolicy(KeepDropPolicy(state_dim=3, hidden_size=2), beta=1.0)
    with torch.no_grad():
        pair.online.net[0].weight.fill_(3.0)
    pair.sync()
    assert bool((pair.target.net[0].weight == 3.0).all())
    for beta in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="beta"):
            SoftUpdatedPolicy(KeepDropPolicy(state_dim=3), beta=beta)
