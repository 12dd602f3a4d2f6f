"""Dagster assets: a few lines each, calling ingest / dbt / analysis / publish / reporting."""
