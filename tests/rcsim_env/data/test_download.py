"""Tests of rcsim_env.data.download without any network: failures, safe extraction, file:// releases."""

from __future__ import annotations

import importlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from rcsim_env.data.download import DownloadError, download, fetch_url, safe_extract, split_sick
from rcsim_env.data.loaders import load_mrpc, load_sick, load_stsb
from rcsim_env.errors import RCSimError

# rcsim_env.data re-exports the function download(), which hides the submodule of the same name.
download_module = importlib.import_module("rcsim_env.data.download")

DEAD = "http://127.0.0.1:9/nothing-listens-here"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point every release URL at a local port where nothing listens, so fetching fails at once."""
    urls = {name: f"{DEAD}/{name}" for name in download_module.URLS}
    monkeypatch.setattr(download_module, "URLS", urls)
    return urls


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", ["stsb", "sick", "mrpc", "wiki"])
def test_network_failure_is_a_clear_download_error(
    tmp_path: Path, offline: dict[str, str], name: str
) -> None:
    with pytest.raises(DownloadError) as error:
        download(tmp_path / "data", only=[name], progress=False)
    message = str(error.value)
    assert isinstance(error.value, RCSimError)
    assert f"{DEAD}/{name}" in message or f"{DEAD}/mrpc-train" in message
    assert "refused" in message.lower()
    assert "--data-dir" in message and "RCSIM_DATA" in message and "by hand" in message
    assert files_under(tmp_path) == []  # no partial file, no scratch folder left behind
    assert [p.name for p in (tmp_path / "data").rglob("*") if p.name.startswith(".")] == []


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
    assert (
        tmp_path / "para/MRPC/msr-para-test.tsv"
    ).read_text() == "x"  # the old copy survives a failed refetch


def test_fetch_url_copies_a_file_url_and_leaves_no_part_file(tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(bytes(range(256)) * 1000)
    target = tmp_path / "out" / "copy.bin"
    assert fetch_url(source.as_uri(), target, progress=False) == target
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["copy.bin"]


def test_fetch_url_missing_file_url(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="could not download file:"):
        fetch_url((tmp_path / "absent").as_uri(), tmp_path / "out.bin", progress=False)
    assert not (tmp_path / "out.bin").exists()


def test_fetch_url_bad_scheme(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="could not download nosuch://x"):
        fetch_url("nosuch://x", tmp_path / "out.bin", progress=False)


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


# --- whole data sets from local file:// releases -----------------------------------------------------

STSB_LINE = "main-captions\tMSRvid\t2012test\t0001\t{score}\tA {n} cat naps.\tThe cat is napping.\n"
SICK_FULL_HEADER = (
    "pair_ID\tsentence_A\tsentence_B\tentailment_label\trelatedness_score\tentailment_AB\tentailment_BA\t"
    "sentence_A_original\tsentence_B_original\tsentence_A_dataset\tsentence_B_dataset\tSemEval_set\n"
)


def sick_line(pair_id: int, score: float, semeval_set: str) -> str:
    fields = (pair_id, f"A man {pair_id}", "A person", "NEUTRAL", score, "A_neutral_B", "B_neutral_A")
    return "\t".join(map(str, (*fields, "x", "y", "FLICKR", "FLICKR", semeval_set))) + "\n"


def test_split_sick(tmp_path: Path) -> None:
    path = tmp_path / "SICK.txt"
    path.write_text(
        SICK_FULL_HEADER + sick_line(1, 4.5, "TRAIN") + sick_line(2, 3, "TEST") + sick_line(3, 1, "TRAIN")
    )
    splits = split_sick(path)
    assert splits == {
        "train": ["1\tA man 1\tA person\t4.5\tNEUTRAL", "3\tA man 3\tA person\t1\tNEUTRAL"],
        "trial": [],
        "test": ["2\tA man 2\tA person\t3\tNEUTRAL"],
    }


def test_split_sick_rejects_unknown_layout(tmp_path: Path) -> None:
    path = tmp_path / "SICK.txt"
    path.write_text("pair_ID\tsentence_A\n1\tx\n")
    with pytest.raises(DownloadError, match="header lacks"):
        split_sick(path)
    path.write_text(SICK_FULL_HEADER + sick_line(1, 4.5, "DEV"))
    with pytest.raises(DownloadError, match=r"SICK.txt:2"):
        split_sick(path)


def test_download_from_local_releases_gives_loadable_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    releases = tmp_path / "releases"
    releases.mkdir()
    stsb_members = {
        f"stsbenchmark/sts-{split}.csv": "".join(
            STSB_LINE.format(score=s, n=n) for n, s in enumerate(scores)
        ).encode()
        for split, scores in {"train": [1, 2, 3], "dev": [4.5], "test": [0, 5]}.items()
    }
    stsb_members["stsbenchmark/LICENSE.txt"] = b"licence"
    sick_text = (
        SICK_FULL_HEADER + sick_line(1, 4.5, "TRAIN") + sick_line(2, 2, "TRIAL") + sick_line(3, 3.3, "TEST")
    )
    mrpc = '\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\r\n1\t1\t2\tA "q" s.\tB.\r\n'
    (releases / "msr_paraphrase_train.txt").write_text(mrpc, encoding="utf-8")
    (releases / "msr_paraphrase_test.txt").write_text(mrpc + "0\t3\t4\tC.\tD.\r\n", encoding="utf-8")
    (releases / "wiki1m_for_simcse.txt").write_text("One.\nTwo.\n")
    urls = {
        "stsb": make_tar(releases / "Stsbenchmark.tar.gz", stsb_members).as_uri(),
        "sick": make_zip(
            releases / "SICK.zip", {"SICK.txt": sick_text.encode(), "readme.txt": b"r"}
        ).as_uri(),
        "mrpc-train": (releases / "msr_paraphrase_train.txt").as_uri(),
        "mrpc-test": (releases / "msr_paraphrase_test.txt").as_uri(),
        "wiki": (releases / "wiki1m_for_simcse.txt").as_uri(),
    }
    monkeypatch.setattr(download_module, "URLS", urls)
    dest = tmp_path / "data"
    written = download(dest, progress=False)
    assert sorted(p.relative_to(dest).as_posix() for p in written) == [
        "corpus/wiki1m_for_simcse.txt",
        "para/MRPC/msr-para-test.tsv",
        "para/MRPC/msr-para-train.tsv",
        "sts/SICK/SICK_test_annotated.txt",
        "sts/SICK/SICK_train.txt",
        "sts/SICK/SICK_trial.txt",
        "sts/SICK/readme.txt",
        "sts/STSBenchmark/LICENSE.txt",
        "sts/STSBenchmark/sts-dev.csv",
        "sts/STSBenchmark/sts-test.csv",
        "sts/STSBenchmark/sts-train.csv",
    ]
    assert files_under(dest) == sorted(written)  # scratch folders and archives are gone
    assert [p.score for p in load_stsb("train", dest)] == [1.0, 2.0, 3.0]
    assert [p.score for p in load_sick("trial", dest)] == [2.0]
    assert load_sick("test", dest)[0].sentence_a == "A man 3"
    assert [p.score for p in load_mrpc("test", dest)] == [1.0, 0.0]
    assert download(dest, progress=False) == []  # everything present now
