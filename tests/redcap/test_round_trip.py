"""Round trip: the synthetic registry written both ways (contract export; REDCap project export of the
reference design), the REDCap one imported, both loaded: the same registry reaches the warehouse.

Several seeds and sizes are compared after ingestion (raw, quarantine and per-file accounting: no dbt);
one registry goes all the way (`rlt refresh` of the REDCap folder vs. dbt on the direct export) and every
mart is compared, EXCEPT ALL both ways. The direct export writes messy forms (decimal commas, DD.MM.YYYY,
odd header case), the REDCap one canonical forms: values agree, only `value_text` (the lab value's text
as exported, `9,1` vs `9.1`) differs by design and is left out.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.contract.tables import LINEAGE_COLUMNS, TABLES
from orchestration.ingest import load_export
from orchestration.redcap import import_redcap
from orchestration.settings import ClinicalSettings
from orchestration.synthetic import generate_export
from orchestration.synthetic.redcap import generate_redcap_export

NOT_COMPARED = {*LINEAGE_COLUMNS, "value_text"}


def _load(export: Path, database: Path):
    with duckdb.connect(str(database)) as con:
        return load_export(export, con)


def _differences(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[int, int, int]:
    """(rows, rows only in a, rows only in b) of a table in attached databases a and b."""
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from duckdb_columns() where database_name = 'a' and schema_name = ? "
            "and table_name = ? order by column_index",
            [schema, table],
        ).fetchall()
        if c not in NOT_COMPARED
    ]
    cols = ", ".join(f'"{c}"' for c in columns)
    a, b = f"a.{schema}.{table}", f"b.{schema}.{table}"
    only_a = con.execute(f"select count(*) from (select {cols} from {a} except all select {cols} from {b})")
    only_a_n = only_a.fetchone()[0]
    only_b_n = con.execute(
        f"select count(*) from (select {cols} from {b} except all select {cols} from {a})"
    ).fetchone()[0]
    return con.execute(f"select count(*) from {a}").fetchone()[0], only_a_n, only_b_n


@pytest.mark.parametrize(("patients", "seed"), [(25, 101), (60, 3), (140, 17)])
def test_both_formats_load_the_same_registry(tmp_path, patients, seed):
    direct = generate_export(tmp_path / "direct", patients=patients, seed=seed)
    redcap = generate_redcap_export(tmp_path / "redcap", patients=patients, seed=seed)
    manifest = json.loads((direct / "manifest.json").read_text())
    summary = import_redcap(
        redcap,
        tmp_path / "imported",
        export_id=manifest["export_id"],
        data_cutoff=manifest["data_cutoff"],
        exported_at=manifest["exported_at"],
        registry=manifest["registry"],
    )
    # what the REDCap export adds and the import takes away again
    assert summary.unmapped() == [] and summary.repaired() == []
    assert summary.records == patients
    assert sum(sum(c.values()) for c in summary.missing.values()) > 0
    assert summary.fields_not_written == ["patient_name", "mrn", "vital_notes", "death_cause"]
    with_therapy = {r.split(",")[0] for r in (direct / "prior_therapies.csv").read_text().splitlines()[1:]}
    assert summary.not_started.get("prior_therapy", 0) == patients - len(with_therapy)
    # the death form is never started for every patient alive in vital_status.csv (death_date empty)
    alive = [r for r in (direct / "vital_status.csv").read_text().splitlines()[1:] if r.endswith(",")]
    assert summary.not_started["death"] == len(alive) > 0

    a = _load(direct, tmp_path / "a.duckdb")
    b = _load(tmp_path / "imported", tmp_path / "b.duckdb")
    for name, counts in a.files.items():
        other = b.files[name]
        assert (counts.rows_read, counts.rows_loaded, counts.rows_quarantined, counts.rows_duplicate) == (
            other.rows_read,
            other.rows_loaded,
            other.rows_quarantined,
            other.rows_duplicate,
        ), name
        assert counts.rows_excluded_consent == other.rows_excluded_consent
    with duckdb.connect() as con:
        con.execute(f"attach '{tmp_path / 'a.duckdb'}' as a (read_only)")
        con.execute(f"attach '{tmp_path / 'b.duckdb'}' as b (read_only)")
        for schema in ("raw", "quarantine"):
            for table in [*TABLES, "export_manifest"] if schema == "raw" else TABLES:
                rows, only_a, only_b = _differences(con, schema, table)
                assert (only_a, only_b) == (0, 0), f"{schema}.{table}: {rows} rows"
        assert con.execute("select count(*) from a.raw.lab_results").fetchone()[0] > 100 * patients // 10


@pytest.mark.slow
def test_every_mart_equals_the_direct_exports(tmp_path):
    """`rlt refresh` of the REDCap folder (imported on the way in) vs. dbt on the direct export."""
    from orchestration.dbt_runner import build
    from orchestration.refresh import run_refresh

    patients, seed = 120, 11
    redcap = generate_redcap_export(tmp_path / "inbox" / "reality-redcap", patients=patients, seed=seed)
    direct = shutil.copytree(
        generate_export(tmp_path / "gen", patients=patients, seed=seed), tmp_path / "direct"
    )
    # the refresh names the REDCap export after its folder and cuts off at its export date (no
    # --data-cutoff on the way in): give the direct export the same metadata, its files unchanged
    manifest = json.loads((direct / "manifest.json").read_text())
    manifest |= {"export_id": "reality-redcap", "registry": "REDCAP"}
    manifest["data_cutoff"] = manifest["exported_at"][:10]
    (direct / "manifest.json").write_text(json.dumps(manifest))

    result = run_refresh(
        redcap, tmp_path / "wh" / "registry.duckdb", ClinicalSettings(), render_reports=False
    )
    assert result.export_id == "reality-redcap" and not result.skipped
    _load(direct, tmp_path / "direct.duckdb")
    build(tmp_path / "direct.duckdb", ClinicalSettings())  # as a refresh builds (no dbt unit tests)

    with duckdb.connect() as con:
        con.execute(f"attach '{tmp_path / 'direct.duckdb'}' as a (read_only)")
        con.execute(f"attach '{result.published}' as b (read_only)")
        marts = [
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where database_name = 'a' and schema_name = 'marts' "
                "union select view_name from duckdb_views() "
                "where database_name = 'a' and schema_name = 'marts'"
            ).fetchall()
        ]
        assert {"dim_patient", "fct_psa_response", "fct_toxicity", "fct_survival"} <= set(marts)
        for table in sorted(marts):
            rows, only_a, only_b = _differences(con, "marts", table)
            assert (only_a, only_b) == (0, 0), f"marts.{table}: {rows} rows, {only_a} / {only_b} differ"
            assert rows > 0, table
        audit = con.execute(
            "select records, rows_per_table, not_started from b.audit.redcap_imports"
        ).fetchall()
    assert len(audit) == 1 and audit[0][0] == patients
    assert json.loads(audit[0][1])["patients"] == patients
    # the import folder beside the warehouse is gone, and the re-refresh of the same folder is skipped
    assert [p.name for p in (tmp_path / "wh").iterdir() if p.name.startswith(".redcap")] == []
    again = run_refresh(redcap, tmp_path / "wh" / "registry.duckdb", ClinicalSettings(), render_reports=False)
    assert again.skipped
