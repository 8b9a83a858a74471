"""How far people agree: between annotators (Pearson, Spearman, Krippendorff's alpha) and against gold.

Only judgements that are neither skipped nor retracted count. When one annotator
answered the same pair more than once (live requests can show a pair again), the
mean of their answers is their value for that pair.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

MIN_CORRELATION_PAIRS = 3


def krippendorff_alpha_interval(units: Iterable[Sequence[float | None]]) -> float:
    """Krippendorff's alpha for interval data (squared-difference metric).

    Args:
        units: one sequence per unit (a sentence pair) holding the values the coders gave
            it; ``None`` and NaN mean "no value" and are dropped. Units left with fewer
            than two values cannot be paired and are ignored, as in Krippendorff (2011).

    Returns:
        ``1 - D_o / D_e`` with the observed disagreement
        ``D_o = 1/n * sum_u 1/(m_u - 1) * sum_{i != j in u} (v_i - v_j)^2`` and the expected
        disagreement ``D_e = 1/(n (n - 1)) * sum_{i != j over all pairable values} (v_i - v_j)^2``,
        where ``m_u`` is the number of values in unit u and ``n`` the number of pairable
        values. 1 is perfect agreement, 0 agreement at chance level. NaN when it is
        undefined: fewer than two pairable values, or no variation at all (D_e = 0).
    """
    observed = 0.0
    total = total_squares = 0.0
    n = 0
    for unit in units:
        values = np.array([float(v) for v in unit if v is not None and not math.isnan(float(v))])
        m = len(values)
        if m < 2:
            continue
        # sum over ordered pairs i != j of (v_i - v_j)^2 = 2 (m sum v^2 - (sum v)^2)
        pair_sum = 2.0 * (m * float(np.sum(values**2)) - float(np.sum(values)) ** 2)
        observed += pair_sum / (m - 1)
        total += float(np.sum(values))
        total_squares += float(np.sum(values**2))
        n += m
    if n < 2:
        return math.nan
    expected = 2.0 * (n * total_squares - total**2) / (n * (n - 1))
    if expected <= 1e-12:
        return math.nan
    return 1.0 - (observed / n) / expected


def correlations(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """Pearson and Spearman correlation (scipy) of two equally long score lists.

    NaN when fewer than three pairs or when either list is constant (a correlation is
    undefined then, and scipy would warn).
    """
    from scipy import stats

    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"the two score lists differ in length ({len(a)} vs {len(b)})")
    if len(a) < MIN_CORRELATION_PAIRS or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan, math.nan
    return float(stats.pearsonr(a, b)[0]), float(stats.spearmanr(a, b)[0])


@dataclass(frozen=True)
class PairwiseAgreement:
    """Two annotators on the pairs both answered: how many, Pearson, Spearman, mean absolute difference."""

    annotator_a: str
    annotator_b: str
    n: int
    pearson: float
    spearman: float
    mean_absolute_difference: float


@dataclass(frozen=True)
class GoldAgreement:
    """One annotator against the gold scores of the pairs they answered."""

    annotator: str
    n: int
    pearson: float
    spearman: float
    mean_absolute_error: float


@dataclass
class AgreementReport:
    """Every agreement figure of a label store.

    ``alpha``: Krippendorff's alpha (interval) over all annotators and pairs;
    ``alpha_units``: the pairs with at least two annotators' values; ``pairwise``: each
    pair of annotators; ``mean_pairwise_pearson``/``spearman``: their means over annotator
    pairs with a defined value; ``gold``: each annotator against gold, where gold exists.
    """

    annotators: list[str]
    judgements: int
    alpha: float
    alpha_units: int
    pairwise: list[PairwiseAgreement] = field(default_factory=list)
    gold: list[GoldAgreement] = field(default_factory=list)
    mean_pairwise_pearson: float = math.nan
    mean_pairwise_spearman: float = math.nan

    def to_dict(self) -> dict[str, object]:
        """A plain dict (JSON-ready once NaN is mapped to null, e.g. with ``rcsim_env.jsonio``)."""
        return asdict(self)

    def format_text(self) -> str:
        """A readable multi-line summary for the terminal."""

        def number(value: float) -> str:
            return "-" if math.isnan(value) else f"{value:.3f}"

        lines = [
            f"{self.judgements} judgements by {len(self.annotators)} annotator(s): "
            f"{', '.join(self.annotators) or '-'}",
            f"Krippendorff's alpha (interval): {number(self.alpha)} over {self.alpha_units} pairs "
            "with two or more annotators",
        ]
        if self.pairwise:
            lines.append(
                f"mean pairwise Pearson {number(self.mean_pairwise_pearson)}, "
                f"Spearman {number(self.mean_pairwise_spearman)}"
            )
            lines.append(
                f"  {'annotator':<20} {'annotator':<20} {'n':>5} {'Pearson':>8} {'Spearman':>8} {'MAD':>6}"
            )
            for item in self.pairwise:
                lines.append(
                    f"  {item.annotator_a:<20.20} {item.annotator_b:<20.20} {item.n:>5} "
                    f"{number(item.pearson):>8} {number(item.spearman):>8} "
                    f"{number(item.mean_absolute_difference):>6}"
                )
        if self.gold:
            lines.append("against gold:")
            lines.append(f"  {'annotator':<20} {'n':>5} {'Pearson':>8} {'Spearman':>8} {'MAE':>6}")
            for item in self.gold:
                lines.append(
                    f"  {item.annotator:<20.20} {item.n:>5} {number(item.pearson):>8} "
                    f"{number(item.spearman):>8} {number(item.mean_absolute_error):>6}"
                )
        return "\n".join(lines)


def agreement_from_scores(
    scores: Mapping[str, Mapping[object, float]], gold: Mapping[object, float | None] | None = None
) -> AgreementReport:
    """Agreement figures from ``{annotator: {pair: score}}`` and optional ``{pair: gold}``.

    Pairs are any hashable keys. Pairwise figures use the pairs both annotators answered;
    gold figures the pairs with a gold score.
    """
    annotators = sorted(scores)
    units: dict[object, list[float]] = {}
    for annotator in annotators:
        for pair, value in scores[annotator].items():
            units.setdefault(pair, []).append(float(value))
    alpha_units = sum(1 for values in units.values() if len(values) >= 2)
    report = AgreementReport(
        annotators=annotators,
        judgements=sum(len(values) for values in units.values()),
        alpha=krippendorff_alpha_interval(units.values()),
        alpha_units=alpha_units,
    )
    for first, second in itertools.combinations(annotators, 2):
        shared = sorted(set(scores[first]) & set(scores[second]), key=repr)
        x = [scores[first][pair] for pair in shared]
        y = [scores[second][pair] for pair in shared]
        pearson, spearman = correlations(x, y)
        mad = float(np.mean(np.abs(np.subtract(x, y)))) if shared else math.nan
        report.pairwise.append(PairwiseAgreement(first, second, len(shared), pearson, spearman, mad))
    defined_p = [item.pearson for item in report.pairwise if not math.isnan(item.pearson)]
    defined_s = [item.spearman for item in report.pairwise if not math.isnan(item.spearman)]
    report.mean_pairwise_pearson = float(np.mean(defined_p)) if defined_p else math.nan
    report.mean_pairwise_spearman = float(np.mean(defined_s)) if defined_s else math.nan
    if gold:
        for annotator in annotators:
            with_gold = [pair for pair in scores[annotator] if gold.get(pair) is not None]
            if not with_gold:
                continue
            x = [scores[annotator][pair] for pair in with_gold]
            y = [float(gold[pair]) for pair in with_gold]  # type: ignore[arg-type]
            pearson, spearman = correlations(x, y)
            mae = float(np.mean(np.abs(np.subtract(x, y))))
            report.gold.append(GoldAgreement(annotator, len(with_gold), pearson, spearman, mae))
    return report


def store_agreement(store) -> AgreementReport:
    """Agreement figures of a :class:`~rcsim_env.labelling.store.LabelStore`.

    Uses every judgement that is neither skipped nor retracted; an annotator's repeated
    answers to one pair are averaged. Gold comes from the pairs' stored gold scores.
    """
    collected: dict[str, dict[int, list[float]]] = {}
    for judgement in store.judgements(include_retracted=False, include_skipped=False):
        collected.setdefault(judgement.annotator, {}).setdefault(judgement.pair_id, []).append(
            judgement.score
        )
    scores = {
        annotator: {pair: float(np.mean(values)) for pair, values in by_pair.items()}
        for annotator, by_pair in collected.items()
    }
    gold = {pair.id: pair.gold for pair in store.pairs() if pair.gold is not None}
    return agreement_from_scores(scores, gold)
