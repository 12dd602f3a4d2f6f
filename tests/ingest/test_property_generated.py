"""Property on generated exports: a synthetic registry (with the generator's own bad rows, mixed delimiters,
a BOM, German dates and columns outside the contract) further corrupted at random — every input row still
has exactly one outcome, in every file."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from functools import cache
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.ingest import load_export
from orchestration.synthetic import generate_export
from tests.ingest.conftest import write_export
from tests.ingest.test_property import NASTY, assert_every_row_accounted, consent_rule, corrupt, data_lines


@cache
def generated() -> tuple[dict[str, str], dict[str, object]]:
    """The files (as text) and manifest fields of one small synthetic export with bad rows."""
    with tempfile.TemporaryDirectory() as tmp:
        out = generate_export(Path(tmp) / "g", patients=25, seed=5, bad_rows_rate=0.05)
        manifest = json.loads((out / "manifest.json").read_text())
        texts = {name: (out / name).read_text(encoding="utf-8-sig") for name in manifest["files"]}
    return texts, {k: v for k, v in manifest.items() if k != "files"}


def _sep(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


FILES = sorted(generated()[0])
corruption = st.tuples(
    st.sampled_from(FILES),
    st.sampled_from(["cell", "cell", "duplicate", "short", "long", "blank"]),
    st.integers(0, 400),
    st.integers(0, 10),
    st.sampled_from(NASTY),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(corruption, max_size=12))
def test_generated_export_every_row_has_exactly_one_outcome(
    ops: list[tuple[str, str, int, int, str]],
) -> None:
    texts, manifest = generated()
    seps = {f: _sep(t) for f, t in texts.items()}
    changed = {f: corrupt(t, [o[1:] for o in ops if o[0] == f], seps[f], seps[f]) for f, t in texts.items()}
    lines = {f: data_lines(t, seps[f]) for f, t in changed.items()}
    header = next(
        csv.reader(io.StringIO(changed["patients.csv"].split("\n", 1)[0]), delimiter=seps["patients.csv"])
    )
    consent_col = [h.strip().lower() for h in header].index("consent_data_use")
    consents = consent_rule(len(header), consent_col)
    refused = {
        cells[0].strip()
        for cells in lines["patients.csv"].values()
        if not consents(cells) and cells[0].strip()
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = write_export(Path(tmp) / "export", dict(changed), manifest=manifest)
        con = duckdb.connect()
        summary = load_export(path, con)
        assert_every_row_accounted(con, summary, lines, refused, consents)
        con.close()
