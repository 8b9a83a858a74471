from __future__ import annotations

import pytest
import torch

from agents.ddpg.td import td_target


def test_td_target_hand_computed():
    rewards = torch.tensor([1.0, 2.0, 3.0])
    terminated = torch.tensor([0.0, 1.0, 0.0])
    next_q = torch.tensor([10.0, 10.0, -4.0])
    torch.testing.assert_close(td_target(rewards, terminated, next_q, 0.9), torch.tensor([10.0, 2.0, -0.6]))


def test_terminated_cuts_the_bootstrap_truncated_does_not():
    # two transitions into the same next state: one ended for real, one hit the time limit.
    # The buffer stores terminated=0 for the truncated one, so its next-state value still counts.
    rewards = torch.tensor([-1.0, -1.0])
    terminated = torch.tensor([1.0, 0.0])  # [real end, time-limit cut]
    next_q = torch.tensor([-50.0, -50.0])
    target = td_target(rewards, terminated, next_q, gamma=0.98)
    assert target[0].item() == pytest.approx(-1.0)
    assert target[1].item() == pytest.approx(-1.0 - 0.98 * 50.0)


def test_target_is_detached_and_gamma_zero_is_the_reward():
    next_q = torch.tensor([5.0, 6.0], requires_grad=True)
    target = td_target(torch.tensor([1.0, 2.0]), torch.zeros(2), next_q * 2, 0.5)
    assert not target.requires_grad
    torch.testing.assert_close(target, torch.tensor([6.0, 8.0]))
    torch.testing.assert_close(
        td_target(torch.tensor([1.0, 2.0]), torch.zeros(2), next_q, 0.0), torch.tensor([1.0, 2.0])
    )


@pytest.mark.parametrize("gamma", [-0.1, 1.01])
def test_gamma_out_of_range_is_rejected(gamma):
    with pytest.raises(ValueError, match="gamma"):
        td_target(torch.zeros(1), torch.zeros(1), torch.zeros(1), gamma)
