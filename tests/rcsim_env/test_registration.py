import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_make_with_module_prefix_works_in_a_fresh_interpreter(shared_data_dir):
    code = (
        "import gymnasium, numpy as np\n"
        f"env = gymnasium.make('rcsim_env:RCSim/SentenceSimilarity-v0', data_dir={str(shared_data_dir)!r})\n"
        "obs, info = env.reset(seed=0)\n"
        "obs, r, term, trunc, info = env.step(np.zeros(1, np.float32))\n"
        "print(sorted(obs), info['pair_id'], type(r).__name__)\n"
    )
    result = run_fresh(code)
    assert result.returncode == 0, result.stderr
    assert "['sentence_a', 'sentence_b'] sts-train.csv:" in result.stdout and "float" in result.stdout


def test_import_registers_and_reimport_does_not_warn():
    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "import importlib, gymnasium, rcsim_env\n"
        "importlib.reload(rcsim_env)\n"
        "spec = gymnasium.spec('RCSim/SentenceSimilarity-v0')\n"
        "print(spec.entry_point, spec.nondeterministic)\n"
    )
    result = run_fresh(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "rcsim_env.envs.similarity:SentenceSimilarityEnv False"
