"""Dagster assets, checks and resources, one module per stage; thin wrappers over `warehouse/`."""
