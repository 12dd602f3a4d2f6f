"""The one error that fails an export as a whole."""

from __future__ import annotations


class ExportError(Exception):
    """The export cannot be loaded at all (bad manifest, checksum, missing table/column, unsafe archive,
    unreadable file). The message names the file, and the table/column or line where relevant."""
