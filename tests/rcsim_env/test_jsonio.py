import json
import math

from rcsim_env.jsonio import write_json


def test_write_json_turns_nan_into_null_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "r.json"
    assert write_json(path, {"a": math.nan, "b": [1.5, math.inf], "c": {"d": 2}}) == path
    assert json.loads(path.read_text()) == {"a": None, "b": [1.5, None], "c": {"d": 2}}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_write_json_creates_missing_folders(tmp_path):
    target = write_json(tmp_path / "a" / "b" / "c.json", [1, 2])
    assert json.loads(target.read_text()) == [1, 2]
