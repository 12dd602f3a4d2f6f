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
