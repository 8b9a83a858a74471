import math

from agents.calibration.run_folder import CsvLog, RunFolder


def test_csv_log_appends_widens_its_header_and_truncates_to_a_query(tmp_path):
    log = CsvLog(tmp_path / "m.csv", ("query",))
    log.append({"query": 1, "loss": 0.5})
    log.append({"query": 2, "loss": 0.25, "dev": 80.0})
    log.append({"query": 3, "loss": math.nan})
    rows = log.rows()
    assert [r["query"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["dev"] == "" and rows[1]["dev"] == "80" and rows[2]["loss"] == ""
    log.truncate_after(2)
    assert [r["query"] for r in CsvLog(tmp_path / "m.csv").rows()] == ["1", "2"]


def test_run_folder_logs_metrics_rows_by_query(tmp_path):
    folder = RunFolder(tmp_path / "run", tensorboard=False)
    folder.log_metrics(4, {"train/critic_loss": 0.1})
    folder.queries.append({"query": 4, "pair_id": "x", "reward": -0.1, "skipped": False})
    folder.truncate_after(3)
    assert folder.metrics.rows() == [] and folder.queries.rows() == []
    assert folder.encoder_dir == tmp_path / "run" / "encoder" and not folder.tensorboard_enabled
