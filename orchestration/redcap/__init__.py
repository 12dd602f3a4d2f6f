"""REDCap import: a REDCap project export (records, data dictionary) -> an export that follows the contract.

See ../shared/spec/redcap.md and docs/redcap.md. `reference/` holds the reference REDCap project design
(data dictionary, instruments, repeating instruments, missing-data codes) and its built-in mapping.
"""

from orchestration.redcap.importer import import_redcap
from orchestration.redcap.mapping import MappingError, RedcapError, load_mapping
from orchestration.redcap.project import is_redcap_export
from orchestration.redcap.summary import ImportSummary

__all__ = [
    "ImportSummary",
    "MappingError",
    "RedcapError",
    "import_redcap",
    "is_redcap_export",
    "load_mapping",
]
