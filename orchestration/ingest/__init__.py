"""Ingestion of a registry export into the raw, quarantine and audit schemas (no Dagster imports here)."""

from orchestration.ingest.errors import ExportError
from orchestration.ingest.loader import load_export
from orchestration.ingest.summary import FileCounts, LoadSummary

__all__ = ["ExportError", "FileCounts", "LoadSummary", "load_export"]
