"""Training the Siamese critic and the keep/drop policy on the paper's alternating schedule.

:meth:`DistillationTrainer.fit` runs the whole schedule; its phases are public so that a
benchmark can branch off after the critic's pretraining (the same critic trained on
full sentences for as many epochs, without a policy, is the fair comparison).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from agents.distillation.config import DistillationConfig
from agents.distillation.data import PairTensors, minibatches
from agents.distillation.policy import (
    KeepDropPolicy,
    SoftUpdatedPolicy,
    leave_one_out_baseline,
    pretraining_actions,
    reinforce_loss,
)
from agents.distillation.rollout import compact, distil
from agents.distillation.siamese import SiameseLSTM, contrastive_loss
from rcsim_env.encoders.sentence_encoder import pick_device
from rcsim_env.encoders.words import PAD_ID
from rcsim_env.envs.distillation import episode_reward


@dataclass
class Prediction:
    """Judgements of N pairs.

    Attributes:
        similarity: (N,) float64 exp(-||h_a - h_b||_1).
        keep_a: per pair, one bool per word of the first sentence (all True without distillation).
        keep_b: the same for the second sentence.
    """

    similarity: np.ndarray
    keep_a: list[list[bool]]
    keep_b: list[list[bool]]

    @property
    def keep_fraction(self) -> float:
        """The share of all words kept."""
        kept = sum(sum(row) for row in self.keep_a) + sum(sum(row) for row in self.keep_b)
        total = sum(len(row) for row in self.keep_a) + sum(len(row) for row in self.keep_b)
        return kept / total if total else math.nan


def check_finite(loss: torch.Tensor, what: str) -> None:
    """Raise FloatingPointError naming ``what`` when ``loss`` is NaN or infinite (call it before stepping)."""
    if not bool(torch.isfinite(loss).all()):
        raise FloatingPointError(
            f"{what} is {loss.item()}; stopping before the optimizer step so the weights stay finite "
            "(lower the learning rate or the regularisation)"
        )


def _stack_sentences(batch: PairTensors, copies: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Both sides of ``batch``, each pair repeated ``copies`` times, as one (2 * B * copies, T) batch."""
    width = max(batch.ids_a.shape[1], batch.ids_b.shape[1])
    ids_a = F.pad(batch.ids_a, (0, width - batch.ids_a.shape[1]), value=PAD_ID)
    ids_b = F.pad(batch.ids_b, (0, width - batch.ids_b.shape[1]), value=PAD_ID)
    ids = torch.cat([ids_a.repeat_interleave(copies, 0), ids_b.repeat_interleave(copies, 0)])
    lengths = torch.cat(
        [batch.lengths_a.repeat_interleave(copies), batch.lengths_b.repeat_interleave(copies)]
    )
    return ids, lengths


class DistillationTrainer:
    """The critic, the policy, their optimizers and the schedule.

    Args:
        config: the run's settings (validated).
        train: the training pairs.
        word_vectors: (V, E) initial word vectors whose rows follow ``train``'s word ids.
    """

    def __init__(self, config: DistillationConfig, train: PairTensors, word_vectors: torch.Tensor):
        config.validate()
        if len(train) == 0:
            raise ValueError("no training pairs")
        self.config = config
        self.train_data = train
        self.device = pick_device(config.device)
        torch.manual_seed(config.seed)
        self.critic = SiameseLSTM(
            word_vectors, config.hidden_size, config.matrices, config.train_word_vectors
        ).to(self.device)
        state_dim = 2 * config.hidden_size + self.critic.word_dim
        self.policy = SoftUpdatedPolicy(
            KeepDropPolicy(state_dim, config.policy_hidden).to(self.device), config.beta
        )
        self.critic_optimizer = torch.optim.Adam(
            [p for p in self.critic.parameters() if p.requires_grad], lr=config.critic_lr
        )
        self.policy_optimizer = torch.optim.Adam(self.policy.online.parameters(), lr=config.policy_lr)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.sampler = torch.Generator(device=self.device).manual_seed(config.seed + 1)
        self.history: list[dict] = []

    # ----------------------------------------------------------------- helpers
    def _progress(self, iterable, total: int, description: str):
        from tqdm.auto import tqdm

        return tqdm(
            iterable, total=total, desc=description, leave=False, disable=not self.config.show_progress
        )

    def _batches(self, batch_size: int):
        count = math.ceil(len(self.train_data) / batch_size)
        return minibatches(len(self.train_data), batch_size, self.generator), count

    def _to_device(self, batch: PairTensors) -> PairTensors:
        return PairTensors(
            batch.ids_a.to(self.device),
            batch.lengths_a.to(self.device),
            batch.ids_b.to(self.device),
            batch.lengths_b.to(self.device),
            batch.labels.to(self.device),
            batch.words_a,
            batch.words_b,
        )

    def _step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, module: nn.Module) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.max_grad_norm > 0:
            nn.utils.clip_grad_norm_(module.parameters(), self.config.max_grad_norm)
        optimizer.step()

    def _record(self, phase: str, values: list[float], started: float, **extra: float) -> float:
        mean = float(np.mean(values)) if values else math.nan
        self.history.append(
            {
                "phase": phase,
                "mean": mean,
                "batches": len(values),
                "seconds": time.perf_counter() - started,
                **extra,
            }
        )
        return mean

    @torch.no_grad()
    def _distilled(self, batch: PairTensors) -> PairTensors:
        """``batch`` with each sentence reduced to the words the target policy keeps (greedy)."""
        keep_a = distil(self.critic, self.policy.target, batch.ids_a, batch.lengths_a, "greedy").keep
        keep_b = distil(self.critic, self.policy.target, batch.ids_b, batch.lengths_b, "greedy").keep
        ids_a, lengths_a = compact(batch.ids_a, keep_a)
        ids_b, lengths_b = compact(batch.ids_b, keep_b)
        return PairTensors(ids_a, lengths_a, ids_b, lengths_b, batch.labels, batch.words_a, batch.words_b)

    def critic_loss(self, batch: PairTensors) -> torch.Tensor:
        """Contrastive loss plus ``regularisation`` times the regulariser on one batch (on the device)."""
        output = self.critic(batch.ids_a, batch.lengths_a, batch.ids_b, batch.lengths_b)
        loss = contrastive_loss(output.distance, batch.labels, self.config.margin)
        if self.config.regularisation > 0:
            loss = loss + self.config.regularisation * output.penalty(self.config.regulariser)
        return loss

    # ----------------------------------------------------------------- phases
    def train_critic(self, epochs: int, distilled: bool) -> list[float]:
        """Train the critic for ``epochs`` on full sentences, or on those the target policy distils.

        Returns the mean loss of each epoch. A non-finite loss raises FloatingPointError.
        """
        means = []
        for epoch in range(epochs):
            started, losses = time.perf_counter(), []
            self.critic.train()
            batches, count = self._batches(self.config.batch_size)
            label = f"critic ({'distilled' if distilled else 'full'}) epoch {epoch + 1}/{epochs}"
            for index in self._progress(batches, count, label):
                batch = self._to_device(self.train_data.select(index))
                if distilled:
                    batch = self._distilled(batch)
                loss = self.critic_loss(batch)
                check_finite(loss, f"the critic loss (epoch {epoch + 1})")
                self._step(loss, self.critic_optimizer, self.critic)
                losses.append(loss.item())
            means.append(self._record("critic-distilled" if distilled else "critic-full", losses, started))
        return means

    def pretrain_policy(self, epochs: int) -> list[float]:
        """Teach the policy the heuristic: keep the first words, drop later ones at random.

        Cross-entropy against :func:`~agents.distillation.policy.pretraining_actions`
        along the trajectories those actions produce; the target then copies the online
        network. Returns the mean loss of each epoch.
        """
        config, means = self.config, []
        self.critic.eval()
        for epoch in range(epochs):
            started, losses = time.perf_counter(), []
            batches, count = self._batches(config.policy_batch_size)
            for index in self._progress(batches, count, f"policy pretraining {epoch + 1}/{epochs}"):
                batch = self._to_device(self.train_data.select(index))
                ids, lengths = _stack_sentences(batch, 1)
                actions = pretraining_actions(
                    lengths.cpu(),
                    ids.shape[1],
                    config.pretrain_keep_first,
                    config.pretrain_drop_probability,
                    self.generator,
                ).to(self.device)
                rollout = distil(self.critic, self.policy.online, ids, lengths, "forced", actions=actions)
                mask = rollout.mask
                loss = F.binary_cross_entropy_with_logits(rollout.logits[mask], actions[mask].float())
                check_finite(loss, f"the policy pretraining loss (epoch {epoch + 1})")
                self._step(loss, self.policy_optimizer, self.policy.online)
                losses.append(loss.item())
            means.append(self._record("policy-pretrain", losses, started))
        self.policy.sync()
        return means

    def train_policy(self, epochs: int) -> list[float]:
        """REINFORCE on the critic's terminal rewards, with online/target soft updates per batch.

        For each batch: online <- target; ``samples_per_pair`` distillations of each pair
        are sampled from the online policy; the frozen critic judges them; the reward is
        :func:`~rcsim_env.envs.distillation.episode_reward` (the environment's own);
        one REINFORCE step with the leave-one-out baseline; then the soft update of the
        target. Returns the mean reward of each epoch.
        """
        config, means = self.config, []
        copies = config.samples_per_pair
        self.critic.eval()
        for epoch in range(epochs):
            started, rewards_seen, kept, total = time.perf_counter(), [], 0, 0
            batches, count = self._batches(config.policy_batch_size)
            for index in self._progress(batches, count, f"policy epoch {epoch + 1}/{epochs}"):
                batch = self._to_device(self.train_data.select(index))
                pairs = len(batch)
                self.policy.begin_batch()
                ids, lengths = _stack_sentences(batch, copies)
                rollout = distil(
                    self.critic, self.policy.online, ids, lengths, "sample", generator=self.sampler
                )
                with torch.no_grad():
                    packed, packed_lengths = compact(ids, rollout.keep)
                    half = pairs * copies
                    distance = self.critic(
                        packed[:half], packed_lengths[:half], packed[half:], packed_lengths[half:]
                    ).distance
                labels = batch.labels.repeat_interleave(copies)
                words = (lengths[:half] + lengths[half:]).double()
                dropped = 1.0 - (packed_lengths[:half] + packed_lengths[half:]).double() / words
                reward = episode_reward(
                    distance.double().cpu().numpy(),
                    labels.double().cpu().numpy(),
                    dropped.cpu().numpy(),
                    config.reward,
                    config.margin,
                    config.drop_bonus,
                )
                reward = torch.as_tensor(reward, dtype=torch.float32, device=self.device).reshape(
                    pairs, copies
                )
                baseline = leave_one_out_baseline(reward)
                log_probs = rollout.log_probs.sum(dim=1)
                loss = reinforce_loss(
                    log_probs[:half] + log_probs[half:], reward.reshape(-1), baseline.reshape(-1)
                )
                check_finite(loss, f"the policy-gradient loss (epoch {epoch + 1})")
                self._step(loss, self.policy_optimizer, self.policy.online)
                self.policy.end_batch()
                rewards_seen.append(float(reward.mean()))
                kept += int(rollout.keep.sum())
                total += int(rollout.mask.sum())
            means.append(self._record("policy", rewards_seen, started, keep_fraction=kept / max(total, 1)))
        return means

    def fit(self) -> list[dict]:
        """The whole schedule: critic on full sentences, policy pretraining, then the alternating rounds.

        Returns :attr:`history` (one record per epoch: phase, mean loss or reward, seconds).
        """
        config = self.config
        self.train_critic(config.critic_epochs, distilled=False)
        self.pretrain_policy(config.policy_pretrain_epochs)
        for _ in range(config.rounds):
            self.train_policy(config.policy_epochs_per_round)
            self.train_critic(config.critic_epochs_per_round, distilled=True)
        return self.history

    # ----------------------------------------------------------------- inference
    @torch.no_grad()
    def predict(self, data: PairTensors, distilled: bool, batch_size: int = 256) -> Prediction:
        """Similarities of ``data``'s pairs from full sentences or from the target policy's greedy choices."""
        self.critic.eval()
        similarities, keep_a, keep_b = [], [], []
        for index in minibatches(len(data), batch_size):
            batch = self._to_device(data.select(index))
            if distilled:
                mask_a = distil(self.critic, self.policy.target, batch.ids_a, batch.lengths_a, "greedy").keep
                mask_b = distil(self.critic, self.policy.target, batch.ids_b, batch.lengths_b, "greedy").keep
            else:
                mask_a = torch.arange(batch.ids_a.shape[1], device=self.device) < batch.lengths_a.unsqueeze(1)
                mask_b = torch.arange(batch.ids_b.shape[1], device=self.device) < batch.lengths_b.unsqueeze(1)
            ids_a, lengths_a = compact(batch.ids_a, mask_a)
            ids_b, lengths_b = compact(batch.ids_b, mask_b)
            similarities.append(self.critic(ids_a, lengths_a, ids_b, lengths_b).similarity.double().cpu())
            keep_a += [row[:n].tolist() for row, n in zip(mask_a.cpu(), batch.lengths_a.tolist())]
            keep_b += [row[:n].tolist() for row, n in zip(mask_b.cpu(), batch.lengths_b.tolist())]
        return Prediction(torch.cat(similarities).numpy(), keep_a, keep_b)
