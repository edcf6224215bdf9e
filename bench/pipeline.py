"""Child process: one `credit-lists run` (the whole Dagster job, in-process) with a stopwatch.

`python -m bench.pipeline --landing DIR --warehouse FILE --publish DIR --as-of DATE --result FILE`
runs exactly what the CLI runs (`pipelines.run.run_partition`, ephemeral instance) and reports,
from the run's own event log, when every step started and ended. Steps are grouped into the
stages of the asset graph (Dagster asset groups: ingest, validate, credit -> "tiers", publish);
a stage's time is the sum of its steps' STEP_START -> STEP_SUCCESS/FAILURE spans, and what is
left of the job's wall time is Dagster's own overhead (plan, event storage, step set-up).

`--profile-sql` also times every statement the project runs through `warehouse.db`
(`run_sql`, `query`, `execute`), keyed by SQL file: statements a module sends straight to
`con.execute` are not seen there (py-spy sees them; see bench/README.md).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import psutil

from bench.measure import RssSampler, write_result

STAGE_OF_GROUP = {"ingest": "ingest", "validate": "validate", "credit": "tiers", "publish": "publish"}
STAGES = ("ingest", "validate", "tiers", "publish")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.pipeline")
    p.add_argument("--landing", type=Path, required=True)
    p.add_argument("--warehouse", type=Path, required=True)
    p.add_argument("--publish", type=Path, required=True)
    p.add_argument("--reports", type=Path, required=True)
    p.add_argument("--as-of", type=date.fromisoformat, required=True)
    p.add_argument("--profile-sql", action="store_true")
    p.add_argument("--result", type=Path, required=True)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ["CREDIT_LANDING_DIR"] = str(args.landing)
    os.environ["CREDIT_WAREHOUSE"] = str(args.warehouse)
    os.environ["CREDIT_PUBLISH_DIR"] = str(args.publish)
    os.environ["CREDIT_REPORTS_DIR"] = str(args.reports)
    with RssSampler() as sampler:
        t0 = time.time()
        born = psutil.Process().create_time()
        import dagster as dg

        from pipelines.definitions import defs
        from pipelines.run import run_partition

        imported = time.time()
        sql_times = _instrument_sql() if args.profile_sql else None
        instance = _KeptOpen.wrap(dg.DagsterInstance.ephemeral())
        outcome = run_partition(args.as_of, instance=instance)
        finished = time.time()
        logs = instance.all_logs(outcome.run_id)
    steps = step_spans(logs)
    for step in steps:
        step["cpu_s"] = sampler.cpu_seconds([(step["start"], step["end"])])
    groups = group_of_step(defs)
    stages = stage_summary(steps, groups, materialization_metadata(logs), sampler)
    job_s = finished - imported
    summarised = time.time()
    write_result(
        args.result,
        {
            "success": outcome.success,
            "reason": outcome.reason,
            "run_id": outcome.run_id,
            "as_of": args.as_of.isoformat(),
            "startup_s": t0 - born,
            "import_s": imported - t0,
            "after_run_s": summarised - finished,
            "job_s": job_s,
            "dagster_overhead_s": job_s - sum(s["seconds"] for s in stages.values()),
            "stages": stages,
            "steps": [{**s, "group": groups.get(s["step"])} for s in steps],
            "peak_rss_sampled_bytes": sampler.peak(),
            "rss_timeline": _thin(sampler.samples, t0),
            "sql_profile": _sql_table(sql_times) if sql_times is not None else None,
        },
    )
    gc.freeze()  # as `credit-lists run` does before it exits (see pipelines/cli.py)
    return 0


class _KeptOpen:
    """`run_partition` closes the instance it is given (`with instance as inst`); an ephemeral
    instance forgets its event log when closed, and the log is what the stopwatch reads.
    The wrapper class only turns that `__exit__` into a no-op; nothing else changes."""

    @staticmethod
    def wrap(instance: Any) -> Any:
        base = type(instance)
        kept = type("KeptOpenInstance", (base,), {"__exit__": lambda self, *exc: None})
        instance.__class__ = kept
        return instance


def step_spans(logs: list[Any]) -> list[dict[str, Any]]:
    """Per step: first STEP_START, last STEP_SUCCESS/FAILURE/UP_FOR_RETRY, and how it ended."""
    spans: dict[str, dict[str, Any]] = {}
    for entry in logs:
        event = entry.dagster_event
        if event is None or not entry.step_key:
            continue
        kind = event.event_type_value
        if kind == "STEP_START":
            spans.setdefault(entry.step_key, {"step": entry.step_key, "start": entry.timestamp})
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_UP_FOR_RETRY") and entry.step_key in spans:
            span = spans[entry.step_key]
            span["end"] = entry.timestamp
            span["status"] = kind.removeprefix("STEP_").lower()
    done = [s for s in spans.values() if "end" in s]
    for s in done:
        s["seconds"] = s["end"] - s["start"]
    return sorted(done, key=lambda s: s["start"])


def group_of_step(defs: Any) -> dict[str, str]:
    """Step key -> asset group: an asset's step is its op; a check's step is the check's node."""
    groups: dict[str, str] = {}
    for a in defs.assets or []:
        names = set(a.group_names_by_key.values())
        if len(names) == 1:
            groups[a.node_def.name] = names.pop()
    by_asset = {key: g for a in defs.assets or [] for key, g in a.group_names_by_key.items()}
    for c in defs.asset_checks or []:
        asset_keys = {k.asset_key for k in c.check_keys}
        names = {by_asset[k] for k in asset_keys if k in by_asset}
        if len(names) == 1:
            groups[c.node_def.name] = names.pop()
    return groups


def materialization_metadata(logs: list[Any]) -> dict[str, dict[str, Any]]:
    """Asset key (as a string) -> metadata values of its materialization in this run."""
    out: dict[str, dict[str, Any]] = {}
    for entry in logs:
        event = entry.dagster_event
        if event is None or event.event_type_value != "ASSET_MATERIALIZATION":
            continue
        mat = event.event_specific_data.materialization
        out[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out


def stage_rows(stage: str, metadata: dict[str, dict[str, Any]]) -> int | None:
    """The rows a stage worked on, from the metadata its assets attach (see bench/README.md)."""
    if stage == "ingest":
        found = [m["rows_read"] for k, m in metadata.items() if k.startswith("raw_") and "rows_read" in m]
    elif stage == "validate":
        found = [
            m["rows_staged"] for k, m in metadata.items() if k.startswith("staged_") and "rows_staged" in m
        ]
    elif stage == "tiers":
        found = [metadata["merchant_credit"]["rows"]] if "rows" in metadata.get("merchant_credit", {}) else []
    else:
        files = metadata.get("release_candidate", {}).get("files") or {}
        found = [f.get("rows", 0) for f in files.values()]
    return int(sum(found)) if found else None


def stage_summary(
    steps: list[dict[str, Any]],
    groups: dict[str, str],
    metadata: dict[str, dict[str, Any]],
    sampler: RssSampler,
) -> dict[str, dict[str, Any]]:
    by_stage: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in steps:
        stage = STAGE_OF_GROUP.get(groups.get(s["step"], ""), "other")
        by_stage[stage].append(s)
    out: dict[str, dict[str, Any]] = {}
    for stage in (*STAGES, "other"):
        spans = by_stage.get(stage)
        if not spans:
            continue
        seconds = sum(s["seconds"] for s in spans)
        rows = stage_rows(stage, metadata)
        out[stage] = {
            "seconds": seconds,
            "rows": rows,
            "rows_per_s": rows / seconds if rows and seconds > 0 else None,
            "cpu_s": sampler.cpu_seconds([(s["start"], s["end"]) for s in spans]),
            "peak_rss_bytes": sampler.peak([(s["start"], s["end"]) for s in spans]),
            "steps": len(spans),
            "failed_steps": [s["step"] for s in spans if s["status"] != "success"],
        }
    return out


def _thin(samples: list[tuple[float, int]], t0: float, every: float = 1.0) -> list[tuple[float, int]]:
    """The RSS timeline at about one point per second (the max of each second), for plots."""
    buckets: dict[int, int] = {}
    for t, rss in samples:
        b = int((t - t0) / every)
        buckets[b] = max(buckets.get(b, 0), rss)
    return [(round(b * every, 1), rss) for b, rss in sorted(buckets.items())]


# ---------------------------------------------------------------------------------------------
# statement timings


def _instrument_sql() -> dict[tuple[str, str], list[float]]:
    """Wrap `warehouse.db.run_sql/query/execute` wherever a project module imported them."""
    import warehouse.db as db

    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    current: list[str] = []
    orig_execute, orig_run_sql, orig_query = db.execute, db.run_sql, db.query

    def execute(con, statement, params):
        started = time.perf_counter()
        try:
            return orig_execute(con, statement, params)
        finally:
            head = " ".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
            times[(current[-1] if current else "(inline)", head[:100])].append(time.perf_counter() - started)

    def named(orig):
        def wrapper(con, name, params=None):
            current.append(name)
            try:
                return orig(con, name, params)
            finally:
                current.pop()

        return wrapper

    replacements = {
        id(orig_execute): execute,
        id(orig_run_sql): named(orig_run_sql),
        id(orig_query): named(orig_query),
    }
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("warehouse", "assets", "data_contracts", "pipelines")):
            continue
        for attr in ("execute", "run_sql", "query"):
            value = getattr(module, attr, None)
            if value is not None and id(value) in replacements:
                setattr(module, attr, replacements[id(value)])
    return times


def _sql_table(times: dict[tuple[str, str], list[float]]) -> list[dict[str, Any]]:
    rows = [
        {"sql": name, "statement": head, "calls": len(ts), "seconds": sum(ts)}
        for (name, head), ts in times.items()
    ]
    return sorted(rows, key=lambda r: -r["seconds"])


if __name__ == "__main__":
    sys.exit(main())
