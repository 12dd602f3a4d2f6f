"""Small registries are where empty groups happen (no patient with some metastatic site, a single
patient): every such export must still be written, and follow the contract's manifest."""

from __future__ import annotations

import json

import pytest

from orchestration.synthetic import generate_export


@pytest.mark.parametrize(("patients", "seed"), [(80, 2), (80, 42), (1, 7), (5, 3)])
def test_small_exports_are_written(tmp_path, patients, seed):
    out = generate_export(tmp_path / "x", patients=patients, seed=seed)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"]["patients.csv"]["rows"] == patients
    for name, meta in manifest["files"].items():
        lines = (out / name).read_bytes().count(b"\n")
        assert lines - 1 == meta["rows"], name
