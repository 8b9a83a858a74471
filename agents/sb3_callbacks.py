"""Stable-Baselines3 callbacks for the rcsim environments.

:class:`StopOnLabelBudget` ends ``model.learn()`` cleanly when a ``SentenceSimilarityEnv``'s
label budget runs out, instead of letting the next ``step`` raise
:class:`~rcsim_env.errors.LabelBudgetExhaustedError`::

    from agents.sb3_callbacks import StopOnLabelBudget

    model.learn(total_timesteps=100_000, callback=StopOnLabelBudget())
"""

from __future__ import annotations

import numbers
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.utils import should_collect_more_steps

from rcsim_env.errors import LabelBudgetExhaustedError


class StopOnLabelBudget(BaseCallback):
    """End ``learn()`` after the step that spends the last label of any of the training environments.

    It reads ``info["budget_exhausted"]``, which a ``SentenceSimilarityEnv`` sets on the step
    that spends its last label (that step also truncates the episode, and the reset that
    follows costs no label). Works with a single environment and with any ``VecEnv``.

    Vectorised environments: every environment has its own budget and they all step
    together, so the callback stops as soon as **any** of them is spent; the others keep
    what is left of theirs. With equal budgets they are all spent on the same step.

    What SB3 keeps of the last step: when ``learn()`` would end after this step anyway
    (``total_timesteps`` reached and, for on-policy algorithms such as PPO and A2C, the
    rollout complete; for off-policy ones such as SAC, TD3 and DDPG, the collection for
    this ``train_freq`` done), the callback lets SB3 finish normally, so the last
    transition (or rollout) is stored and trained on. Otherwise it stops ``learn()`` at
    once, and SB3 drops that step's data: an off-policy algorithm does not store the last
    transition, an on-policy one drops the unfinished rollout. To learn from every label,
    make ``total_timesteps`` the budget times the number of environments (and, on-policy,
    a multiple of ``n_steps`` times the number of environments); the callback then only guards.

    After ``learn()``, :attr:`exhausted_envs` lists the indices of the environments whose
    budget ran out and :attr:`exhausted_at` is ``model.num_timesteps`` at that step (None
    when no budget ran out).

    Raises:
        LabelBudgetExhaustedError: at the start of ``learn()`` when an environment's
            budget is already spent (its first step could not be judged).
    """

    def __init__(self, verbose: int = 0):
        super().__init__(verbose)
        self.exhausted_envs: tuple[int, ...] = ()
        self.exhausted_at: int | None = None
        self._total_timesteps: int | None = None

    def _on_training_start(self) -> None:
        total = self.locals.get("total_timesteps")
        self._total_timesteps = int(total) if _is_int(total) else None
        self.exhausted_envs, self.exhausted_at = (), None
        spent = [index for index, left in enumerate(self._budgets_left()) if left == 0]
        if spent:
            raise LabelBudgetExhaustedError(
                f"the label budget of environment(s) {spent} is already spent, so learn() cannot "
                "take a step; create the environments with a larger label_budget"
            )

    def _budgets_left(self) -> list[Any]:
        """Each training environment's ``budget_left`` (None: unlimited); empty when they have none."""
        try:
            return list(self.training_env.get_attr("budget_left"))
        except AttributeError:
            return []

    def _on_step(self) -> bool:
        infos = self.locals.get("infos") or ()
        spent = tuple(index for index, info in enumerate(infos) if info.get("budget_exhausted"))
        if not spent:
            return True
        self.exhausted_envs, self.exhausted_at = spent, self.num_timesteps
        if self.verbose:
            print(f"label budget spent in environment(s) {list(spent)} at step {self.num_timesteps}")
        return self._learn_ends_after_this_step()

    def _learn_ends_after_this_step(self) -> bool:
        """True when SB3 will take no further environment step in this ``learn()`` call.

        Reads the rollout loop's variables; whenever they are not the ones expected
        (another algorithm family, another SB3 version), it answers False, so that the
        callback stops ``learn()`` rather than risk a step without a label.
        """
        if self._total_timesteps is None or self.model.num_timesteps < self._total_timesteps:
            return False
        loop = self.locals
        if isinstance(self.model, OnPolicyAlgorithm):
            steps, rollout = loop.get("n_steps"), loop.get("n_rollout_steps")
            return _is_int(steps) and _is_int(rollout) and steps + 1 >= rollout
        if isinstance(self.model, OffPolicyAlgorithm):
            train_freq, steps = loop.get("train_freq"), loop.get("num_collected_steps")
            episodes, dones = loop.get("num_collected_episodes"), loop.get("dones")
            if train_freq is None or dones is None or not (_is_int(steps) and _is_int(episodes)):
                return False
            finished = sum(bool(done) for done in dones)
            return not should_collect_more_steps(train_freq, steps, episodes + finished)
        return False


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
