import json


def test_throughput_benchmark_writes_both_figures(
    load_benchmark, tiny_model_dir, shared_data_dir, tmp_path, capsys
):
    bench = load_benchmark("env_throughput")
    out = tmp_path / "tp.json"
    assert (
        bench.main(
            [
                "--encoder",
                str(tiny_model_dir),
                "--pairs",
                "40",
                "--repeats",
                "1",
                "--device",
                "cpu",
                "--data-dir",
                str(shared_data_dir),
                "--output",
                str(out),
            ]
        )
        == 0
    )
    result = json.loads(out.read_text())
    assert result["pairs"] == 40
    assert result["raw_encoder_pairs_per_s"] > 0 and result["env_steps_per_s"] > 0
    expected = result["env_steps_per_s"] / result["raw_encoder_pairs_per_s"]
    assert abs(result["ratio_env_to_raw"] - expected) < 0.01
    assert "ratio" in capsys.readouterr().out
