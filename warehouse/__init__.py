"""The DuckDB warehouse: SQL models, the credit policy, and the code that runs them.

Knows nothing of Dagster. Assets call into this package with an open connection.
"""
