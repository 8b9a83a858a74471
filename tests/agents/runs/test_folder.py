import math

from agents.runs.folder import CsvLog, RunFolder


def test_csv_log_appends_widens_its_header_and_truncates_to_a_position(tmp_path):
    log = CsvLog(tmp_path / "m.csv", ("query",))
    log.append({"query": 1, "loss": 0.5})
    log.append({"query": 2, "loss": 0.25, "dev": 80.0})
    log.append({"query": 3, "loss": math.nan})
    rows = log.rows()
    assert [r["query"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["dev"] == "" and rows[1]["dev"] == "80" and rows[2]["loss"] == ""
    log.truncate_after(2)
    assert [r["query"] for r in CsvLog(tmp_path / "m.csv").rows()] == ["1", "2"]


def test_run_folder_creates_nothing_until_asked_and_logs_by_its_unit(tmp_path):
    folder = RunFolder(tmp_path / "run", unit="step", model_dir_name="model", tensorboard=False)
    assert not folder.root.exists()
    folder.create()
    folder.log_metrics(4, {"train/loss": 0.1})
    queries = folder.log("queries.csv", ("step", "pair_id"))
    queries.append({"step": 4, "pair_id": "x"})
    assert folder.metrics.rows() == [{"step": "4", "train/loss": "0.1"}]
    folder.metrics.truncate_after(3)
    queries.truncate_after(3)
    assert folder.metrics.rows() == [] and queries.rows() == []
    assert folder.model_dir == tmp_path / "run" / "model" and not folder.tensorboard_enabled
