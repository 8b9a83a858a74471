"""Flask is an optional extra: everything but the page works without it, and the page says what to install.

Each test runs a real subprocess through ``without_flask.py``, whose ``sys.meta_path``
finder makes ``import flask`` (and werkzeug) fail exactly as when the package is absent.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rcsim_env.labelling.needs_flask import INSTALL_COMMAND, FlaskNotInstalledError, require_flask

from .conftest import SAMPLE_PAIRS

ROOT = Path(__file__).resolve().parents[3]
WITHOUT_FLASK = Path(__file__).resolve().with_name("without_flask.py")
# The modules that serve the page; every other module of rcsim_env must import without Flask.
PAGE_MODULES = {
    "rcsim_env.labelling.api",
    "rcsim_env.labelling.bounded_server",
    "rcsim_env.labelling.flask_imports",
    "rcsim_env.labelling.pages",
    "rcsim_env.labelling.server",
}


def run_without(
    args: list[str], missing: str = "flask,werkzeug", cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    """``python without_flask.py ARGS`` with ``missing`` packages absent; returns the finished process."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "RCSIM_TEST_MISSING": missing,
    }
    return subprocess.run(
        [sys.executable, str(WITHOUT_FLASK), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_says_install_flask(message: str, missing_module: str = "flask") -> None:
    assert "the labelling page needs Flask" in message
    assert f"No module named '{missing_module}'" in message
    assert 'pip install "rcsim[label]"' in message


WALK = """
import importlib, json, pkgutil, sys
import rcsim_env
from rcsim_env.errors import RCSimError
outcomes = {}
for info in pkgutil.walk_packages(rcsim_env.__path__, "rcsim_env."):
    if info.name.rpartition(".")[2] == "__main__":
        continue  # running it is not importing it
    try:
        importlib.import_module(info.name)
        outcomes[info.name] = None
    except Exception as exc:
        outcomes[info.name] = {
            "type": type(exc).__name__,
            "message": str(exc),
            "rcsim_error": isinstance(exc, RCSimError),
            "import_error": isinstance(exc, ImportError),
        }
loaded = sorted(name for name in sys.modules if name.partition(".")[0] in ("flask", "werkzeug"))
print(json.dumps({"outcomes": outcomes, "flask_loaded": loaded}))
"""


def test_every_module_but_the_page_imports_without_flask():
    finished = run_without(["-c", WALK])
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    outcomes = report["outcomes"]
    assert len(outcomes) > 40 and {"rcsim_env.labelling.app", "rcsim_env.oracles.human"} <= set(outcomes)
    failed = {name: outcome for name, outcome in outcomes.items() if outcome is not None}
    assert set(failed) == PAGE_MODULES, failed
    for name, outcome in failed.items():
        assert outcome["type"] == "FlaskNotInstalledError", name
        assert outcome["rcsim_error"] and outcome["import_error"], name
        assert_says_install_flask(outcome["message"])
    assert report["flask_loaded"] == []


LABELS_WITHOUT_FLASK = """
import io, json, sys
from pathlib import Path
from rcsim_env.data.pairs import ScoredPair
from rcsim_env.labelling import LabelStore, export_judgements, import_judgements, store_agreement
from rcsim_env.labelling.app import check_bind, create_app, LabellingConfigError
from rcsim_env.labelling.cli import main
from rcsim_env.labelling.needs_flask import FlaskNotInstalledError, require_flask
from rcsim_env.oracles.human import TerminalHumanOracle, WebHumanOracle

pairs = [ScoredPair(*row) for row in json.loads(sys.argv[1])]
folder = Path(sys.argv[2])
store = LabelStore(folder / "labels.sqlite")
store.add_pairs(pairs, task=True)
for pair_id in range(1, len(pairs) + 1):
    store.record_judgement(pair_id, "ann", score=float(pair_id % 6))
keys = io.StringIO("?\\n4\\n")
terminal = TerminalHumanOracle(input=keys, output=io.StringIO(), store=store, annotator="tim")
score = terminal.judge("A dog runs.", "A dog is running.")
written = export_judgements(store, folder / "labels.jsonl")
copy = LabelStore(folder / "copy.sqlite")
summary = import_judgements(copy, folder / "labels.jsonl")
agreement = store_agreement(copy).to_dict()
check_bind("127.0.0.1", None)
errors = {}
for name, call in [
    ("require_flask", require_flask),
    ("create_app", lambda: create_app(store)),
    ("serve", lambda: WebHumanOracle.serve(store, port=0)),
]:
    try:
        call()
        errors[name] = None
    except FlaskNotInstalledError as exc:
        errors[name] = str(exc)
try:
    create_app(store, host="0.0.0.0")
    unsafe = None
except LabellingConfigError as exc:
    unsafe = str(exc)
commands = {
    "export": main(["export", "--db", str(folder / "labels.sqlite"), "--output", str(folder / "out.csv")]),
    "import": main(["import", "--db", str(folder / "third.sqlite"), "--input", str(folder / "out.csv")]),
    "agreement": main(["agreement", "--db", str(folder / "third.sqlite"), "--json"]),
}
print(json.dumps({
    "score": score,
    "guidelines_shown": "Completely equivalent" in terminal.output.getvalue(),
    "terminal_rows": [(j.annotator, j.score, j.origin) for j in store.judgements() if j.annotator == "tim"],
    "written": written,
    "imported": summary.judgements_added,
    "annotators": sorted({j.annotator for j in copy.judgements()}),
    "agreement": [agreement["judgements"], agreement["annotators"]],
    "errors": errors,
    "unsafe": unsafe,
    "commands": commands,
    "third": LabelStore(folder / "third.sqlite").count_judgements(),
}))
"""


def test_labels_terminal_oracle_and_label_commands_work_without_flask(tmp_path):
    rows = [[p.sentence_a, p.sentence_b, p.score, p.pair_id] for p in SAMPLE_PAIRS]
    finished = run_without(["-c", LABELS_WITHOUT_FLASK, json.dumps(rows), str(tmp_path)])
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    assert report["score"] == 4.0 and report["guidelines_shown"] is True
    assert report["terminal_rows"] == [["tim", 4.0, "terminal"]]
    assert report["written"] == len(SAMPLE_PAIRS) + 1 and report["imported"] == len(SAMPLE_PAIRS) + 1
    assert report["annotators"] == ["ann", "tim"]
    assert report["agreement"] == [len(SAMPLE_PAIRS) + 1, ["ann", "tim"]]
    assert report["commands"] == {"export": 0, "import": 0, "agreement": 0}
    assert report["third"] == len(SAMPLE_PAIRS) + 1
    for name, message in report["errors"].items():
        assert message is not None, f"{name} worked without Flask"
        assert_says_install_flask(message)
    assert "refusing to bind" in report["unsafe"]  # unsafe settings are still refused first


@pytest.mark.parametrize("missing", ["flask", "werkzeug", "flask,werkzeug"])
def test_rcsim_label_serve_without_flask_exits_2_with_the_install_command(tmp_path, missing):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"sentence_a": "A dog runs.", "sentence_b": "A dog is running."}) + "\n")
    db = tmp_path / "labels.sqlite"
    args = ["-m", "rcsim_env.labelling.cli", "serve", "--pairs", str(pairs), "--db", str(db), "--port", "0"]
    finished = run_without(args, missing=missing)
    assert finished.returncode == 2
    assert "Traceback" not in finished.stderr
    assert "rcsim label: error: " in finished.stderr
    assert_says_install_flask(finished.stderr, missing_module=missing.split(",")[0])
    assert not db.exists()  # refused before touching anything


def test_with_flask_the_check_passes_and_the_error_is_an_import_error():
    require_flask()  # flask is installed in the test environment
    assert issubclass(FlaskNotInstalledError, ImportError)
    assert INSTALL_COMMAND == 'pip install "rcsim[label]"'
