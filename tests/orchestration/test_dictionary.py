"""The data dictionary: COMMENTs in the published warehouse and docs/data-dictionary.md, one source."""

from __future__ import annotations

import duckdb

from orchestration.dictionary import DICTIONARY_PATH, DICTIONARY_SCHEMAS, all_entries, render_dictionary


def test_the_data_dictionary_page_is_up_to_date():
    expected = render_dictionary(all_entries())
    assert DICTIONARY_PATH.read_text(encoding="utf-8") == expected, (
        "docs/data-dictionary.md is stale: run `uv run python -m orchestration.dictionary`"
    )


def test_every_analyst_table_and_column_has_a_comment(refreshed):
    schemas = ", ".join(f"'{s}'" for s in DICTIONARY_SCHEMAS)
    with duckdb.connect(str(refreshed.published), read_only=True) as con:
        tables = con.execute(
            f"select schema_name, table_name, comment from duckdb_tables() where schema_name in ({schemas}) "
            f"union all select schema_name, view_name, comment from duckdb_views() "
            f"where schema_name in ({schemas}) and not internal"
        ).fetchall()
        columns = con.execute(
            f"select schema_name, table_name, column_name, comment from duckdb_columns() "
            f"where schema_name in ({schemas})"
        ).fetchall()
        psa50 = con.execute(
            "select comment from duckdb_columns() where schema_name = 'marts' "
            "and table_name = 'fct_psa_response' and column_name = 'psa50'"
        ).fetchone()[0]
        current = con.execute("select count(*) from audit.current_run").fetchone()[0]
    assert len(tables) > 30
    assert [t[:2] for t in tables if not t[2]] == []
    assert [c[:3] for c in columns if not c[3]] == []
    assert "not evaluable" in psa50 and "null" in psa50
    assert current == 1
