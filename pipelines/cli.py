"""`credit-lists`: make sample data, or run the whole asset graph for one evaluation date.

`run` goes through Dagster in-process (the same job the UI, the schedule and the sensor run),
so there is no second code path to drift from the first.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path

from assets.partitions import today_in_city


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="credit-lists", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="write a deterministic, realistic landing tree")
    s.add_argument("--out", type=Path, default=Path(os.environ.get("CREDIT_LANDING_DIR", "data/landing")))
    s.add_argument("--scale", type=float, default=0.1, help="x 100,000 merchants (default 0.1)")
    s.add_argument("--seed", type=int, default=20261125)
    s.add_argument("--as-of", type=_date, default=date(2026, 11, 25))

    r = sub.add_parser("run", help="materialize the whole asset graph for one evaluation date")
    r.add_argument("--landing", type=Path, default=Path(os.environ.get("CREDIT_LANDING_DIR", "data/landing")))
    r.add_argument(
        "--warehouse", type=Path, default=Path(os.environ.get("CREDIT_WAREHOUSE", "data/warehouse.duckdb"))
    )
    r.add_argument("--publish", type=Path, default=Path(os.environ.get("CREDIT_PUBLISH_DIR", "data/publish")))
    r.add_argument(
        "--as-of", type=_date, default=None, help="evaluation date T (default: yesterday in Asia/Shanghai)"
    )

    d = sub.add_parser("demo", help="generate the sample (if absent) and run it: the README's first command")
    d.add_argument("--data", type=Path, default=Path("data"))
    d.add_argument("--scale", type=float, default=0.1)
    return p


def cmd_sample(out: Path, scale: float, seed: int, as_of: date) -> int:
    from sample_data import generate

    summary = generate(out, scale=scale, seed=seed, as_of=as_of)
    print(f"sample landing tree written to {out} (scale {scale}, seed {seed}, as of {as_of})")
    for key, value in summary.items():
        print(f"  {key}: {value}")
    return 0


def cmd_run(landing: Path, warehouse: Path, publish: Path, as_of: date) -> int:
    os.environ["CREDIT_LANDING_DIR"] = str(landing)
    os.environ["CREDIT_WAREHOUSE"] = str(warehouse)
    os.environ["CREDIT_PUBLISH_DIR"] = str(publish)
    os.environ.setdefault("CREDIT_REPORTS_DIR", str(warehouse.parent / "reports"))
    if not landing.is_dir():
        print(
            f"credit-lists: landing folder {landing} does not exist; create it or run `credit-lists sample`",
            file=sys.stderr,
        )
        return 2

    from pipelines.run import run_partition

    outcome = run_partition(as_of)
    # The run leaves a large object graph (Dagster, Great Expectations) that the interpreter
    # would collect once more at exit, ~1.7 s measured; frozen objects are skipped.
    gc.freeze()
    if not outcome.success:
        what = "after publishing its release" if outcome.published else "nothing published"
        print(f"credit-lists: run for {as_of} failed, {what}: {outcome.reason}", file=sys.stderr)
        latest = publish / "latest.json"
        if latest.exists():
            print(
                f"credit-lists: latest release unchanged: {json.loads(latest.read_text())['release']}",
                file=sys.stderr,
            )
        return 1
    print(outcome.summary)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sample":
        return cmd_sample(args.out, args.scale, args.seed, args.as_of)
    if args.command == "run":
        as_of = args.as_of or (today_in_city() - timedelta(days=1))
        return cmd_run(args.landing, args.warehouse, args.publish, as_of)
    if args.command == "demo":
        landing = args.data / "landing"
        if not landing.exists():
            cmd_sample(landing, args.scale, 20261125, date(2026, 11, 25))
        return cmd_run(landing, args.data / "warehouse.duckdb", args.data / "publish", date(2026, 11, 25))
    return 2


if __name__ == "__main__":
    sys.exit(main())
