"""The performance harness of credit-lists (issue 7): `python -m bench.run --scales 1 5 20`.

See bench/README.md for what is measured and how. Nothing here is imported by the pipeline.
"""
