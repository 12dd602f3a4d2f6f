"""Optional pseudonymisation of patient_id at ingestion, the only place ids enter the warehouse.

With the environment variable RLT_PSEUDONYM_KEY set (read at each load, never at import), every
patient_id of every table is replaced, before validation, by `PS-` + the first 20 hex digits of
HMAC-SHA256(key, stripped id). The same id maps to the same pseudonym in every table and every export
made with the same key, so joins and cross-export comparisons keep working; without the key the
original id cannot be recovered or confirmed. Raw and quarantine tables, and hence everything
downstream (marts, analysis, reports), then hold pseudonyms only.

A key set but blank, or shorter than 32 bytes, is refused (a short key is guessed offline, and with it
every id). The label of the key that `audit.runs` records is a slow, salted scrypt hash, so it cannot be
used to test guesses cheaply.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import replace

import polars as pl

from orchestration.ingest.parsing import clean
from orchestration.ingest.reading import TableFile

KEY_ENV = "RLT_PSEUDONYM_KEY"
PREFIX = "PS-"
HEX_DIGITS = 20  # 80 bits: collisions are out of reach for any registry size
MIN_KEY_BYTES = 32
MAKE_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
# scrypt cost per guess: 32 MiB of memory and ~0.1 s (RFC 7914's interactive setting, doubled)
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SCRYPT_MAXMEM = 64 * 2**20
KEY_ID_SCHEME = f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}"


class PseudonymKeyError(ValueError):
    """RLT_PSEUDONYM_KEY is set but unusable; the message says how to make a good one."""


def pseudonym_key() -> bytes | None:
    """The key from the environment at call time; None (no pseudonymisation) when unset.

    Raises PseudonymKeyError when it is set but blank or shorter than 32 bytes: a blank key must not
    silently turn pseudonymisation off, and a short one is guessed offline."""
    if KEY_ENV not in os.environ:
        return None
    key = os.environ[KEY_ENV]
    if not key.strip():
        raise PseudonymKeyError(
            f"{KEY_ENV} is set but empty; unset it to store real patient ids, or set a random key of at "
            f"least {MIN_KEY_BYTES} bytes, e.g. from: {MAKE_KEY}"
        )
    raw = key.encode("utf-8")
    if len(raw) < MIN_KEY_BYTES:
        raise PseudonymKeyError(
            f"{KEY_ENV} is {len(raw)} bytes long; a pseudonym key needs at least {MIN_KEY_BYTES} random "
            f"bytes (a short key is guessed offline, and with it every patient id). Make one with: {MAKE_KEY}"
        )
    return raw


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
            parts=tuple(
                part.with_columns(
                    ids.replace_strict(mapping, default=None, return_dtype=pl.String).alias("patient_id")
                )
                for part in tf.parts
            ),
        )
        for name, tf in files.items()
    }


def _scrypt(key: bytes, salt: bytes) -> str:
    return hashlib.scrypt(
        key, salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=SCRYPT_MAXMEM, dklen=32
    ).hex()


def key_id(salt: bytes | None = None) -> str | None:
    """A non-secret label of the key in use, recorded with each publish so that a refresh under another
    key, or without one, is not mistaken for the published one: `scrypt:N:r:p:<salt hex>:<hash hex>`.

    The salt is the warehouse's own (taken over from the published key id, see `salt_of`), a fresh random
    one for a first publish; scrypt makes every guess of the key cost ~0.1 s and 32 MiB."""
    key = pseudonym_key()
    if key is None:
        return None
    salt = salt if salt is not None else secrets.token_bytes(16)
    return f"{KEY_ID_SCHEME}:{salt.hex()}:{_scrypt(key, salt)}"


def salt_of(recorded: str | None) -> bytes | None:
    """The salt of a key id written by `key_id`; None for none or an older format."""
    if not recorded or not recorded.startswith(KEY_ID_SCHEME + ":"):
        return None
    parts = recorded.split(":")
    try:
        return bytes.fromhex(parts[4])
    except (IndexError, ValueError):
        return None


def same_key(recorded: str | None) -> bool:
    """True when the key in use now (or none) is the one `recorded` labels (or none)."""
    key = pseudonym_key()
    if key is None or recorded is None:
        return key is None and recorded is None
    salt = salt_of(recorded)
    return salt is not None and hmac.compare_digest(key_id(salt) or "", recorded)
