"""The dbt project is parsed once per code version (orchestration/dbt_runner.py): a later process unpickles
that parse instead of running dbt's `parse`, and an unreadable saved parse is parsed again, never trusted."""

from __future__ import annotations

import stat

import pytest

from orchestration import dbt_runner


@pytest.fixture
def fresh_process(monkeypatch):
    """This process as a new one would start: nothing parsed in memory."""
    monkeypatch.setattr(dbt_runner, "_parsed", {})


def _no_dbt_parse(monkeypatch) -> list[list[str]]:
    """Record every dbtRunner invocation instead of running it."""
    from dbt.cli.main import dbtRunner

    calls: list[list[str]] = []

    def refuse(self, args, **kwargs):
        calls.append(list(args))
        raise AssertionError(f"dbt was run: {args}")

    monkeypatch.setattr(dbtRunner, "invoke", refuse)
    return calls


def test_a_new_process_loads_the_saved_parse_without_running_dbt(fresh_process, monkeypatch):
    parsed = dbt_runner.manifest()  # parses, or loads the parse of this code version
    saved = dbt_runner.parsed_dir() / dbt_runner.PICKLED_MANIFEST
    assert saved.exists() and stat.S_IMODE(saved.stat().st_mode) == 0o600
    expected = sorted(parsed.nodes)

    monkeypatch.setattr(dbt_runner, "_parsed", {})
    calls = _no_dbt_parse(monkeypatch)
    loaded = dbt_runner.manifest()
    assert calls == []
    assert sorted(loaded.nodes) == expected
    assert "model.rlt_registry.fct_survival" in loaded.nodes
    assert len(loaded.unit_tests) == len(parsed.unit_tests) > 0


def test_the_saved_parse_loads_whole_even_after_its_lookups_were_built(fresh_process, tmp_path):
    """dbt's own Manifest pickling shifts fields by position (a full parse leaves the lookups built, and the
    unpickled Manifest then had a RefableLookup where the source lookup belongs and lost its fixtures):
    the saved parse must give a Manifest equal field by field, whose lookups resolve."""
    import dataclasses

    from dbt.contracts.graph.manifest import RefableLookup, SourceLookup

    parsed = dbt_runner.manifest()
    assert parsed.ref_lookup is not None and parsed.source_lookup is not None  # built, as after a full parse
    (tmp_path / "manifest.json").write_text("{}")
    dbt_runner._save_pickled(tmp_path, parsed)
    loaded = dbt_runner._load_pickled(tmp_path)
    assert loaded is not None
    for field in dataclasses.fields(parsed):
        if not field.name.startswith("_"):
            mine, theirs = getattr(loaded, field.name), getattr(parsed, field.name)
            assert type(mine) is type(theirs), field.name
            if isinstance(theirs, dict):
                assert mine.keys() == theirs.keys(), field.name
    assert isinstance(loaded.source_lookup, SourceLookup) and isinstance(loaded.ref_lookup, RefableLookup)
    found = loaded.ref_lookup.find("dim_patient", None, None, loaded)
    assert found is not None and found.unique_id == "model.rlt_registry.dim_patient"
    source = loaded.source_lookup.find("raw.patients", None, loaded)
    assert source is not None and source.unique_id == "source.rlt_registry.raw.patients"


def test_an_unreadable_saved_parse_is_parsed_again(fresh_process, monkeypatch, tmp_path):
    dbt_runner.manifest()
    # a copy of this code version's parse folder, with a damaged pickle
    target = tmp_path / "parsed-x"
    source = dbt_runner.parsed_dir()
    target.mkdir()
    for name in ("manifest.json", "partial_parse.msgpack"):
        (target / name).write_bytes((source / name).read_bytes())
    (target / dbt_runner.PICKLED_MANIFEST).write_bytes(b"not a pickle")
    monkeypatch.setattr(dbt_runner, "parsed_dir", lambda digest=None: target)
    monkeypatch.setattr(dbt_runner, "_parsed", {})

    again = dbt_runner.manifest()  # dbt parses (partially: nothing changed) and saves a good pickle
    assert "model.rlt_registry.fct_survival" in again.nodes
    assert (target / dbt_runner.PICKLED_MANIFEST).read_bytes() != b"not a pickle"
    monkeypatch.setattr(dbt_runner, "_parsed", {})
    _no_dbt_parse(monkeypatch)
    assert sorted(dbt_runner.manifest().nodes) == sorted(again.nodes)
