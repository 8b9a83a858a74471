"""People's similarity judgements: a durable SQLite label store, a local labelling page, export and agreement.

- :mod:`~rcsim_env.labelling.store`: :class:`LabelStore` (pairs, judgements, the live
  oracle's queue, sessions; WAL, every answer fsynced before it is used);
- :mod:`~rcsim_env.labelling.app`: the labelling page as a Flask app, assembled from
  :mod:`~rcsim_env.labelling.security`, :mod:`~rcsim_env.labelling.pages` and
  :mod:`~rcsim_env.labelling.api`; :mod:`~rcsim_env.labelling.server` serves it. Serving
  the page needs Flask, the optional extra ``rcsim[label]`` (see
  :mod:`~rcsim_env.labelling.needs_flask`); nothing else here needs it;
- :mod:`~rcsim_env.labelling.export`: JSONL/CSV export that the replay oracle reads, and import;
- :mod:`~rcsim_env.labelling.agreement`: Pearson, Spearman and Krippendorff's alpha;
- :mod:`~rcsim_env.labelling.cli`: the ``rcsim label`` command.

The oracles that wait for people are in :mod:`rcsim_env.oracles.human`.
"""

from rcsim_env.labelling.agreement import (
    AgreementReport,
    agreement_from_scores,
    krippendorff_alpha_interval,
    store_agreement,
)
from rcsim_env.labelling.export import export_judgements, import_judgements
from rcsim_env.labelling.store import (
    AlreadyJudgedError,
    Judgement,
    LabelStore,
    LabelStoreDamagedError,
    LabelStoreError,
    LabelStoreFormatError,
    LabelStoreUnavailableError,
    UnknownItemError,
)

__all__ = [
    "AgreementReport",
    "AlreadyJudgedError",
    "Judgement",
    "LabelStore",
    "LabelStoreDamagedError",
    "LabelStoreError",
    "LabelStoreFormatError",
    "LabelStoreUnavailableError",
    "UnknownItemError",
    "agreement_from_scores",
    "export_judgements",
    "import_judgements",
    "krippendorff_alpha_interval",
    "store_agreement",
]
