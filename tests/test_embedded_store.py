"""The embedded store's first load: batches staged beside an empty store and copied in at the
end (kb/store/embedded.py), resumed after an interruption, given up when a staged study
changes or the store is deleted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.pipeline import IngestOptions, IngestSummary, ingest
from kb.errors import InputError
from kb.store.base import stats
from kb.store.embedded import EmbeddedStore
from tests.corpus import corpus

COUNTS = {"studies": 5, "observations": 14, "anatomies": 17, "relations": 21}  # tests/corpus.py


def _counts(store: EmbeddedStore) -> dict[str, int]:
    numbers = stats(store)
    return {k: numbers[k] for k in COUNTS}


def _staged(store_path: Path) -> list[str]:
    folder = Path(f"{store_path}.staged")
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


class _Stop(KeyboardInterrupt):
    """What a user's Ctrl-C raises; raised here after a number of written batches."""


def _stop_after(batches: int):
    def progress(summary: IngestSummary) -> None:
        if summary.loaded >= 2 * batches:  # batches of two studies
            raise _Stop

    return progress


def _ingest(store: EmbeddedStore, path: Path, progress=None) -> IngestSummary:
    return ingest([path], store, IngestOptions(batch_size=2, workers=1), progress=progress)


def _interrupted(tmp_path: Path, corpus_file: Path, batches: int) -> tuple[Path, EmbeddedStore]:
    """A store (still open) whose first load of corpus_file stopped after `batches` batches."""
    path = tmp_path / "kb-store"
    store = EmbeddedStore(path)
    with pytest.raises(_Stop):
        _ingest(store, corpus_file, _stop_after(batches))
    return path, store


def test_embedded_store_first_load_is_staged_then_copied_in_whole(tmp_path: Path, corpus_file: Path) -> None:
    path = tmp_path / "it's a store"  # the staged files' paths are quoted in the COPY
    store = EmbeddedStore(path)
    seen: list[tuple[int, list[str], bool]] = []

    def progress(summary: IngestSummary) -> None:
        seen.append((_counts(store)["studies"], _staged(path), summary.storing))

    summary = _ingest(store, corpus_file, progress)
    assert (summary.loaded, summary.skipped, summary.failed, summary.storing) == (5, 0, 0, False)
    assert seen == [(0, ["b000000"], False), (0, ["b000000", "b000001"], False),
                    (0, ["b000000", "b000001", "b000002"], False),
                    (0, ["b000000", "b000001", "b000002"], True)]
    assert _counts(store) == COUNTS
    assert _staged(path) == []
    again = _ingest(store, corpus_file)  # now batch by batch: the store holds studies
    assert (again.loaded, again.skipped) == (0, 5)
    store.close()


def test_embedded_store_interrupted_first_load_resumes_from_staged_batches(
        tmp_path: Path, corpus_file: Path) -> None:
    path, store = _interrupted(tmp_path, corpus_file, 2)
    assert _counts(store)["studies"] == 0  # interrupted: nothing copied in, the batches kept
    assert _staged(path) == ["b000000", "b000001"]
    store.close()
    (Path(f"{path}.staged") / "b000002.part").mkdir()  # a batch a kill cut short is not staged
    (Path(f"{path}.staged") / "b000002.part" / "0-Study.parquet").write_bytes(b"PAR1 cut")

    store = EmbeddedStore(path)
    summary = _ingest(store, corpus_file)
    assert (summary.loaded, summary.skipped) == (1, 4)
    assert _counts(store) == COUNTS
    assert _staged(path) == []
    store.close()


def test_embedded_store_staged_study_changed_before_resume_is_replaced(tmp_path: Path, corpus_file: Path) -> None:
    path, store = _interrupted(tmp_path, corpus_file, 1)  # s1 and s2 staged
    changed = corpus()
    changed["s1"]["entities"]["5"]["label"] = "OBS-DP"
    del changed["s1"]["entities"]["1"]
    (tmp_path / "new").mkdir()
    changed_file = tmp_path / "new" / corpus_file.name  # a study's source is part of its fingerprint
    changed_file.write_text(json.dumps(changed, indent=1))  # as corpus_file: the same raw text
    summary = _ingest(store, changed_file)
    assert (summary.loaded, summary.skipped) == (4, 1)  # s1 again (changed), s3-s5; s2 unchanged
    assert _counts(store) == {**COUNTS, "observations": 13, "relations": 20}
    assert _staged(path) == []
    store.close()


def test_embedded_store_load_stopped_by_a_bad_report_keeps_the_batches_before(tmp_path: Path) -> None:
    entries = corpus()
    entries["s4"]["entities"]["3"]["tokens"] = "heart"  # in the second batch of two
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(entries))
    path = tmp_path / "kb-store"
    store = EmbeddedStore(path)
    with pytest.raises(InputError, match="report 's4'"):
        _ingest(store, bad)
    assert _counts(store)["studies"] == 2  # the first batch, as when writing batch by batch
    assert _staged(path) == []
    store.close()


def test_embedded_store_staged_batches_of_a_deleted_store_are_dropped(tmp_path: Path, corpus_file: Path) -> None:
    path, store = _interrupted(tmp_path, corpus_file, 2)
    store.close()
    for file in tmp_path.glob("kb-store*"):
        if file.is_file():
            file.unlink()
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"s3": corpus()["s3"]}))
    store = EmbeddedStore(path)
    assert _staged(path) == []
    _ingest(store, one)
    assert _counts(store)["studies"] == 1
    store.close()


def test_embedded_store_failed_copy_names_the_staged_folder_and_keeps_the_store(
        tmp_path: Path, corpus_file: Path) -> None:
    from kb.errors import StoreError

    path, store = _interrupted(tmp_path, corpus_file, 1)
    (Path(f"{path}.staged") / "b000000" / "1-Observation.parquet").write_bytes(b"not parquet")
    with pytest.raises(StoreError, match=r"copying 5 staged studies from .*kb-store\.staged failed: .*"
                                         r"to start over, delete that folder"):
        _ingest(store, corpus_file)
    assert _counts(store)["studies"] == 0  # the store itself was not touched
    assert _staged(path) == ["b000000", "b000001", "b000002", "store"]
    store.close()


def test_embedded_store_interrupted_first_load_is_pointed_out_by_the_cli(tmp_path: Path, corpus_file: Path) -> None:
    from tests.test_cli import kb

    path, store = _interrupted(tmp_path, corpus_file, 1)
    store.close()
    stats = kb("stats", "--store", str(path), "--format", "json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["studies"] == 0
    assert "is empty: a first load into it was interrupted" in " ".join(stats.stderr.split())
    assert kb("ingest", str(corpus_file), "--store", str(path)).returncode == 0
    stats = kb("stats", "--store", str(path), "--format", "json")
    assert json.loads(stats.stdout)["studies"] == 5 and "interrupted" not in stats.stderr
