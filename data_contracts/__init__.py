"""ODCS data contracts for every dataset that enters or leaves the pipeline, and their loader.

This package knows nothing of DuckDB files or Dagster: it turns contract YAML into plain
Python objects (fields, row rules, batch rules) that the warehouse and the assets consume.
"""

from data_contracts.contract import (
    BatchRule,
    Contract,
    Field,
    RowRule,
    incoming_contract,
    incoming_contracts,
    published_contract,
    published_contracts,
)

INCOMING_DATASETS: tuple[str, ...] = ("permits", "penalties", "complaints", "commitments", "repairs")

__all__ = [
    "INCOMING_DATASETS",
    "BatchRule",
    "Contract",
    "Field",
    "RowRule",
    "incoming_contract",
    "incoming_contracts",
    "published_contract",
    "published_contracts",
]
