"""Turn the per-scale result files into the figures that matter and a Markdown table.

`summarise` reduces one scale's raw measurements (every run, floor and baseline) to medians
and ratios; `write_results_md` rebuilds `RESULTS.md` from the newest result file of each scale,
with the machine it ran on and the targets of issue 7 checked at scale 20.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

STAGES = ("ingest", "validate", "tiers", "publish")
GIB = 1024**3
TARGET_SCALE = 20.0
TARGETS = (
    # (key, what, limit, "<=" or ">=", unit)
    ("total_over_floor", "full refresh / floor", 4.0, "<=", "x"),
    ("total_s", "full refresh wall", 180.0, "<=", "s"),
    ("peak_rss_gib", "full refresh peak RSS", 6.0, "<=", "GiB"),
    ("incremental_s", "incremental night wall", 30.0, "<=", "s"),
    ("baseline_over_validate", "GE-on-pandas baseline / validate stage", 5.0, ">=", "x"),
)
SCALING_TARGET = ("time(scale 20) / time(scale 5)", 4.5)


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    timed = sorted((r for r in runs if r.get("stages")), key=lambda r: r["wall_s"])
    return timed[(len(timed) - 1) // 2] if timed else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    runs = result.get("full_runs") or []
    median = _median_run(runs)
    floors = [f["wall_s"] for f in result.get("floors") or [] if f.get("error") is None]
    total_s = statistics.median(r["wall_s"] for r in runs) if runs else None
    floor_s = statistics.median(floors) if floors else None
    stages = (median or {}).get("stages") or {}
    validate_s = stages.get("validate", {}).get("seconds")
    base = result.get("baseline") or {}
    baseline_s = None
    if base.get("error") is None and "validate_s" in base:
        baseline_s = base["import_s"] + base["load_s"] + base["validate_s"]
    night = result.get("incremental") or {}
    return {
        "success": all(r.get("success") for r in runs) if runs else False,
        "failure": next((r.get("reason") or r.get("error") for r in runs if not r.get("success")), None),
        "total_s": total_s,
        "total_runs_s": [round(r["wall_s"], 2) for r in runs],
        "job_s": (median or {}).get("job_s"),
        "import_s": (median or {}).get("import_s"),
        "dagster_overhead_s": (median or {}).get("dagster_overhead_s"),
        "stages": stages,
        "peak_rss_gib": max((r["peak_rss_bytes"] for r in runs), default=0) / GIB,
        "floor_s": floor_s,
        "floor_runs_s": [round(f, 2) for f in floors],
        "total_over_floor": _ratio(total_s, floor_s),
        "baseline_s": baseline_s,
        "baseline_error": base.get("error"),
        "baseline_ge_validate_s": base.get("validate_s"),
        "baseline_peak_rss_gib": base["peak_rss_bytes"] / GIB if base.get("peak_rss_bytes") else None,
        "validate_s": validate_s,
        "baseline_over_validate": _ratio(baseline_s, validate_s),
        "incremental_s": night.get("wall_s"),
        "incremental_success": night.get("success"),
        "incremental_failure": night.get("reason") or night.get("error"),
        "landing_rows": (result.get("floors") or [{}])[0].get("rows"),
    }


def one_line(result: dict[str, Any]) -> str:
    s = result["summary"]
    parts = [
        f"total {_f(s['total_s'])} s ({'ok' if s['success'] else 'FAILED'})",
        f"floor {_f(s['floor_s'])} s",
    ]
    parts.append(f"total/floor {_f(s['total_over_floor'])}")
    parts.append(f"peak {_f(s['peak_rss_gib'])} GiB")
    if s["baseline_s"] is not None:
        parts.append(f"baseline/validate {_f(s['baseline_over_validate'])}")
    if s["incremental_s"] is not None:
        parts.append(f"night {_f(s['incremental_s'])} s")
    return ", ".join(parts)


def _f(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def latest_results(out: Path) -> dict[float, dict[str, Any]]:
    """The newest result file of each scale in `out` (file names sort by time)."""
    found: dict[float, dict[str, Any]] = {}
    for path in sorted(out.glob("scale-*--*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["_file"] = path.name
        found[float(data["scale"])] = data
    return dict(sorted(found.items()))


def write_results_md(out: Path) -> Path:
    results = latest_results(out)
    path = out / "RESULTS.md"
    path.write_text(render(results), encoding="utf-8")
    return path


def render(results: dict[float, dict[str, Any]]) -> str:
    lines = ["# Benchmark results", ""]
    if not results:
        return "\n".join(
            [*lines, "No results yet: run `python -m bench.run --scales 1 5 20 --incremental`.", ""]
        )
    any_result = next(iter(results.values()))
    m = any_result["machine"]
    v = m["versions"]
    lines += [
        f"Machine: {m['cpu']}, {m['cores_logical']} logical cores ({m['cpus_usable']} usable), "
        f"{m['ram_bytes'] / GIB:.1f} GiB RAM, Linux {m['kernel']}. Python {m['python']}, duckdb {v['duckdb']}, "
        f"dagster {v['dagster']}, great_expectations {v['great_expectations']}, polars {v['polars']}, "
        f"pandas {v['pandas']}, pyarrow {v['pyarrow']}.",
        "",
        "Times are wall seconds of a child process (Python start and imports included), peak RSS the kernel's "
        "high-water mark of that process. The machine is shared: the load average before each run is shown, "
        "and figures taken under load are slower than the machine can do; CPU s (user + system, all threads) "
        "moves less with load. Code = commit / hash of the pipeline's source files when measured. Rest s = total minus the four stages: interpreter start and exit, imports, "
        "Dagster's work between steps. Definitions: `bench/README.md`.",
        "",
        "## Full refresh",
        "",
        "| scale | merchants | landing rows | files | MiB | status | total s | CPU s | ingest s | validate s | tiers s "
        "| publish s | rest s | peak RSS GiB | floor s | total / floor | baseline s | baseline / validate "
        "| load before | code |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scale, r in results.items():
        s = r["summary"]
        st = s["stages"]
        run = _median_run(r.get("full_runs") or []) or {}
        rest = run["wall_s"] - sum(v["seconds"] for v in st.values()) if run else None
        lines.append(
            f"| {scale:g} | {round(scale * 100_000):,} | {_i(s['landing_rows'])} | {r['sample'].get('files', '–')} "
            f"| {r['sample'].get('bytes', 0) / 2**20:,.0f} | {'ok' if s['success'] else 'FAILED'} "
            f"| {_f(s['total_s'])} | {_f(run.get('cpu_s'))} | "
            + " | ".join(_f(st.get(k, {}).get("seconds")) for k in STAGES)
            + f" | {_f(rest)} | {_f(s['peak_rss_gib'], 2)} | {_f(s['floor_s'])} | {_f(s['total_over_floor'], 2)} "
            f"| {_f(s['baseline_s'])} | {_f(s['baseline_over_validate'], 2)} "
            f"| {run.get('load_before', {}).get('loadavg_1m', '–')} | {_code(r)} |"
        )
    lines += [
        "",
        "Runs per scale (wall s): "
        + "; ".join(
            f"scale {k:g}: {r['summary']['total_runs_s']} (floor {r['summary']['floor_runs_s']})"
            for k, r in results.items()
        ),
        "",
    ]
    failures = [(k, r["summary"]["failure"]) for k, r in results.items() if r["summary"]["failure"]]
    for k, why in failures:
        lines += [f"**Scale {k:g} run failed:** {str(why)[:600]}", ""]

    lines += [
        "## Stages",
        "",
        "| scale | stage | s | CPU s | rows | rows/s | peak RSS GiB (sampled) | steps |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scale, r in results.items():
        for stage, st in r["summary"]["stages"].items():
            lines.append(
                f"| {scale:g} | {stage} | {_f(st['seconds'])} | {_f(st.get('cpu_s'))} | {_i(st['rows'])} "
                f"| {_i(st['rows_per_s'])} "
                f"| {_f(st['peak_rss_bytes'] / GIB, 2)} | {st['steps']} |"
            )
    lines += [
        "",
        "Rows: ingest = rows read from the landing files, validate = rows staged and judged, tiers = merchants "
        "evaluated, publish = rows written to the release's Parquet files.",
        "",
    ]

    nights = {k: r for k, r in results.items() if r.get("incremental")}
    if nights:
        lines += [
            "## Incremental night",
            "",
            "| scale | as-of | files added | MiB added | status | wall s | ingest s | validate s | tiers s | publish s "
            "| peak RSS GiB | warehouse GiB before | warehouse GiB after |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for scale, r in nights.items():
            n = r["incremental"]
            st = n.get("stages") or {}
            before = (r["full_runs"][-1] if r.get("full_runs") else {}).get("warehouse_bytes")
            lines.append(
                f"| {scale:g} | {n['as_of']} | {n['delivery']['files']} | {n['delivery']['bytes'] / 2**20:,.1f} "
                f"| {'ok' if n.get('success') else 'FAILED'} | {_f(n['wall_s'])} | "
                + " | ".join(_f(st.get(k, {}).get("seconds")) for k in STAGES)
                + f" | {_f(n['peak_rss_bytes'] / GIB, 2)} | {_gib(before)} | {_gib(n.get('warehouse_bytes'))} |"
            )
        lines += [
            "",
            "The warehouse before the night is the last full run's; it grows by what the night ingests and "
            "by one more evaluation of every credit table (each keeps its rows per as-of).",
            "",
        ]

    lines += _targets(results)
    lines += _floor_table(results)
    lines += _baseline_table(results)
    lines += _slowest_steps(results)
    lines += _sql_profile(results)
    lines += ["", f"Result files: {', '.join(r['_file'] for r in results.values())}", ""]
    return "\n".join(lines)


def _gib(n: int | None) -> str:
    return "-" if n is None else f"{n / GIB:.2f}"


def _code(result: dict[str, Any]) -> str:
    code = result.get("code") or {}
    return f"{code.get('commit') or '?'} / {code.get('source_sha256') or '?'}"


def _i(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _targets(results: dict[float, dict[str, Any]]) -> list[str]:
    lines = [
        "## Targets (issue 7, at scale 20)",
        "",
        "| target | limit | measured | met |",
        "|---|---|---|---|",
    ]
    r20 = results.get(TARGET_SCALE)
    for key, what, limit, op, unit in TARGETS:
        value = r20["summary"].get(key) if r20 else None
        met = (
            "–"
            if value is None
            else ("yes" if (value <= limit if op == "<=" else value >= limit) else "**no**")
        )
        lines.append(
            f"| {what} | {op} {limit:g} {unit} | {_f(value, 2)} {unit if value is not None else ''} | {met} |"
        )
    r5 = results.get(5.0)
    ratio = _ratio(r20["summary"]["total_s"], r5["summary"]["total_s"]) if r20 and r5 else None
    what, limit = SCALING_TARGET
    met = "–" if ratio is None else ("yes" if ratio <= limit else "**no**")
    lines += [f"| {what} | <= {limit:g} | {_f(ratio, 2)} | {met} |", ""]
    return lines


def _floor_table(results: dict[float, dict[str, Any]]) -> list[str]:
    lines = [
        "## Floor by file kind",
        "",
        "| scale | kind | files | rows | MiB | s |",
        "|---|---|---|---|---|---|",
    ]
    for scale, r in results.items():
        floor = next((f for f in r.get("floors") or [] if f.get("by_kind")), None)
        for kind, k in sorted((floor or {}).get("by_kind", {}).items()):
            lines.append(
                f"| {scale:g} | {kind} | {k['files']:,} | {k['rows']:,} | {k['bytes'] / 2**20:,.1f} | {_f(k['seconds'], 2)} |"
            )
    return [*lines, ""]


def _baseline_table(results: dict[float, dict[str, Any]]) -> list[str]:
    lines = [
        "## Baseline (GE on pandas) by dataset",
        "",
        "| scale | dataset | rows | columns | expectations | GE-inexpressible rules | load s | GE validate s | peak RSS GiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for scale, r in results.items():
        base = r.get("baseline") or {}
        if base.get("error"):
            lines.append(f"| {scale:g} | – | baseline failed: {base['error']} | | | | | | |")
        for ds, d in (base.get("datasets") or {}).items():
            lines.append(
                f"| {scale:g} | {ds} | {d['rows']:,} | {d['columns']} | {d['expectations']} | {len(d['unsupported_rules'])} "
                f"| {_f(d['load_s'], 2)} | {_f(d['validate_s'], 2)} | {_f(d['peak_rss_bytes'] / GIB, 2)} |"
            )
        if base.get("import_s") is not None:
            lines.append(
                f"| {scale:g} | (import great_expectations) | | | | | | {_f(base['import_s'], 2)} | |"
            )
    return [*lines, ""]


def _slowest_steps(results: dict[float, dict[str, Any]], n: int = 12) -> list[str]:
    lines = [
        "## Slowest steps (median full run of each scale)",
        "",
        "| scale | step | stage | s | CPU s |",
        "|---|---|---|---|---|",
    ]
    for scale, r in results.items():
        run = _median_run(r.get("full_runs") or []) or {}
        for s in sorted(run.get("steps") or [], key=lambda s: -s["seconds"])[:n]:
            lines.append(
                f"| {scale:g} | `{s['step']}` | {s.get('group')} | {_f(s['seconds'], 2)} | {_f(s.get('cpu_s'), 2)} |"
            )
    return [*lines, ""]


def _sql_profile(results: dict[float, dict[str, Any]], n: int = 15) -> list[str]:
    lines: list[str] = []
    for scale, r in results.items():
        run = _median_run(r.get("full_runs") or []) or {}
        prof = run.get("sql_profile")
        if not prof:
            continue
        if not lines:
            lines = [
                "## Slowest SQL statements (`--profile-sql`)",
                "",
                "| scale | SQL file | statement | calls | s |",
                "|---|---|---|---|---|",
            ]
        for p in prof[:n]:
            stmt = p["statement"].replace("|", "\\|")[:90]
            lines.append(f"| {scale:g} | `{p['sql']}` | `{stmt}` | {p['calls']} | {_f(p['seconds'], 2)} |")
    return [*lines, ""] if lines else []
