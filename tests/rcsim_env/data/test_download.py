"""Tests of rcsim_env.data.download: pinned digests, a real local HTTP server, failures, safe extraction.

No test touches the internet: releases are served from 127.0.0.1 (see conftest.LocalServer).
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcsim_env.data.download import (
    DOWNLOAD_PINS,
    FILE_PINS,
    URLS,
    ChecksumError,
    DownloadError,
    Pin,
    download,
    fetch_url,
    safe_extract,
    sha256_of,
)
from rcsim_env.data.loaders import load_mrpc, load_sick, load_stsb
from rcsim_env.data.locate import find_data_file
from rcsim_env.errors import DataNotFoundError, RCSimError, UnverifiedDownloadWarning

# rcsim_env.data re-exports the function download(), which hides the submodule of the same name.
download_module = importlib.import_module("rcsim_env.data.download")

DEAD = "http://127.0.0.1:9/nothing-listens-here"
REPO_ROOT = Path(__file__).resolve().parents[3]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point every release URL at a local port where nothing listens, so fetching fails at once."""
    urls = {name: f"{DEAD}/{name}" for name in download_module.URLS}
    monkeypatch.setattr(download_module, "URLS", urls)
    return urls


# --- the pinned digests and URLs themselves ------------------------------------------------------------


def test_every_release_url_is_https() -> None:
    assert all(url.startswith("https://") for url in URLS.values())
    assert set(DOWNLOAD_PINS) == set(URLS)


def test_every_written_file_is_pinned_itself_or_through_its_archive() -> None:
    for name, source in download_module.SOURCES.items():
        for target in source.targets:
            keys = [key for key in URLS if key == name or key.startswith(f"{name}-")]
            assert target in FILE_PINS or any(DOWNLOAD_PINS[key] is not None for key in keys), target
    assert all(len(pin.sha256) == 64 and int(pin.sha256, 16) >= 0 for pin in FILE_PINS.values())


@pytest.mark.parametrize("relative", sorted(FILE_PINS))
def test_file_pins_are_the_digests_of_the_reference_releases(relative: str) -> None:
    try:
        path = find_data_file(relative)
    except DataNotFoundError:
        pytest.skip(f"reference data {relative} not found (set RCSIM_DATA to run this test)")
    assert sha256_of(path) == FILE_PINS[relative].sha256


def test_the_wiki_pin_is_the_excerpt_which_is_the_corpus_prefix() -> None:
    try:
        path = find_data_file("corpus/wiki1m-first12k.txt")
    except DataNotFoundError:
        pytest.skip("reference wiki excerpt not found (set RCSIM_DATA to run this test)")
    pin = DOWNLOAD_PINS["wiki"]
    assert pin is not None and pin.prefix_bytes == path.stat().st_size
    assert sha256_of(path) == pin.sha256 == sha256_of(path, pin.prefix_bytes)


def test_sha256_of_a_prefix(tmp_path: Path) -> None:
    data = bytes(range(256)) * 600
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    assert sha256_of(path) == sha(data) and sha256_of(path, 1000) == sha(data[:1000])
    digest = download_module._Digest(1000)
    for start in range(0, len(data), 333):
        digest.update(data[start : start + 333])
    assert digest.hexdigest() == sha(data[:1000])
    short = download_module._Digest(10)
    short.update(b"12345")
    assert short.hexdigest() != sha(b"12345") and "shorter" in short.hexdigest()


# --- fetch_url over a real local HTTP server -----------------------------------------------------------


def test_fetch_url_downloads_and_verifies(http_server, tmp_path: Path) -> None:
    body = bytes(range(256)) * 1000
    url = http_server.serve("/release.bin", body)
    target = tmp_path / "out" / "copy.bin"
    assert fetch_url(url, target, progress=False, pin=Pin(sha(body))) == target
    assert target.read_bytes() == body
    assert [p.name for p in target.parent.iterdir()] == ["copy.bin"]


MUTATIONS = ("flip", "truncate", "append", "empty", "html")


@st.composite
def corrupted_releases(draw: st.DrawFn) -> tuple[bytes, bytes, bool, str]:
    """(original, served bytes, announce Content-Length of the served bytes, mutation)."""
    original = draw(st.binary(min_size=1, max_size=4000))
    mutation = draw(st.sampled_from(MUTATIONS))
    if mutation == "flip":
        index = draw(st.integers(0, len(original) - 1))
        bit = 1 << draw(st.integers(0, 7))
        served = original[:index] + bytes([original[index] ^ bit]) + original[index + 1 :]
    elif mutation == "truncate":
        served = original[: draw(st.integers(0, len(original) - 1))]
    elif mutation == "append":
        served = original + draw(st.binary(min_size=1, max_size=100))
    elif mutation == "empty":
        served = b""
    else:
        served = b"<html><body>502 Bad Gateway</body></html>"
    return original, served, draw(st.booleans()), mutation


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=corrupted_releases())
def test_a_corrupted_download_is_refused_named_and_deleted(http_server, tmp_path: Path, case) -> None:
    original, served, announce, mutation = case
    if served == original:  # html could equal a drawn original: not a corruption
        return
    url = http_server.serve(f"/{mutation}/{len(http_server.routes)}", served, content_length=announce)
    target = tmp_path / f"{len(http_server.routes)}" / "sts-test.csv"
    with pytest.raises(ChecksumError) as error:
        fetch_url(url, target, progress=False, pin=Pin(sha(original)))
    message = str(error.value)
    assert str(target) in message
    assert f"expected {sha(original)}" in message and f"got {sha(served)}" in message
    assert (error.value.expected, error.value.actual) == (sha(original), sha(served))
    assert "deleted" in message
    assert not target.exists() and files_under(target.parent) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(min_size=2, max_size=4000), data=st.data())
def test_a_connection_cut_mid_body_leaves_no_file(http_server, tmp_path: Path, body: bytes, data) -> None:
    cut = data.draw(st.integers(1, len(body) - 1))
    url = http_server.serve(f"/cut/{len(http_server.routes)}", body, send_bytes=cut)  # announces len(body)
    target = tmp_path / f"{len(http_server.routes)}" / "file.txt"
    for pin in (Pin(sha(body)), None):  # the length check holds even without a pin
        with pytest.raises(DownloadError, match=rf"incomplete: got {cut} of {len(body)} bytes"):
            fetch_url(url, target, progress=False, pin=pin)
        assert files_under(target.parent) == []


def test_a_stalled_download_times_out_and_leaves_no_file(http_server, tmp_path: Path) -> None:
    url = http_server.serve("/slow", b"x" * 10_000, send_bytes=5_000, stall=threading.Event())
    target = tmp_path / "slow.txt"
    with pytest.raises(DownloadError, match="timed out"):
        fetch_url(url, target, timeout=0.5, progress=False)
    assert files_under(tmp_path) == []


def test_http_errors_and_missing_files(http_server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"HTTP 404"):
        fetch_url(http_server.url("/absent"), tmp_path / "out.bin", progress=False)
    with pytest.raises(DownloadError, match="could not download file:"):
        fetch_url((tmp_path / "absent").as_uri(), tmp_path / "out.bin", progress=False)
    with pytest.raises(DownloadError, match="could not download nosuch://x"):
        fetch_url("nosuch://x", tmp_path / "out.bin", progress=False)
    assert files_under(tmp_path) == []


def test_redirects_are_followed_but_never_from_https_to_http(http_server, tmp_path: Path) -> None:
    final = http_server.serve("/final", b"payload")
    start = http_server.serve("/start", status=302, location=final)
    assert (
        fetch_url(start, tmp_path / "a", progress=False, pin=Pin(sha(b"payload"))).read_bytes() == b"payload"
    )
    handler = download_module._NoDowngradeRedirects()
    request = urllib.request.Request("https://example.org/data.zip")
    with pytest.raises(urllib.error.URLError, match="refused a redirect from https"):
        handler.redirect_request(request, None, 302, "Found", {}, final)
    upgraded = handler.redirect_request(
        urllib.request.Request("http://example.org/a"), None, 302, "Found", {}, "https://example.org/b"
    )
    assert upgraded.full_url == "https://example.org/b"


def test_an_interrupted_download_leaves_no_partial_file(http_server, tmp_path: Path) -> None:
    """Ctrl-C (SIGINT) in a real process while the body is half sent: nothing is left under dest."""
    stall = threading.Event()
    body = b"Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n" + b"1\t1\t2\tA.\tB.\n" * 50_000
    url = http_server.serve("/mrpc-train", body, send_bytes=len(body) // 2, stall=stall)
    dest = tmp_path / "data"
    script = textwrap.dedent(
        f"""
        import importlib
        module = importlib.import_module("rcsim_env.data.download")
        module.URLS = {{"mrpc-train": {url!r}, "mrpc-test": {url!r}}}
        print("start", flush=True)
        module.download({str(dest)!r}, ["mrpc"], progress=False, timeout=30)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert http_server.routes["/mrpc-train"].sent.wait(30), "the download never started"
        deadline = time.monotonic() + 30
        while not any(p.stat().st_size for p in dest.rglob("*.part")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (
            [p.name for p in dest.rglob("*") if p.is_file() and p.stat().st_size]
            == [p.name for p in dest.rglob("*.part")]
            != []
        )  # part of the body is on disk, under a temporary name only
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        stall.set()
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0 and b"KeyboardInterrupt" in err
    assert files_under(dest) == []


# --- safe extraction ----------------------------------------------------------------------------------


def make_tar(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as bundle:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
        for name, link in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = link
            bundle.addfile(info)
    return path


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return path


def test_safe_extract_tar(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "a.tar.gz", {"./top/one.txt": b"1", "top/sub/two.txt": b"22"})
    written = safe_extract(archive, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == [
        "top/one.txt",
        "top/sub/two.txt",
    ]
    assert (tmp_path / "out/top/sub/two.txt").read_bytes() == b"22"


def test_safe_extract_zip(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"SICK.txt": b"data", "docs/readme.txt": b"r"})
    written = safe_extract(archive, tmp_path / "out")
    assert sorted(p.name for p in written) == ["SICK.txt", "readme.txt"]
    assert (tmp_path / "out/docs/readme.txt").read_bytes() == b"r"


@pytest.mark.parametrize("evil", ["../evil.txt", "top/../../evil.txt", "/tmp/rcsim-evil-absolute.txt"])
@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_safe_extract_refuses_path_traversal(tmp_path: Path, evil: str, kind: str) -> None:
    members = {"fine.txt": b"ok", evil: b"pwned"}
    archive = (
        make_tar(tmp_path / "a.tgz", members) if kind == "tar" else make_zip(tmp_path / "a.zip", members)
    )
    with pytest.raises(DownloadError, match="unsafe member"):
        safe_extract(archive, tmp_path / "out" / "deep")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out" / "evil.txt").exists()
    assert not Path("/tmp/rcsim-evil-absolute.txt").exists()
    assert files_under(tmp_path / "out") == []  # checked before anything is written


def test_safe_extract_refuses_tar_links(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "a.tgz", {"fine.txt": b"ok"}, links={"link": "/etc/passwd"})
    with pytest.raises(DownloadError, match="not a regular file"):
        safe_extract(archive, tmp_path / "out")
    assert files_under(tmp_path / "out") == []


def test_safe_extract_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("not an archive")
    with pytest.raises(DownloadError, match="neither a tar nor a zip"):
        safe_extract(path, tmp_path / "out")


# --- whole data sets from releases served over HTTP --------------------------------------------------

STSB_LINE = "main-captions\tMSRvid\t2012test\t0001\t{score}\tA {n} cat naps.\tThe cat is napping.\n"
SICK_HEADER = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"
MRPC = '\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\r\n1\t1\t2\tA "q" s.\tB.\r\n'


@pytest.fixture
def releases(http_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Small stand-ins for every release, served over HTTP, with URLS and both pin tables pointing at them.

    Returns the bytes of each unpacked file pinned in FILE_PINS, by its path in the data directory.
    """
    folder = tmp_path / "releases"
    folder.mkdir()
    stsb = {
        f"stsbenchmark/sts-{split}.csv": "".join(
            STSB_LINE.format(score=s, n=n) for n, s in enumerate(scores)
        ).encode()
        for split, scores in {"train": [1, 2, 3], "dev": [4.5], "test": [0, 5]}.items()
    }
    stsb["stsbenchmark/LICENSE.txt"] = b"licence"
    sick = {
        split: (SICK_HEADER + f"{i}\tA man {split}\tA person\t{score}\tNEUTRAL\n").encode()
        for i, (split, score) in enumerate({"train": 4.5, "trial": 2, "test_annotated": 3.3}.items())
    }
    archives = {
        "stsb": make_tar(folder / "Stsbenchmark.tar.gz", stsb).read_bytes(),
        "sick-train": make_zip(
            folder / "t.zip", {"SICK_train.txt": sick["train"], "readme.txt": b"r"}
        ).read_bytes(),
        "sick-trial": make_zip(folder / "r.zip", {"SICK_trial.txt": sick["trial"]}).read_bytes(),
        "sick-test": make_zip(
            folder / "e.zip", {"SICK_test_annotated.txt": sick["test_annotated"]}
        ).read_bytes(),
        "mrpc-train": MRPC.encode(),
        "mrpc-test": (MRPC + "0\t3\t4\tC.\tD.\r\n").encode(),
        "wiki": b"One.\nTwo.\n" * 100,
    }
    names = {"stsb": "Stsbenchmark.tar.gz", "sick-train": "sick_train.zip", "sick-trial": "sick_trial.zip"}
    names |= {"sick-test": "sick_test_annotated.zip"}
    urls = {key: http_server.serve(f"/{names.get(key, key)}", data) for key, data in archives.items()}
    pins = {key: Pin(sha(data)) for key, data in archives.items()}
    pins["stsb"] = None
    pins["wiki"] = Pin(sha(archives["wiki"][:50]), prefix_bytes=50)
    unpacked = {
        f"sts/STSBenchmark/sts-{split}.csv": stsb[f"stsbenchmark/sts-{split}.csv"]
        for split in ("train", "dev", "test")
    }
    unpacked["sts/STSBenchmark/LICENSE.txt"] = b"licence"
    unpacked["sts/SICK/SICK_train.txt"] = sick["train"]
    unpacked["sts/SICK/SICK_trial.txt"] = sick["trial"]
    monkeypatch.setattr(download_module, "URLS", urls)
    monkeypatch.setattr(download_module, "DOWNLOAD_PINS", pins)
    monkeypatch.setattr(
        download_module, "FILE_PINS", {path: Pin(sha(data)) for path, data in unpacked.items()}
    )
    return unpacked


def test_download_over_http_gives_a_verified_loadable_layout(releases, tmp_path: Path) -> None:
    dest = tmp_path / "data"
    with pytest.warns(UnverifiedDownloadWarning, match="first 50 bytes"):
        written = download(dest, progress=False)
    assert sorted(p.relative_to(dest).as_posix() for p in written) == [
        "corpus/wiki1m_for_simcse.txt",
        "para/MRPC/msr_paraphrase_test.txt",
        "para/MRPC/msr_paraphrase_train.txt",
        "sts/SICK/SICK_test_annotated.txt",
        "sts/SICK/SICK_train.txt",
        "sts/SICK/SICK_trial.txt",
        "sts/SICK/readme.txt",
        "sts/STSBenchmark/LICENSE.txt",
        "sts/STSBenchmark/sts-dev.csv",
        "sts/STSBenchmark/sts-test.csv",
        "sts/STSBenchmark/sts-train.csv",
    ]
    assert files_under(dest) == sorted(written)  # scratch folders, archives and .part files are gone
    for relative, data in releases.items():
        assert (dest / relative).read_bytes() == data
    assert [p.score for p in load_stsb("train", dest)] == [1.0, 2.0, 3.0]
    assert [p.score for p in load_sick("trial", dest)] == [2.0]
    assert load_sick("test", dest)[0].sentence_a == "A man test_annotated"
    assert [p.score for p in load_mrpc("test", dest)] == [1.0, 0.0]
    assert download(dest, progress=False) == []  # everything present now


@pytest.mark.parametrize(
    "relative", ["sts/STSBenchmark/sts-dev.csv", "sts/STSBenchmark/LICENSE.txt", "sts/SICK/SICK_trial.txt"]
)
def test_an_unpacked_file_that_does_not_match_installs_nothing_of_its_data_set(
    releases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: str
) -> None:
    wrong = "0" * 64
    monkeypatch.setitem(download_module.FILE_PINS, relative, Pin(wrong))
    dest = tmp_path / "data"
    name = "stsb" if "STSBenchmark" in relative else "sick"
    with pytest.raises(ChecksumError) as error:
        download(dest, [name], progress=False)
    message = str(error.value)
    assert (
        relative in message and f"expected {wrong}" in message and f"got {sha(releases[relative])}" in message
    )
    assert files_under(dest) == []


@pytest.mark.parametrize("key", ["sick-trial", "mrpc-test", "wiki"])
def test_a_download_that_does_not_match_its_pin_fails_and_keeps_older_files(
    releases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    pin = download_module.DOWNLOAD_PINS[key]
    monkeypatch.setitem(download_module.DOWNLOAD_PINS, key, Pin("f" * 64, pin.prefix_bytes))
    dest = tmp_path / "data"
    name = key.split("-")[0]
    with pytest.raises(ChecksumError, match=f"expected {'f' * 64}, got {pin.sha256}"):
        download(dest, [name], progress=False)
    kept = [p.relative_to(dest).as_posix() for p in files_under(dest)]
    # MRPC's train file was complete and verified before the test file failed: it is kept, whole.
    assert kept == (["para/MRPC/msr_paraphrase_train.txt"] if name == "mrpc" else [])


def test_network_failure_is_a_clear_download_error(tmp_path: Path, offline: dict[str, str]) -> None:
    for name in download_module.SOURCES:
        with pytest.raises(DownloadError) as error:
            download(tmp_path / "data", only=[name], progress=False)
        message = str(error.value)
        assert isinstance(error.value, RCSimError)
        assert f"{DEAD}/{name}" in message
        assert "refused" in message.lower()
        assert "--data-dir" in message and "RCSIM_DATA" in message and "by hand" in message
    assert files_under(tmp_path) == []  # no partial file, no scratch folder left behind


def test_unknown_data_set_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown data set.*'?glue"):
        download(tmp_path, only=["glue"])


def test_present_data_sets_are_skipped(tmp_path: Path, offline: dict[str, str]) -> None:
    for target in download_module.SOURCES["mrpc"].targets:
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / target).write_text("x")
    assert download(tmp_path, only=["mrpc"], progress=False) == []
    with pytest.raises(DownloadError):
        download(tmp_path, only=["mrpc"], force=True, progress=False)
    assert (tmp_path / "para/MRPC/msr_paraphrase_test.txt").read_text() == "x"  # survives a failed refetch


def test_the_default_destination_is_the_user_folder_which_is_searched(
    releases, no_data_anywhere: Path
) -> None:
    written = download(only=["mrpc"], progress=False)
    user_folder = no_data_anywhere.parent / "cache" / "data"
    assert written and all(path.is_relative_to(user_folder) for path in written)
    assert [p.score for p in load_mrpc("test")] == [1.0, 0.0]  # found without naming any folder
