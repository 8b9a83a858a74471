"""``rcsim label``: label sentence pairs in a browser, and export, import and measure the labels.

    rcsim label serve --pairs pairs.jsonl --db labels.sqlite      # open the printed URL
    rcsim label export --db labels.sqlite --output labels.jsonl   # or .csv
    rcsim label import --db labels.sqlite --input labels.jsonl
    rcsim label agreement --db labels.sqlite

Every subcommand has ``--help``. Only ``serve`` needs Flask (``pip install "rcsim[label]"``);
without it, ``serve`` exits with status 2 and says so.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rcsim_env.config import add_dataclass_arguments, dataclass_from_args
from rcsim_env.errors import RCSimError
from rcsim_env.labelling.store import DEFAULT_LEASE_SECONDS

TOKEN_VARIABLE = "RCSIM_LABEL_TOKEN"


@dataclass
class ServeConfig:
    """``rcsim label serve``: the labelling page for a pairs file.

    The store must be writable (checked at start). The server answers at most 32 requests at
    once; a connection must deliver its request within 10 s, and idle connections are closed.
    """

    pairs: str | None = field(
        default=None,
        metadata={
            "help": "pairs to label: .jsonl/.csv/.tsv with sentence_a, sentence_b and optional score "
            "(kept as gold); may be left out when --db already holds a labelling set"
        },
    )
    db: str = field(default="labels.sqlite", metadata={"help": "the SQLite label store (created if missing)"})
    host: str = field(
        default="127.0.0.1", metadata={"help": "address to bind; anything but loopback needs --token"}
    )
    port: int = field(default=8765, metadata={"help": "TCP port; 0 picks a free one"})
    token: str | None = field(
        default=None,
        metadata={
            "help": "access token: at least 16 characters and hard to guess (make one with python -c "
            f"'import secrets; print(secrets.token_urlsafe())'); default: ${TOKEN_VARIABLE} when set"
        },
    )
    lease_seconds: float = field(
        default=DEFAULT_LEASE_SECONDS,
        metadata={"help": "how long a live oracle's pair stays with the annotator it was shown to"},
    )
    log_requests: bool = field(default=False, metadata={"help": "log one line per HTTP request"})


@dataclass
class ExportConfig:
    """``rcsim label export``: write the judgements to a file a replay oracle can read."""

    db: str = field(default="labels.sqlite", metadata={"help": "the SQLite label store"})
    output: str = field(default="", metadata={"help": "file to write: .jsonl or .csv (required)"})
    include_skipped: bool = field(
        default=False,
        metadata={"help": "also write skipped pairs (blank score; a replay oracle refuses them)"},
    )
    include_retracted: bool = field(
        default=False, metadata={"help": "also write answers taken back with undo"}
    )


@dataclass
class ImportConfig:
    """``rcsim label import``: read an exported (or plain pairs) file into a label store."""

    db: str = field(default="labels.sqlite", metadata={"help": "the SQLite label store (created if missing)"})
    input: str = field(default="", metadata={"help": "file to read: .jsonl or .csv (required)"})
    annotator: str | None = field(
        default=None, metadata={"help": "annotator for rows with a score but no annotator column"}
    )


@dataclass
class AgreementConfig:
    """``rcsim label agreement``: agreement between annotators and with gold."""

    db: str = field(default="labels.sqlite", metadata={"help": "the SQLite label store"})
    json: bool = field(default=False, metadata={"help": "print the figures as JSON"})


def _existing_store(path: str):
    from rcsim_env.labelling.store import LabelStore

    if not Path(path).is_file():
        raise RCSimError(f"--db {path!r} does not exist (give the label store that serve or import wrote)")
    return LabelStore(path)


def run_serve(config: ServeConfig) -> int:
    """Load ``--pairs`` into the store and serve the page until Ctrl-C; returns the exit status.

    Raises FlaskNotInstalledError (before touching any file) when Flask is not installed.
    """
    from rcsim_env.data.loaders import load_pairs_file
    from rcsim_env.labelling.security import check_bind
    from rcsim_env.labelling.server import LabellingServer  # needs Flask
    from rcsim_env.labelling.store import LabelStore

    token = config.token if config.token is not None else (os.environ.get(TOKEN_VARIABLE) or None)
    check_bind(config.host, token)  # before touching any file
    if not 0 <= config.port <= 65535:
        raise RCSimError(f"--port must be in 0-65535, got {config.port}")
    pairs = None
    if config.pairs is not None:
        if not Path(config.pairs).is_file():
            raise RCSimError(f"--pairs {config.pairs!r} does not exist")
        pairs = load_pairs_file(config.pairs)
    store = LabelStore(config.db)
    store.check_writable()  # a read-only, locked or full store is refused now, not at the first answer
    if pairs is not None:
        before = store.task_size()
        store.add_pairs(pairs, task=True)
        added = store.task_size() - before
        print(f"{config.pairs}: {len(pairs)} pairs, {added} new in {config.db}")
    if store.task_size() == 0:
        raise RCSimError(f"{config.db} holds no pairs to label; pass --pairs FILE")
    server = LabellingServer(
        store,
        host=config.host,
        port=config.port,
        token=token,
        lease_seconds=config.lease_seconds,
        log_requests=config.log_requests,
    )
    print(
        f"labelling {store.task_size()} pairs; {store.count_judgements()} judgements stored so far "
        f"in {config.db}\n"
        f"open {server.login_url} in a browser (Ctrl-C stops; every answer is saved when it is given)",
        flush=True,
    )

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops as cleanly as Ctrl-C (every answer is committed already)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()  # returns on Ctrl-C: werkzeug catches KeyboardInterrupt itself
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.shutdown()
    print(f"\nstopped; {store.count_judgements()} judgements in {config.db}")
    return 0


def run_export(config: ExportConfig) -> int:
    """Write the store's judgements to ``--output``; returns 0."""
    from rcsim_env.labelling.export import export_judgements

    if not config.output:
        raise RCSimError("export needs --output FILE (.jsonl or .csv)")
    store = _existing_store(config.db)
    count = export_judgements(store, config.output, config.include_skipped, config.include_retracted)
    print(f"wrote {count} judgements to {config.output}")
    return 0


def run_import(config: ImportConfig) -> int:
    """Read ``--input`` into the store; returns 0."""
    from rcsim_env.labelling.export import import_judgements
    from rcsim_env.labelling.store import LabelStore

    if not config.input:
        raise RCSimError("import needs --input FILE (.jsonl or .csv)")
    if not Path(config.input).is_file():
        raise RCSimError(f"--input {config.input!r} does not exist")
    summary = import_judgements(LabelStore(config.db), config.input, annotator=config.annotator)
    print(
        f"read {summary.rows} rows from {config.input}: {summary.pairs_added} new pairs, "
        f"{summary.judgements_added} judgements added, {summary.already_present} already present"
    )
    return 0


def _nan_to_none(value: object) -> object:
    """``value`` with NaN floats (undefined figures) turned into None, recursively, for strict JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _nan_to_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(item) for item in value]
    return value


def run_agreement(config: AgreementConfig) -> int:
    """Print the agreement figures of the store; returns 0."""
    from rcsim_env.labelling.agreement import store_agreement

    report = store_agreement(_existing_store(config.db))
    if config.json:
        print(json.dumps(_nan_to_none(report.to_dict()), indent=2))
    else:
        print(report.format_text())
    return 0


COMMANDS = {
    "serve": (ServeConfig, run_serve, "serve the labelling page for a pairs file (no training)"),
    "export": (ExportConfig, run_export, "write judgements to .jsonl/.csv (readable by the replay oracle)"),
    "import": (ImportConfig, run_import, "read judgements (or pairs) from .jsonl/.csv into a label store"),
    "agreement": (AgreementConfig, run_agreement, "inter-annotator agreement and agreement with gold"),
}


def build_parser(prog: str = "rcsim label") -> argparse.ArgumentParser:
    """The ``rcsim label`` parser, one subcommand per job, one option per config field."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (config_class, _run, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=f"{help_text}. {config_class.__doc__}")
        add_dataclass_arguments(sub, config_class)
    return parser


def main(argv: list[str] | None = None, prog: str = "rcsim label") -> int:
    """Parse ``argv`` and run the subcommand; bad settings or data exit with status 2 and a message."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    config_class, run, _help = COMMANDS[args.command]
    try:
        return run(dataclass_from_args(config_class, args))
    except (RCSimError, ValueError, OSError) as exc:  # bad settings or data: say what, without a traceback
        parser.error(str(exc))
    return 2  # not reached: parser.error exits


def alias_main() -> int:
    """``rcsim-label``, the older name of ``rcsim label``."""
    return main(prog="rcsim-label")


if __name__ == "__main__":
    sys.exit(main())
