"""Fetch the public releases of the data sets into a data directory, in the layout the loaders read.

Nothing here runs on import. Every URL is https, and redirects from https to plain http are
refused. Every file written is checked against a SHA-256 digest pinned in this module, either
its own (:data:`FILE_PINS`, digests of the unmodified public files) or that of the archive it
comes from (:data:`DOWNLOAD_PINS`). The one exception is said plainly: the full Wikipedia
corpus has no published digest, so only its first 1,280,000 bytes are checked (against the
excerpt ``wiki1m-first12k.txt``) and an :class:`~rcsim_env.errors.UnverifiedDownloadWarning`
says so. A file that does not match is deleted and :class:`ChecksumError` names it with the
expected and actual digests.

Each download is first written to a temporary file next to its target and renamed only once
complete and verified, so an interrupted or failed download never leaves a partial file under
its final name. Archives are unpacked by :func:`safe_extract`, which refuses members that would
land outside the extraction folder.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from rcsim_env.data.locate import ENV_VAR, MRPC_FILES, SICK_FILES, STSB_FILES, WIKI_FILES, user_data_dir
from rcsim_env.errors import RCSimError, UnverifiedDownloadWarning

DEFAULT_TIMEOUT_S = 60.0
CHUNK_BYTES = 1 << 16

_SEMEVAL_SICK = "https://alt.qcri.org/semeval2014/task1/data/uploads"
_SENTEVAL = "https://dl.fbaipublicfiles.com/senteval/senteval_data"
URLS: dict[str, str] = {
    "stsb": "https://ixa2.si.ehu.eus/stswiki/images/4/48/Stsbenchmark.tar.gz",
    "sick-train": f"{_SEMEVAL_SICK}/sick_train.zip",
    "sick-trial": f"{_SEMEVAL_SICK}/sick_trial.zip",
    "sick-test": f"{_SEMEVAL_SICK}/sick_test_annotated.zip",
    "mrpc-train": f"{_SENTEVAL}/msr_paraphrase_train.txt",
    "mrpc-test": f"{_SENTEVAL}/msr_paraphrase_test.txt",
    "wiki": (
        "https://huggingface.co/datasets/princeton-nlp/datasets-for-simcse/resolve/main/wiki1m_for_simcse.txt"
    ),
}

WIKI_CHECKED_BYTES = 1_280_000


@dataclass(frozen=True)
class Pin:
    """The SHA-256 (hex) a file must have; with ``prefix_bytes``, the digest of its first that many bytes."""

    sha256: str
    prefix_bytes: int | None = None


# Digests of the downloads themselves, by URL key. The SemEval SICK archives and the MRPC files
# are the bytes recorded for these URLs by the Hugging Face `datasets` library; the Wikipedia
# digest is that of the corpus' first 1,280,000 bytes (the excerpt wiki1m-first12k.txt).
DOWNLOAD_PINS: dict[str, Pin | None] = {
    "stsb": None,  # the archive has no published digest: each file taken from it is pinned in FILE_PINS
    "sick-train": Pin("097295b8ad526d80cefc7a56444424d7f39020729e589618b4d40bb654195e1a"),
    "sick-trial": Pin("8a81f25e2807f64a9419218cf4bca1eca86f2b74de03b1311cad6e3262a15e94"),
    "sick-test": Pin("8a44227bb1f9d7249c0ac10cac54c5a6cc579195982b7f33fb0e3ebf5226b594"),
    "mrpc-train": Pin("60a9b09084528f0673eedee2b69cb941920f0b8cd0eeccefc464a98768457f89"),
    "mrpc-test": Pin("a04e271090879aaba6423d65b94950c089298587d9c084bf9cd7439bd785f784"),
    "wiki": Pin(
        "e8b96b77ffcd3226cbddb6e9eb1185bcefee7118d6281792970a5e7a31432c42", prefix_bytes=WIKI_CHECKED_BYTES
    ),
}

# Digests of files taken out of archives, by their path in the data directory: the unmodified
# public releases of STS Benchmark and SemEval-2014 SICK.
FILE_PINS: dict[str, Pin] = {
    STSB_FILES["train"]: Pin("0f71910b59aa1ad973c5897f0791f3b0965a92b8f82b1a95f3eea9f4162fda82"),
    STSB_FILES["dev"]: Pin("5d7e944d8b02734b07bfdb5df67db3420c64bed153fcaa1ba47ad03480cf4234"),
    STSB_FILES["test"]: Pin("affe45928a66ee5a708531233c95b7dacbbdc57f974f002a3d32ea0180cf816a"),
    "sts/STSBenchmark/readme.txt": Pin("e9488363d211c32ca5e912954f16eb9233cfed1b5b4b0475d0d812d35d7c8ef1"),
    "sts/STSBenchmark/LICENSE.txt": Pin("3dfc3217395f8c5dd05c5f8995f25fe2f8fd258e6dd770b3de480749caee8c70"),
    SICK_FILES["train"]: Pin("266cf8047149bd1d68138dd30439f3122bff30069740ac6705bb6197d9f1b48e"),
    SICK_FILES["trial"]: Pin("5a88cfb62f8c6bd2a3cce0f2421ba2cb8c2be5ab4a800f6f01e2c64aafb7db56"),
}

LAYOUT = (
    "sts/STSBenchmark/sts-*.csv, sts/SICK/SICK_*.txt, para/MRPC/msr_paraphrase_*.txt, "
    "corpus/wiki1m_for_simcse.txt"
)


class DownloadError(RCSimError):
    """A data set could not be fetched or unpacked; the message says which URL or archive and why."""


class ChecksumError(DownloadError):
    """A downloaded or unpacked file does not have its pinned SHA-256; it has been deleted."""

    def __init__(self, file: object, expected: str, actual: str, prefix_bytes: int | None = None) -> None:
        of = f" of its first {prefix_bytes:,} bytes" if prefix_bytes is not None else ""
        super().__init__(
            f"{file}: SHA-256{of} does not match the pinned digest (expected {expected}, got {actual}); "
            "the file was deleted. The download was corrupted or the release has changed: retry, or fetch "
            f"the file another way, check it, and place it in a data directory ({LAYOUT})."
        )
        self.file = file
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class DataSetSource:
    """How to fetch one data set: the files it must produce and the function that fetches them."""

    targets: tuple[str, ...]
    fetch: Callable[[Path, float, bool], list[Path]]


def download(
    dest: str | os.PathLike[str] | None = None,
    only: Iterable[str] | None = None,
    *,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT_S,
    progress: bool = True,
) -> list[Path]:
    """Fetch data sets into the data directory ``dest`` and return the files written.

    ``dest`` defaults to the per-user data folder (:func:`~rcsim_env.data.locate.user_data_dir`),
    which rcsim searches without being told. ``only`` names a subset of ``stsb``, ``sick``,
    ``mrpc``, ``wiki`` (default: all). A data set whose files are all present is skipped unless
    ``force``. ``timeout`` is the socket timeout in seconds; ``progress`` shows a tqdm bar on
    stderr when tqdm is installed.

    Raises:
        ValueError: ``only`` names an unknown data set.
        DownloadError: there is no per-user data folder and no ``dest``, a URL could not be
            fetched, or an archive is unsafe or unexpected.
        ChecksumError: a file does not match its pinned digest (it is deleted).
    """
    names = list(SOURCES) if only is None else list(dict.fromkeys(only))
    unknown = [name for name in names if name not in SOURCES]
    if unknown:
        raise ValueError(f"unknown data set(s) {', '.join(unknown)}; choose from {', '.join(SOURCES)}")
    if dest is None:
        dest = user_data_dir()
        if dest is None:
            raise DownloadError("there is no per-user data folder (no home directory); pass a destination")
    dest = Path(dest)
    written: list[Path] = []
    for name in names:
        source = SOURCES[name]
        if not force and all((dest / target).is_file() for target in source.targets):
            continue
        written.extend(source.fetch(dest, timeout, progress))
    return written


def fetch_url(
    url: str,
    target: Path,
    timeout: float = DEFAULT_TIMEOUT_S,
    progress: bool = True,
    pin: Pin | None = None,
) -> Path:
    """Download ``url`` to ``target`` through a temporary file renamed when complete; return ``target``.

    With ``pin``, the bytes must have that SHA-256 before the rename, else nothing is kept and
    ChecksumError is raised. Raises DownloadError saying which URL failed and why (network
    error, HTTP error, short read, refused redirect), and how to place the files by hand.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    temp = Path(temp_name)
    try:
        digest = _Digest(pin.prefix_bytes if pin else None)
        with os.fdopen(handle, "wb") as out, _OPENER.open(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            total = int(expected) if expected and expected.isdigit() else None
            received = _copy(response, out, digest, total, target.name if progress else None)
        if total is not None and received != total:
            raise DownloadError(_failure(url, f"incomplete: got {received} of {total} bytes"))
        if pin is not None and digest.hexdigest() != pin.sha256:
            raise ChecksumError(target, pin.sha256, digest.hexdigest(), pin.prefix_bytes)
        os.replace(temp, target)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DownloadError(_failure(url, _reason(exc))) from exc
    finally:
        temp.unlink(missing_ok=True)
    return target


def sha256_of(path: str | os.PathLike[str], prefix_bytes: int | None = None) -> str:
    """Return the SHA-256 (hex) of the file at ``path``, or of its first ``prefix_bytes`` bytes."""
    digest = _Digest(prefix_bytes)
    with Path(path).open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, pin: Pin, shown_as: object | None = None) -> Path:
    """Return ``path`` if it has the pinned digest; else delete it and raise ChecksumError.

    ``shown_as`` is the name the error gives the file (default: ``path``).
    """
    actual = sha256_of(path, pin.prefix_bytes)
    if actual != pin.sha256:
        path.unlink(missing_ok=True)
        raise ChecksumError(shown_as if shown_as is not None else path, pin.sha256, actual, pin.prefix_bytes)
    return path


class _Digest:
    """A SHA-256 over everything fed to :meth:`update`, or over its first ``prefix_bytes`` bytes."""

    def __init__(self, prefix_bytes: int | None = None) -> None:
        self._hash = hashlib.sha256()
        self._left = prefix_bytes

    def update(self, chunk: bytes) -> None:
        if self._left is not None:
            chunk = chunk[: self._left]
            self._left -= len(chunk)
        self._hash.update(chunk)

    def hexdigest(self) -> str:
        if self._left:  # the file is shorter than the checked prefix: never a match
            return f"{self._hash.hexdigest()} (of a file shorter than the checked prefix)"
        return self._hash.hexdigest()


class _NoDowngradeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, except from https to anything that is not https."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        if req.full_url.lower().startswith("https:") and not newurl.lower().startswith("https:"):
            raise urllib.error.URLError(f"refused a redirect from https to {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_NoDowngradeRedirects)


def _copy(source: BinaryIO, out: BinaryIO, digest: _Digest, total: int | None, label: str | None) -> int:
    """Copy ``source`` to ``out`` in chunks, feeding ``digest``, with a tqdm bar named ``label`` if given."""
    bar = _progress_bar(total, label)
    received = 0
    try:
        while chunk := source.read(CHUNK_BYTES):
            out.write(chunk)
            digest.update(chunk)
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
        f"using the layout {LAYOUT}."
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


def _install_all(chosen: list[tuple[Path, str]], dest: Path) -> list[Path]:
    """Move each unpacked ``(file, relative path)`` to ``dest / relative``; return the installed paths.

    Every file pinned in ``FILE_PINS`` is checked first, so a mismatch installs nothing. Older
    copies are replaced.
    """
    for source, relative in chosen:
        pin = FILE_PINS.get(relative)
        if pin is not None:
            verify_file(source, pin, shown_as=f"{relative} (from the downloaded archive)")
    installed = []
    for source, relative in chosen:
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        installed.append(target)
    return installed


def _find_member(files: list[Path], name: str, archive: str) -> Path:
    """Return the extracted file called ``name`` (first match, any folder), or raise DownloadError."""
    for path in files:
        if path.name == name:
            return path
    raise DownloadError(f"{archive} does not contain {name}; the release may have changed")


def _fetch_archive(key: str, work: Path, timeout: float, progress: bool) -> list[Path]:
    """Download ``URLS[key]`` (checked against ``DOWNLOAD_PINS[key]``) into ``work`` and unpack it there."""
    url = URLS[key]
    archive = fetch_url(url, work / url.rsplit("/", 1)[-1], timeout, progress, DOWNLOAD_PINS.get(key))
    return safe_extract(archive, work / f"unpacked-{key}")


def _scratch(dest: Path) -> tempfile.TemporaryDirectory[str]:
    """Return a scratch folder inside ``dest`` (same file system, so the final renames are atomic)."""
    dest.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=".rcsim-download-", dir=dest)


def _fetch_stsb(dest: Path, timeout: float, progress: bool) -> list[Path]:
    """Fetch the STS Benchmark tarball and install its three splits, readme and licence, each checked."""
    with _scratch(dest) as work:
        files = _fetch_archive("stsb", Path(work), timeout, progress)
        chosen = [
            (_find_member(files, Path(target).name, "Stsbenchmark.tar.gz"), target)
            for target in STSB_FILES.values()
        ]
        folder = Path(STSB_FILES["train"]).parent
        for extra in ("readme.txt", "LICENSE.txt"):
            matches = [path for path in files if path.name == extra]
            if matches:
                chosen.append((matches[0], (folder / extra).as_posix()))
        return _install_all(chosen, dest)


def _fetch_sick(dest: Path, timeout: float, progress: bool) -> list[Path]:
    """Fetch the three SemEval-2014 SICK archives; install SICK_train/trial/test_annotated.txt, a readme.

    All three archives are fetched and checked before anything is installed.
    """
    with _scratch(dest) as work:
        chosen: list[tuple[Path, str]] = []
        for split, relative in SICK_FILES.items():
            files = _fetch_archive(f"sick-{split}", Path(work), timeout, progress)
            archive = URLS[f"sick-{split}"].rsplit("/", 1)[-1]
            chosen.append((_find_member(files, Path(relative).name, archive), relative))
            readme = [path for path in files if path.name.lower() == "readme.txt"]
            if split == "train" and readme:
                chosen.append((readme[0], (Path(relative).parent / "readme.txt").as_posix()))
        return _install_all(chosen, dest)


def _fetch_mrpc(dest: Path, timeout: float, progress: bool) -> list[Path]:
    """Fetch the original MRPC train and test files (SentEval's mirror) as para/MRPC/msr_paraphrase_*.txt."""
    return [
        fetch_url(
            URLS[f"mrpc-{split}"], dest / names[1], timeout, progress, DOWNLOAD_PINS.get(f"mrpc-{split}")
        )
        for split, names in MRPC_FILES.items()
    ]


def _fetch_wiki(dest: Path, timeout: float, progress: bool) -> list[Path]:
    """Fetch the SimCSE Wikipedia corpus (one million sentences) as corpus/wiki1m_for_simcse.txt.

    Only its first 1,280,000 bytes can be checked (see the module docstring); an
    UnverifiedDownloadWarning says so.
    """
    pin = DOWNLOAD_PINS.get("wiki")
    target = fetch_url(URLS["wiki"], dest / WIKI_FILES[0], timeout, progress, pin)
    checked = f"only its first {pin.prefix_bytes:,} bytes were" if pin and pin.prefix_bytes else "it was not"
    warnings.warn(
        f"{target}: {checked} checked against a pinned SHA-256; the rest is unverified, as no digest of "
        "the full corpus is published",
        UnverifiedDownloadWarning,
        stacklevel=3,
    )
    return [target]


SOURCES: dict[str, DataSetSource] = {
    "stsb": DataSetSource(tuple(STSB_FILES.values()), _fetch_stsb),
    "sick": DataSetSource(tuple(SICK_FILES.values()), _fetch_sick),
    "mrpc": DataSetSource(tuple(names[1] for names in MRPC_FILES.values()), _fetch_mrpc),
    "wiki": DataSetSource((WIKI_FILES[0],), _fetch_wiki),
}
