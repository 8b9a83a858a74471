"""Fetch the public releases of the data sets into a data directory, in the layout the loaders read.

Nothing here runs on import. Each file is first written to a temporary file next to its
target and renamed only once complete, so an interrupted download never leaves a partial
file under its final name. Archives are unpacked by :func:`safe_extract`, which refuses
members that would land outside the extraction folder.
"""

from __future__ import annotations

import http.client
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from rcsim_env.data.locate import ENV_VAR, MRPC_FILES, SICK_FILES, STSB_FILES, WIKI_FILES
from rcsim_env.errors import RCSimError

DEFAULT_TIMEOUT_S = 60.0
CHUNK_BYTES = 1 << 16

URLS: dict[str, str] = {
    "stsb": "http://ixa2.si.ehu.eus/stswiki/images/4/48/Stsbenchmark.tar.gz",
    "sick": "https://zenodo.org/record/2787612/files/SICK.zip",
    "mrpc-train": "https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_train.txt",
    "mrpc-test": "https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_test.txt",
    "wiki": (
        "https://huggingface.co/datasets/princeton-nlp/datasets-for-simcse/resolve/main/wiki1m_for_simcse.txt"
    ),
}

# SICK.zip holds one SICK.txt; its SemEval_set column says which split each pair belongs to.
SICK_SETS = {"TRAIN": "train", "TRIAL": "trial", "TEST": "test"}
SICK_COLUMNS = ("pair_ID", "sentence_A", "sentence_B", "relatedness_score", "entailment_label")
SICK_HEADER = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment"


class DownloadError(RCSimError):
    """A data set could not be fetched or unpacked; the message says which URL or archive and why."""


@dataclass(frozen=True)
class DataSetSource:
    """How to fetch one data set: the files it must produce and the function that fetches them."""

    targets: tuple[str, ...]
    fetch: Callable[[Path, float, bool], list[Path]]


def download(
    dest: str | os.PathLike[str] = "data",
    only: Iterable[str] | None = None,
    *,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT_S,
    progress: bool = True,
) -> list[Path]:
    """Fetch data sets into the data directory ``dest`` and return the files written.

    ``only`` names a subset of ``stsb``, ``sick``, ``mrpc``, ``wiki`` (default: all). A data
    set whose files are all present is skipped unless ``force``. ``timeout`` is the socket
    timeout in seconds; ``progress`` shows a tqdm bar on stderr when tqdm is installed.

    Raises:
        ValueError: ``only`` names an unknown data set.
        DownloadError: a URL could not be fetched or an archive is unsafe or unexpected.
    """
    names = list(SOURCES) if only is None else list(dict.fromkeys(only))
    unknown = [name for name in names if name not in SOURCES]
    if unknown:
        raise ValueError(f"unknown data set(s) {', '.join(unknown)}; choose from {', '.join(SOURCES)}")
    dest = Path(dest)
    written: list[Path] = []
    for name in names:
        source = SOURCES[name]
        if not force and all((dest / target).is_file() for target in source.targets):
            continue
        written.extend(source.fetch(dest, timeout, progress))
    return written


def fetch_url(url: str, target: Path, timeout: float = DEFAULT_TIMEOUT_S, progress: bool = True) -> Path:
    """Download ``url`` to ``target`` through a temporary file renamed when complete; return ``target``.

    Raises DownloadError saying which URL failed and why (network error, HTTP error, short
    read), and how to place the files by hand.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            total = int(expected) if expected and expected.isdigit() else None
            received = _copy(response, out, total, target.name if progress else None)
        if total is not None and received != total:
            raise DownloadError(_failure(url, f"incomplete: got {received} of {total} bytes"))
        os.replace(temp, target)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DownloadError(_failure(url, _reason(exc))) from exc
    finally:
        temp.unlink(missing_ok=True)
    return target


def _copy(source: BinaryIO, out: BinaryIO, total: int | None, label: str | None) -> int:
    """Copy ``source`` to ``out`` in chunks, with a tqdm bar named ``label`` if given and available."""
    bar = _progress_bar(total, label)
    received = 0
    try:
        while chunk := source.read(CHUNK_BYTES):
            out.write(chunk)
            received += len(chunk)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    return received


def _progress_bar(total: int | None, label: str | None) -> Any:
    """Return a tqdm progress bar, or None when ``label`` is None or tqdm is not installed."""
    if label is None:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        print(f"downloading {label} ...", file=sys.stderr)
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=label, file=sys.stderr)


def _reason(exc: BaseException) -> str:
    """Describe why a download failed, in a few words."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return f"{type(exc).__name__}: {exc}"


def _failure(url: str, reason: str) -> str:
    """Return the message of a failed download of ``url``."""
    return (
        f"could not download {url}: {reason}. Check the network connection and retry, or fetch the files "
        f"another way and place them by hand in a data directory (pass --data-dir DIR or set {ENV_VAR}=DIR) "
        "using the layout sts/STSBenchmark/sts-*.csv, sts/SICK/SICK_*.txt, para/MRPC/msr-para-*.tsv, "
        "corpus/wiki1m_for_simcse.txt."
    )


def safe_extract(archive: str | os.PathLike[str], dest: str | os.PathLike[str]) -> list[Path]:
    """Unpack the tar (any compression) or zip ``archive`` into ``dest``; return the regular files written.

    Every member must stay inside ``dest``: absolute names, ``..`` escapes, and tar links or
    device entries raise DownloadError before anything is written.
    """
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        return _extract_zip(archive, dest)
    if tarfile.is_tarfile(archive):
        return _extract_tar(archive, dest)
    raise DownloadError(f"{archive} is neither a tar nor a zip archive")


def _member_target(dest: Path, name: str, archive: Path) -> Path:
    """Return where member ``name`` goes under ``dest``, or raise DownloadError if it would escape."""
    root = dest.resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root):
        raise DownloadError(
            f"{archive}: refusing unsafe member {name!r} (it would be written outside {dest})"
        )
    return target


def _extract_zip(archive: Path, dest: Path) -> list[Path]:
    """Unpack a zip archive member by member after checking every name."""
    with zipfile.ZipFile(archive) as bundle:
        members = [(info, _member_target(dest, info.filename, archive)) for info in bundle.infolist()]
        written = []
        for info, target in members:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            with bundle.open(info) as source:
                written.append(_write_stream(source, target))
    return written


def _extract_tar(archive: Path, dest: Path) -> list[Path]:
    """Unpack a tar archive member by member after checking every name; only files and folders are allowed."""
    with tarfile.open(archive) as bundle:
        members = bundle.getmembers()
        for member in members:
            if not (member.isfile() or member.isdir()):
                raise DownloadError(
                    f"{archive}: refusing member {member.name!r}: not a regular file or folder"
                )
        targets = [(member, _member_target(dest, member.name, archive)) for member in members]
        written = []
        for member, target in targets:
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            source = bundle.extractfile(member)
            if source is None:  # pragma: no cover - isfile() members always have data
                raise DownloadError(f"{archive}: cannot read member {member.name!r}")
            with source:
                written.append(_write_stream(source, target))
    return written


def _write_stream(source: BinaryIO, target: Path) -> Path:
    """Write ``source`` to ``target`` (creating its folder) and return ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        shutil.copyfileobj(source, out, CHUNK_BYTES)
    return target


def _install(source: Path, target: Path) -> Path:
    """Move ``source`` to ``target`` (creating its folder), replacing any older copy; return ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    return target


def _find_member(files: list[Path], name: str, archive: str) -> Path:
    """Return the extracted file called ``name`` (first match, any folder), or raise DownloadError."""
    for path in files:
        if path.name == name:
            return path
    raise DownloadError(f"{archive} does not contain {name}; the release may have changed")


def _fetch_archive(url: str, work: Path, timeout: float, progress: bool) -> list[Path]:
    """Download the archive at ``url`` into the scratch folder ``work`` and unpack it there."""
    archive = fetch_url(url, work / url.rsplit("/", 1)[-1], timeout, progress)
    return safe_extract(archive, work / "unpacked")


def _scratch(dest: Path) -> tempfile.TemporaryDirectory[str]:
    """Return a scratch folder inside ``dest`` (same file system, so the final renames are atomic)."""
    dest.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=".rcsim-download-", dir=dest)


def _fetch_stsb(dest: Path, timeout: float, progress: bool) -> list[Path]:
    """Fetch the STS Benchmark tarball and install its three splits, readme and licence."""
    with _scratch(dest) as work:
        files = _fetch_archive(URLS["stsb"], Path(work), timeout, progress)
        written = [
            _install(_find_member(files, Path(target).name, "Stsbenchmark.tar.gz"), dest / target)
            for target in STSB_FILES.values()
        ]
        folder = Path(STSB_FILES["train"]).parent
        for extra in ("readme.txt", "LICENSE.txt"):
            matches = [path for path in files if path.name == extra]
            if matches:
                written.append(_install(matches[0], dest / folder / extra))
    return written


def _fetch_sick(dest: Path, timeout: float, progress: bool) -> list[Path]:
    """Fetch SICK.zip and split its SICK.txt into the SemEval files SICK_train/trial/test_annotated.txt."""
    with _scratch(dest) as work:
        files = _fetch_archive(URLS["sick"], Path(work), timeout, progress)
        split_lines = split_sick(_find_member(files, "SICK.txt", "SICK.zip"))
        written = []
        for split, relative in SICK_FILES.items():
            staged = Path(work) / Path(relative).name
            staged.write_text("\n".join([SICK_HEADER, *split_lines[split]]) + "\n", encoding="utf-8")
            written.append(_install(staged, dest / relative))
        readme = [path for path in files if path.name.lower() == "readme.txt"]
        if readme:
            written.append(_install(readme[0], dest / Path(SICK_FILES["train"]).parent / "readme.txt"))
    return written


def split_sick(path: Path) -> dict[str, list[str]]:
    """Split the full ``SICK.txt`` into ``{"train"|"trial"|"test": lines}`` in the SemEval file format.

    Each output line is pair_ID, sentence_A, sentence_B, relatedness_score,
    entailment_judgment (TAB-separated). Raises DownloadError if the header lacks a needed
    column or ``SemEval_set`` holds an unknown value.
    """
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split("\t") if lines else []
    needed = (*SICK_COLUMNS, "SemEval_set")
    missing = [name for name in needed if name not in header]
    if missing:
        raise DownloadError(f"{path}: header lacks {', '.join(missing)}; the SICK release may have changed")
    index = {name: header.index(name) for name in needed}
    splits: dict[str, list[str]] = {split: [] for split in SICK_SETS.values()}
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        fields = line.split("\t")
        semeval_set = fields[index["SemEval_set"]].strip() if len(fields) == len(header) else ""
        if semeval_set not in SICK_SETS:
            raise DownloadError(f"{path}:{number}: unexpected line; the SICK release may have changed")
        splits[SICK_SETS[semeval_set]].append("\t".join(fields[index[name]] for name in SICK_COLUMNS))
    return splits


def _fetch_mrpc(dest: Path, timeout: float, progress: bool) -> list[Path]:
    """Fetch the MRPC train and test files (SentEval mirror) as para/MRPC/msr-para-{train,test}.tsv."""
    return [
        fetch_url(URLS[f"mrpc-{split}"], dest / names[0], timeout, progress)
        for split, names in MRPC_FILES.items()
    ]


def _fetch_wiki(dest: Path, timeout: float, progress: bool) -> list[Path]:
    """Fetch the SimCSE Wikipedia corpus (one million sentences) as corpus/wiki1m_for_simcse.txt."""
    return [fetch_url(URLS["wiki"], dest / WIKI_FILES[0], timeout, progress)]


SOURCES: dict[str, DataSetSource] = {
    "stsb": DataSetSource(tuple(STSB_FILES.values()), _fetch_stsb),
    "sick": DataSetSource(tuple(SICK_FILES.values()), _fetch_sick),
    "mrpc": DataSetSource(tuple(names[0] for names in MRPC_FILES.values()), _fetch_mrpc),
    "wiki": DataSetSource((WIKI_FILES[0],), _fetch_wiki),
}
