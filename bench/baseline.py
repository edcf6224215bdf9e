"""Child process: the baseline, the contract's checks run by Great Expectations on pandas.

The question it answers: how long would the validate stage take if it were written the way
GE's documentation shows, a pandas DataFrame per dataset validated by an expectation suite?
Over the same data the pipeline judged, for every dataset:

1. load: every row of `raw_<dataset>` in the warehouse a pipeline run left behind, typed by the
   contract's own projection (`data_contracts.rules.compile_rules(...).typed_select`, run by
   DuckDB on an in-memory connection that attaches the warehouse read-only), then `.df()`:
   only the columns the suite reads, as the project's pandas engine does.
2. validate: `gx.get_context(mode="ephemeral")`, `data_sources.add_pandas`,
   `add_dataframe_asset`, `add_batch_definition_whole_dataframe`, an `ExpectationSuite`,
   `ValidationDefinition(...).run(batch_parameters={"dataframe": df})` with the result format
   the gate uses (SUMMARY, 10 example values).

The suite is the gate's batch suite (`data_contracts.ge_suites.expectation_specs`) plus the
contract's row rules where GE has an expectation for them: a pattern becomes
`ExpectColumnValuesToMatchRegex`, a USCC check its shape as a regex (GE cannot compute the
GB 32100 check character), a minimum `ExpectColumnValuesToBeBetween`; not-null, in-set and
unique are already in the batch suite. Rules GE cannot express (date and number parsing,
identity-number checks on hashed values, list elements in a set, the contract's SQL row rules)
are counted in `unsupported`, not emulated.
`python -m bench.baseline --warehouse FILE [--datasets ...] --result FILE`.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from bench.measure import RssSampler, write_result
from data_contracts import INCOMING_DATASETS, Contract, incoming_contract
from data_contracts.ge_suites import ExpectationSpec, batch_column, expectation_specs
from data_contracts.rules import compile_rules
from warehouse.db import configure, execute

# GB 32100 shape: registration category and type, 6-digit division, 9-character organisation
# code and check character from the code's 31-character alphabet (no I, O, S, V, Z).
USCC_SHAPE = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 10}


def row_rule_specs(contract: Contract) -> tuple[list[ExpectationSpec], list[str]]:
    """The row rules GE can express (regex, between), and the ids of those it cannot."""
    specs: list[ExpectationSpec] = []
    unsupported: list[str] = []
    for f in contract.fields:
        column = batch_column(f)
        rid = contract.rule_id(f.name)
        if column is None:
            continue
        if f.pattern:
            specs.append(
                ExpectationSpec(
                    f"{rid}.pattern",
                    "error",
                    "ExpectColumnValuesToMatchRegex",
                    {"column": column, "regex": f.pattern},
                )
            )
        if f.check == "uscc":
            specs.append(
                ExpectationSpec(
                    f"{rid}.uscc",
                    "error",
                    "ExpectColumnValuesToMatchRegex",
                    {"column": column, "regex": USCC_SHAPE},
                )
            )
        if f.minimum is not None:
            specs.append(
                ExpectationSpec(
                    f"{rid}.minimum",
                    "error",
                    "ExpectColumnValuesToBeBetween",
                    {"column": column, "min_value": f.minimum},
                )
            )
        if f.check == "ric":
            unsupported.append(f"{rid}.ric")
        if f.logical_type in ("date", "number"):
            unsupported.append(f"{rid}.{f.logical_type}")
        if f.allowed_values is not None and (f.logical_type == "array" or f.privacy):
            unsupported.append(f"{rid}.allowed_values")
    unsupported += [r.id for r in contract.explicit_row_rules]
    return specs, unsupported


def suite_specs(contract: Contract) -> tuple[list[ExpectationSpec], list[str]]:
    """Batch suite first, then the row rules not already checked the same way on the same column."""
    batch = expectation_specs(contract)
    rows, unsupported = row_rule_specs(contract)
    seen = {(s.expectation_type, s.columns) for s in batch}
    return batch + [s for s in rows if (s.expectation_type, s.columns) not in seen], unsupported


def load_frame(warehouse: Path, contract: Contract, columns: list[str]) -> Any:
    """The dataset's raw rows typed by the contract, as a pandas DataFrame of `columns`."""
    compiled = compile_rules(contract)
    con = duckdb.connect()
    try:
        configure(con)
        con.execute("ATTACH $p AS w (READ_ONLY)", {"p": str(warehouse)})
        cols = ", ".join(columns)
        sql = f"SELECT {cols} FROM (SELECT {compiled.typed_select} FROM w.raw_{contract.dataset} AS r)"
        return execute(con, sql, compiled.params).df()
    finally:
        con.close()


def validate_frame(gx: Any, contract: Contract, specs: list[ExpectationSpec], frame: Any) -> Any:
    """GE 1.x as its documentation shows it, on a pandas DataFrame."""
    context = gx.get_context(mode="ephemeral")
    data_source = context.data_sources.add_pandas(name=f"{contract.dataset}_pandas")
    data_asset = data_source.add_dataframe_asset(name=contract.dataset)
    batch_definition = data_asset.add_batch_definition_whole_dataframe("whole dataframe")
    suite = context.suites.add(gx.ExpectationSuite(name=f"{contract.dataset}_baseline"))
    for spec in specs:
        suite.add_expectation(getattr(gx.expectations, spec.expectation_type)(**spec.kwargs))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(data=batch_definition, suite=suite, name=f"{contract.dataset}_baseline")
    )
    return definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.baseline")
    p.add_argument("--warehouse", type=Path, required=True)
    p.add_argument("--datasets", nargs="+", default=list(INCOMING_DATASETS))
    p.add_argument("--result", type=Path, required=True)
    args = p.parse_args(argv)
    out: dict[str, Any] = {"datasets": {}}
    with RssSampler() as sampler:
        t = time.time()
        import great_expectations as gx

        out["import_s"] = time.time() - t
        for dataset in args.datasets:
            contract = incoming_contract(dataset)
            specs, unsupported = suite_specs(contract)
            columns = list(dict.fromkeys(c for s in specs for c in s.columns))
            t0 = time.time()
            frame = load_frame(args.warehouse, contract, columns)
            t1 = time.time()
            result = validate_frame(gx, contract, specs, frame)
            t2 = time.time()
            out["datasets"][dataset] = {
                "rows": len(frame),
                "columns": len(columns),
                "expectations": len(specs),
                "expectations_failed": sum(1 for r in result.results if not r.success),
                "unsupported_rules": unsupported,
                "load_s": t1 - t0,
                "validate_s": t2 - t1,
                "peak_rss_bytes": sampler.peak([(t0, t2)]),
            }
            del frame, result
            gc.collect()
    out["load_s"] = sum(d["load_s"] for d in out["datasets"].values())
    out["validate_s"] = sum(d["validate_s"] for d in out["datasets"].values())
    out["rows"] = sum(d["rows"] for d in out["datasets"].values())
    out["peak_rss_sampled_bytes"] = sampler.peak()
    write_result(args.result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
