"""The package as a user gets it: a wheel installed outside the checkout, run from an empty folder.

The wheel is built from a copy of the sources and installed into a fresh virtual environment that
reuses this interpreter's installed dependencies through a ``.pth`` path line (a path line adds the
folder only; the ``.pth`` files inside it, such as an editable install's, are not processed), so
nothing of the checkout is importable there. Every console script, the data search of the
evaluation command and the import boundary between ``rcsim_env`` and ``agents`` are checked.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import site
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("rcsim_env", "agents")
# What the build reads: setup.cfg names the rest (README.md as the long description, LICENSE).
BUILD_INPUTS = ("setup.cfg", "pyproject.toml", "README.md", "LICENSE", "train_rl.py", *PACKAGES)
LABELLING_PAGE_FOLDERS = ("rcsim_env/labelling/templates", "rcsim_env/labelling/static")
TIMEOUT = 300


@dataclass(frozen=True)
class Installed:
    """A virtual environment holding the wheel: its interpreter, its scripts folder, its package files."""

    python: Path
    bin_dir: Path
    site_packages: Path


def clean_env(**changes: str | None) -> dict[str, str]:
    """This process's environment without anything that would put the checkout on ``sys.path``.

    ``changes`` sets variables (a value of None removes one).
    """
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env["HF_HUB_OFFLINE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``command`` in ``cwd`` and return what it did (text output; never raises on failure)."""
    return subprocess.run(
        command,
        cwd=cwd,
        env=clean_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def source_files(suffixes: tuple[str, ...] = (".py",)) -> set[str]:
    """The package files of the source tree (posix paths relative to the checkout), by suffix."""
    found = set()
    for package in PACKAGES:
        for path in (REPO_ROOT / package).rglob("*"):
            if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts:
                found.add(path.relative_to(REPO_ROOT).as_posix())
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of the project, built with ``pip wheel --no-deps --no-build-isolation`` from a copy."""
    pytest.importorskip("setuptools", reason="building the wheel without isolation needs setuptools")
    root = tmp_path_factory.mktemp("wheel-build")
    source = root / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in BUILD_INPUTS:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=ignore)
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(origin, source / name)
    out = root / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    built = run([*command, "--wheel-dir", str(out), str(source)], cwd=root)
    assert built.returncode == 0, built.stdout + built.stderr
    wheels = list(out.glob("rcsim-*.whl"))
    assert len(wheels) == 1, f"expected one rcsim wheel, found {wheels}"
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A fresh venv with the wheel installed (``--no-deps --no-index``) that reuses our packages."""
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv.parent)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    asked = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], venv)
    site_packages = Path(asked.stdout.strip())
    reused = [path for path in dict.fromkeys(site.getsitepackages()) if Path(path).is_dir()]
    (site_packages / "rcsim-test-reused-dependencies.pth").write_text("\n".join(reused) + "\n")
    # pip itself comes from the reused folders; it installs into the venv it runs in.
    command = [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--no-compile", str(wheel)]
    done = run(command, cwd=venv.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(python=python, bin_dir=venv / "bin", site_packages=site_packages)


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    """An empty working directory with no data folder beside it."""
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def console_scripts(installed: Installed) -> dict[str, str]:
    """The console scripts the installed wheel declares (name -> ``module:function``), from its metadata."""
    code = (
        "import importlib.metadata as md, json\n"
        "d = md.distribution('rcsim')\n"
        "print(json.dumps({e.name: e.value for e in d.entry_points if e.group == 'console_scripts'}))\n"
    )
    asked = run([str(installed.python), "-c", code], cwd=installed.bin_dir)
    assert asked.returncode == 0, asked.stderr
    return json.loads(asked.stdout)


def subcommands(help_text: str) -> list[str]:
    """The subcommands an argparse help text lists under "positional arguments".

    Argparse shows a subparser argument there as ``{a,b}`` (or its metavar) indented two spaces,
    with each choice on its own line indented four spaces. Options' choices (``--device {cpu,cuda}``)
    are elsewhere and never count.
    """
    section = re.search(r"^positional arguments:\n((?:(?: .*)?\n)*)", help_text + "\n", re.MULTILINE)
    if not section:
        return []
    names = [
        name
        for group in re.findall(r"^  \{([\w,-]+)\}", section.group(1), re.MULTILINE)
        for name in group.split(",")
    ]
    names += re.findall(r"^    ([\w-]+)(?:\s|$)", section.group(1), re.MULTILINE)
    return list(dict.fromkeys(names))


def test_subcommands_are_read_from_argparse_help() -> None:
    shown = "usage: x [-h] {a,b-c} ...\n\npositional arguments:\n  {a,b-c}\n    a  one\n"
    assert subcommands(shown) == ["a", "b-c"]
    hidden = "usage: x [-h] COMMAND ...\n\npositional arguments:\n  COMMAND\n    get   fetch\n    where\n"
    assert subcommands(hidden) == ["get", "where"]
    options = "usage: x [-h] [--d {cpu,cuda}] FILE\n\npositional arguments:\n  FILE   a file\n\noptions:\n"
    assert subcommands(options + "  --d {cpu,cuda}  device\n") == []


def test_the_wheel_holds_every_package_folder_and_the_page_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    python_files = source_files()
    folders = {str(Path(name).parent.as_posix()) for name in python_files}
    assert {f"{package}/__init__.py" for package in PACKAGES} <= python_files
    missing_folders = sorted(folder for folder in folders if f"{folder}/__init__.py" not in names)
    assert not missing_folders, f"package folders missing from the wheel: {missing_folders}"
    assert not sorted(python_files - names), f"modules missing from the wheel: {sorted(python_files - names)}"
    page_files = {
        path.relative_to(REPO_ROOT).as_posix()
        for folder in LABELLING_PAGE_FOLDERS
        for path in (REPO_ROOT / folder).rglob("*")
        if path.is_file()
    }
    assert page_files and page_files <= names, f"labelling page files missing: {sorted(page_files - names)}"
    assert {"train_rl.py", "rcsim_env/py.typed", "agents/py.typed"} <= names
    assert any(re.fullmatch(r"rcsim-[^/]+\.dist-info/(licenses/)?LICENSE", name) for name in names)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed, empty_dir: Path) -> None:
    code = "import rcsim_env, agents, train_rl; print(rcsim_env.__file__, agents.__file__, train_rl.__file__)"
    asked = run([str(installed.python), "-c", code], cwd=empty_dir)
    assert asked.returncode == 0, asked.stderr
    for module_file in asked.stdout.split():
        assert Path(module_file).is_relative_to(installed.site_packages), module_file


def test_every_console_script_answers_help_from_an_empty_folder(
    installed: Installed, empty_dir: Path
) -> None:
    scripts = console_scripts(installed)
    assert "rcsim" in scripts and all(name.startswith("rcsim") for name in scripts), scripts

    def help_of(command: tuple[str, ...]) -> tuple[tuple[str, ...], subprocess.CompletedProcess]:
        return command, run([str(installed.bin_dir / command[0]), *command[1:], "--help"], cwd=empty_dir)

    checked: list[tuple[str, ...]] = []
    failures: list[str] = []
    level = [(name,) for name in scripts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):  # a script, its subcommands, theirs
            next_level = []
            for command, done in pool.map(help_of, level):
                checked.append(command)
                shown = " ".join(command)
                if done.returncode != 0 or not done.stdout.startswith("usage: "):
                    failures.append(f"{shown} --help: exit {done.returncode}\n{done.stdout}{done.stderr}")
                    continue
                next_level += [(*command, name) for name in subcommands(done.stdout)]
            level = next_level
    assert not level, f"subcommands nested deeper than three levels: {level}"
    assert not failures, "\n\n".join(failures)
    assert len(checked) > len(scripts), f"no script showed a subcommand: {checked}"
    assert ("rcsim", "calibrate") in checked and ("rcsim-data", "download") in checked, checked


def eval_command(installed: Installed) -> list[str]:
    """The evaluation command: ``rcsim eval`` when the main script has it, else ``rcsim-eval``."""
    rcsim = str(installed.bin_dir / "rcsim")
    shown = run([rcsim, "--help"], cwd=installed.bin_dir)
    if "eval" in subcommands(shown.stdout):
        return [rcsim, "eval"]
    return [str(installed.bin_dir / "rcsim-eval")]


def test_eval_finds_the_reference_data_by_option_and_by_environment(
    installed: Installed, tiny_model_dir: Path, shared_data_dir: Path, empty_dir: Path
) -> None:
    command = [*eval_command(installed), "--encoder", str(tiny_model_dir), "--tasks", "stsb-test"]
    command += ["--device", "cpu", "--no-progress"]
    ways = {
        "option": (["--data-dir", str(shared_data_dir)], clean_env(RCSIM_DATA=None)),
        "environment": ([], clean_env(RCSIM_DATA=str(shared_data_dir))),
    }
    for way, (extra, env) in ways.items():
        output = empty_dir.parent / f"eval-{way}.json"
        done = run([*command, *extra, "--output", str(output)], cwd=empty_dir, env=env)
        assert done.returncode == 0, f"{way}: {done.stdout}{done.stderr}"
        result = json.loads(output.read_text(encoding="utf-8"))["results"]["stsb-test"]
        assert result["n"] == 1379 and -100.0 <= result["spearman"] <= 100.0, (way, result)
    assert sorted(path.name for path in empty_dir.iterdir()) == []


def test_eval_without_data_anywhere_says_where_it_looked_and_how_to_get_it(
    installed: Installed, tiny_model_dir: Path, empty_dir: Path
) -> None:
    home = empty_dir.parent / "home"
    home.mkdir()
    env = clean_env(RCSIM_DATA=None, HOME=str(home), XDG_CACHE_HOME=None, XDG_DATA_HOME=None)
    command = [*eval_command(installed), "--encoder", str(tiny_model_dir), "--tasks", "stsb-test"]
    done = run([*command, "--device", "cpu", "--no-progress"], cwd=empty_dir, env=env)
    message = done.stdout + done.stderr
    assert done.returncode != 0, message
    assert "RCSIM_DATA" in message and "download" in message, message


IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys

import rcsim_env

def leaked():
    return sorted(name for name in sys.modules if name == "agents" or name.startswith("agents."))

def failed(name):
    raise ImportError(f"could not import {name}")

first_leak = "rcsim_env" if leaked() else None
names = [info.name for info in pkgutil.walk_packages(rcsim_env.__path__, "rcsim_env.", onerror=failed)]
if leaked() and first_leak is None:
    first_leak = "a package walked by pkgutil"
for name in names:
    importlib.import_module(name)
    if leaked() and first_leak is None:
        first_leak = name
print(json.dumps({"modules": names, "agents": leaked(), "first": first_leak}))
"""


def test_importing_rcsim_env_and_every_submodule_never_imports_agents(empty_dir: Path) -> None:
    done = run(
        [sys.executable, "-c", IMPORT_EVERY_MODULE], cwd=empty_dir, env=clean_env(PYTHONPATH=str(REPO_ROOT))
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    expected = {
        name.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for name in source_files()
    }
    expected = {name for name in expected if name.startswith("rcsim_env.")}
    assert expected <= set(report["modules"]), sorted(expected - set(report["modules"]))
    assert report["agents"] == [], f"importing {report['first']} imported {report['agents']}"


def test_no_rcsim_env_source_imports_agents_even_inside_a_function() -> None:
    """Importing every module (above) misses an ``import agents`` that runs only when a function is called."""
    offenders = []
    for name in sorted(source_files()):
        if not name.startswith("rcsim_env/"):
            continue
        tree = ast.parse((REPO_ROOT / name).read_text(encoding="utf-8"), filename=name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module or ""]
            else:
                continue
            if any(module == "agents" or module.startswith("agents.") for module in modules):
                offenders.append(f"{name}:{node.lineno}: imports {', '.join(modules)}")
    assert not offenders, "rcsim_env must not import agents:\n" + "\n".join(offenders)
