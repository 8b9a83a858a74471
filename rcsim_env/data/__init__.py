"""Data for rcsim: finding the data directory, loading sentence-pair data sets, fetching them.

Typical use::

    from rcsim_env.data import load_pool, load_stsb
    pairs = load_stsb("test")            # from data_dir, $RCSIM_DATA or ~/.cache/rcsim/data
    pool = load_pool("sick-train")       # a named pool ...
    mine = load_pool("my_pairs.tsv")     # ... or a pairs file of your own (.jsonl, .csv, .tsv)

Note: the name ``rcsim_env.data.download`` is the function :func:`download`, which hides the
submodule of the same name; reach the module with ``importlib.import_module("rcsim_env.data.download")``
(``from rcsim_env.data.download import ...`` works as usual).
"""

from __future__ import annotations

from rcsim_env.data.builtin_pairs import builtin_pairs
from rcsim_env.data.download import DownloadError, download, safe_extract
from rcsim_env.data.loaders import (
    find_senteval_root,
    find_wiki_corpus,
    load_corpus,
    load_mrpc,
    load_pairs_file,
    load_senteval_sts,
    load_sick,
    load_stsb,
    read_mrpc_file,
    read_sick_file,
    read_stsb_file,
)
from rcsim_env.data.locate import (
    candidate_data_dirs,
    datasets_in,
    find_data_file,
    labelled_data_dirs,
    user_data_dir,
)
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.data.pairs_file import ScoreScale
from rcsim_env.data.pools import POOLS, load_pool
from rcsim_env.data.text_lines import text_lines

__all__ = [
    "POOLS",
    "DownloadError",
    "ScoreScale",
    "ScoredPair",
    "builtin_pairs",
    "candidate_data_dirs",
    "datasets_in",
    "download",
    "find_data_file",
    "find_senteval_root",
    "find_wiki_corpus",
    "labelled_data_dirs",
    "load_corpus",
    "load_mrpc",
    "load_pairs_file",
    "load_pool",
    "load_senteval_sts",
    "load_sick",
    "load_stsb",
    "read_mrpc_file",
    "read_sick_file",
    "read_stsb_file",
    "safe_extract",
    "text_lines",
    "user_data_dir",
]
