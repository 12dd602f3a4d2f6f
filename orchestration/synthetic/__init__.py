"""Synthetic registry exports that follow the export contract (for demos, tests and benchmarks)."""

from orchestration.synthetic.export import generate_export

__all__ = ["generate_export"]
