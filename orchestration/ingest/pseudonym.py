"""Optional pseudonymisation of patient_id at ingestion, the only place ids enter the warehouse.

With the environment variable RLT_PSEUDONYM_KEY set (read at each load, never at import), every
patient_id of every table is replaced, before validation, by `PS-` + the first 20 hex digits of
HMAC-SHA256(key, stripped id). The same id maps to the same pseudonym in every table and every export
made with the same key, so joins and cross-export comparisons keep working; without the key the
original id cannot be recovered or confirmed. Raw and quarantine tables, and hence everything
downstream (marts, analysis, reports), then hold pseudonyms only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import replace

import polars as pl

from orchestration.ingest.parsing import clean
from orchestration.ingest.reading import TableFile

KEY_ENV = "RLT_PSEUDONYM_KEY"
PREFIX = "PS-"
HEX_DIGITS = 20  # 80 bits: collisions are out of reach for any registry size


def pseudonym_key() -> bytes | None:
    """The key from the environment at call time; None (no pseudonymisation) when unset or blank."""
    key = os.environ.get(KEY_ENV, "")
    return key.encode("utf-8") if key.strip() else None


def pseudonym(patient_id: str, key: bytes) -> str:
    digest = hmac.new(key, patient_id.strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_DIGITS]


def pseudonymise_files(files: dict[str, TableFile], key: bytes | None = None) -> dict[str, TableFile]:
    """Every file's patient_id replaced by its pseudonym (blank ids become null, as validation reads
    them anyway). Unchanged when no key is given and none is set in the environment."""
    key = key if key is not None else pseudonym_key()
    if key is None or not files:
        return files
    ids = clean(pl.col("patient_id"))
    distinct = (
        pl.concat([tf.frame.select(ids.alias("id")) for tf in files.values()]).get_column("id").drop_nulls()
    )
    # HMAC once per distinct id (a few thousand), then a vectorised lookup over every row
    mapping = {pid: pseudonym(pid, key) for pid in distinct.unique().to_list()}
    return {
        name: replace(
            tf,
            frame=tf.frame.with_columns(
                ids.replace_strict(mapping, default=None, return_dtype=pl.String).alias("patient_id")
            ),
        )
        for name, tf in files.items()
    }


def key_id() -> str | None:
    """A non-secret label of the key in use (an HMAC of a fixed text), recorded with each publish so that
    a refresh under another key, or without one, is not mistaken for the published one."""
    key = pseudonym_key()
    return None if key is None else pseudonym("rlt-registry pseudonym key id", key)
