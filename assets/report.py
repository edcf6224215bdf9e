"""The release report: one static, internal HTML page per published release.

Data engineers and the credit office read it to see what a release changed before anybody
asks: the tier mix by district and sector (with a chart), who entered or left the red and
black lists and why, and how much of each dataset's delivery went to quarantine. It names
merchants and rule failures, so it is written under the internal reports folder, never under
the publish folder that outside sites read.

The chart carries Chinese labels: matplotlib needs a CJK font installed on the machine
(Debian `fonts-noto-cjk` or `fonts-wqy-microhei`), or every label renders as empty boxes;
without one, the report fails with a message that says what to install.
"""

import base64
import html
import io
import json
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from assets.partitions import as_of, as_of_partitions
from assets.resources import LocationsResource, WarehouseResource
from warehouse.db import query
from warehouse.release import MANIFEST, RELEASE_ID, read_latest, release_ids

# Transient trouble (the warehouse lock held past its deadline by a stuck process, a full or
# flaky disk) is worth two more attempts; a data or code error is not, and is raised as
# `dg.Failure(allow_retries=False)` where the asset can tell.
TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

TIERS = ("A", "B", "C", "D")
TIER_COLOURS = {"A": "#2e7d32", "B": "#1565c0", "C": "#ef6c00", "D": "#c62828"}
TIER_LABELS = {"A": "A 守信", "B": "B 一般", "C": "C 较高风险", "D": "D 失信"}
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
    "Noto Sans CJK JP",
)
CJK_FONT_GLOBS = ("**/NotoSansCJK*.ttc", "**/NotoSansSC*.otf", "**/wqy-microhei*.tt*", "**/wqy-zenhei*.tt*")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts")
CHART_SECTORS = 12  # the largest sectors drawn; the tables list every one
CHANGES_SHOWN = 300  # list changes listed per list and event; the counts cover all
RULES_SHOWN = 30


class MissingCJKFont(RuntimeError):
    """No font on the machine can draw Chinese; charts would show empty boxes."""


# ---------------------------------------------------------------------------------------------
# facts from the warehouse


def tier_mix(con: duckdb.DuckDBPyConnection, as_of_date: date) -> list[dict[str, Any]]:
    """Merchants by tier per district and per sector (rows with `dimension` 'district'/'sector')."""
    return query(con, "report/tier_mix", {"as_of": as_of_date})


@dataclass(frozen=True)
class ListChanges:
    """The list entries and exits at T: all counted, the first CHANGES_SHOWN of each shown."""

    rows: list[dict[str, Any]]  # report order: black first, entries before exits, by USCC
    counts: dict[str, int]  # {"black entered": n, "black left": n, "red entered": n, "red left": n}

    @property
    def previous_as_of(self) -> date | None:
        return next((c["previous_as_of"] for c in self.rows if c["previous_as_of"]), None)

    def of(self, lst: str, event: str) -> list[dict[str, Any]]:
        return [c for c in self.rows if c["list"] == lst and c["event"] == event]


def list_changes(con: duckdb.DuckDBPyConnection, as_of_date: date) -> ListChanges:
    rows = query(con, "report/list_changes", {"as_of": as_of_date, "limit": CHANGES_SHOWN})
    counts = {f"{lst} {ev}": 0 for lst in ("black", "red") for ev in ("entered", "left")}
    for c in rows:
        counts[f"{c['list']} {c['event']}"] = c["total"]
    return ListChanges(rows, counts)


@dataclass(frozen=True)
class ReportFacts:
    release_id: str
    release_dir: Path
    manifest: dict[str, Any]
    is_latest: bool
    tier_mix: list[dict[str, Any]]
    changes: ListChanges
    quarantine: list[dict[str, Any]]
    rules: list[dict[str, Any]]

    def dimension(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.tier_mix if r["dimension"] == name]


def gather(con: duckdb.DuckDBPyConnection, release_dir: Path, publish_dir: Path) -> ReportFacts:
    manifest = json.loads((release_dir / MANIFEST).read_text(encoding="utf-8"))
    t = date.fromisoformat(manifest["as_of"])
    latest = read_latest(publish_dir) or {}
    return ReportFacts(
        release_id=release_dir.name,
        release_dir=release_dir,
        manifest=manifest,
        is_latest=latest.get("release_id", Path(latest.get("release", "")).name) == release_dir.name,
        tier_mix=tier_mix(con, t),
        changes=list_changes(con, t),
        quarantine=query(con, "report/quarantine_by_dataset", {"as_of": t}),
        rules=query(con, "report/quarantine_rules", {"as_of": t, "limit": RULES_SHOWN}),
    )


# ---------------------------------------------------------------------------------------------
# the chart


def cjk_font_family() -> str:
    """The name of an installed font family that draws Chinese, registering font files if needed.

    matplotlib caches its font list when first imported; a font installed after that (or a
    cache built before the font) is found by looking in the system font folders directly.
    """
    from matplotlib import font_manager

    def installed() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    family = installed()
    if family:
        return family
    for folder in FONT_DIRS:
        if folder.is_dir():
            for pattern in CJK_FONT_GLOBS:
                for path in sorted(folder.glob(pattern)):
                    font_manager.fontManager.addfont(str(path))
    family = installed()
    if family:
        return family
    raise MissingCJKFont(
        "no CJK font is installed, so Chinese chart labels would render as empty boxes; install one "
        "(Debian: apt-get install -y fonts-noto-cjk) and run the report again"
    )


def tier_mix_png(rows: Sequence[Mapping[str, Any]], as_of_date: date) -> bytes:
    """A PNG of stacked bars: tiers per district (left) and per largest sector (right)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    family = cjk_font_family()
    districts = [r for r in rows if r["dimension"] == "district"]
    sectors = [r for r in rows if r["dimension"] == "sector"][:CHART_SECTORS]
    with rc_context(
        {"font.family": "sans-serif", "font.sans-serif": [family, "DejaVu Sans"], "axes.unicode_minus": False}
    ):
        fig = Figure(figsize=(11, max(4.0, 0.32 * max(len(districts), len(sectors), 1) + 1.6)), dpi=90)
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, 2)
        for ax, data, title in (
            (axes[0], districts, "按行政区划 by district"),
            (axes[1], sectors, f"按行业（前 {CHART_SECTORS}）by sector (largest {CHART_SECTORS})"),
        ):
            labels = [str(r["key"]) for r in data][::-1]
            left = [0] * len(data)
            for tier in TIERS:
                values = [int(r[tier.lower()]) for r in data][::-1]
                ax.barh(labels, values, left=left, color=TIER_COLOURS[tier], label=TIER_LABELS[tier])
                left = [a + b for a, b in zip(left, values, strict=True)]
            ax.set_title(title, fontsize=11)
            ax.set_xlabel("商户数 merchants")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.tick_params(axis="y", labelsize=8)
            if not data:
                ax.text(0.5, 0.5, "无数据 no data", ha="center", va="center", transform=ax.transAxes)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(TIERS), fontsize=9, frameon=False)
        fig.suptitle(f"信用等级分布 Tier mix as of {as_of_date.isoformat()}", fontsize=13)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# ---------------------------------------------------------------------------------------------
# markdown for Dagster metadata


def tier_mix_markdown(rows: Sequence[Mapping[str, Any]], dimension: str, limit: int | None = None) -> str:
    data = [r for r in rows if r["dimension"] == dimension]
    if not data:
        return "no merchants evaluated"
    shown = data[:limit] if limit else data
    head = f"| {dimension} | A | B | C | D | merchants | red list | black list |\n|---|---|---|---|---|---|---|---|\n"
    body = "\n".join(
        f"| {r['key']} | {r['a']} | {r['b']} | {r['c']} | {r['d']} | {r['merchants']} | {r['red_list']} | {r['black_list']} |"
        for r in shown
    )
    more = f"\n\n… and {len(data) - len(shown)} more" if len(shown) < len(data) else ""
    return head + body + more


def changes_markdown(changes: ListChanges, limit: int = 50) -> str:
    total = sum(changes.counts.values())
    if not total:
        return "no entries or exits"
    head = "| list | event | USCC | name | reasons |\n|---|---|---|---|---|\n"
    body = "\n".join(
        f"| {c['list']} | {c['event']} | {c['uscc']} | {_md_cell(c['name'])} | {_md_cell(', '.join(c['reason_codes']))} |"
        for c in changes.rows[:limit]
    )
    more = f"\n\n… and {total - limit} more" if total > limit else ""
    return head + body + more


def _md_cell(value: Any) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def chart_markdown(png: bytes, alt: str) -> str:
    """An image embedded in markdown metadata, so the chart shows in the UI with no file server."""
    return f"![{alt}]({png_data_uri(png)})"


# ---------------------------------------------------------------------------------------------
# the page


_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
.note{color:#666;font-size:.9em}.warn{color:#b71c1c}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_e(v)}</td>' if i in numeric else f"<td>{_e(v)}</td>" for i, v in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def render_html(facts: ReportFacts, chart_png: bytes, generated: datetime) -> str:
    m = facts.manifest
    mix_headers = ["A", "B", "C", "D", "商户 merchants", "红名单 red", "黑名单 black"]
    sections = [
        f"<h1>发布报告 Release report {_e(facts.release_id)}</h1>",
        "<p>"
        f"评价日 as of <b>{_e(m['as_of'])}</b> · 政策版本 policy <b>{_e(m.get('policy_version'))}</b> · "
        f"运行 run <code>{_e(m.get('run_id'))}</code> · 生成于 built {_e(m.get('created_at'))}"
        "</p>",
        "<p>"
        + (
            "当前对外发布版本（latest.json 指向本版本）。This release is the one latest.json names."
            if facts.is_latest
            else '<span class="warn">latest.json 未指向本版本（回补的较早日期或已被更新版本取代）。'
            "latest.json does not name this release (an older date backfilled, or superseded).</span>"
        )
        + "</p>",
        f'<p class="note">内部文件，勿对外发布：含商户名单变动与隔离规则明细。Internal: not for publication. '
        f"Release folder: <code>{_e(facts.release_dir)}</code></p>",
        "<h2>发布文件 Files</h2>",
        _table(
            ["文件 file", "行数 rows", "字节 bytes", "契约 contract", "sha256"],
            (
                [
                    name,
                    f"{f['rows']:,}",
                    f"{f['bytes']:,}",
                    f"{f['contract_id']} {f['contract_version']}",
                    f["sha256"],
                ]
                for name, f in sorted(m["files"].items())
            ),
            numeric={1, 2},
        ),
        "<h2>信用等级分布 Tier mix</h2>",
        f'<img alt="信用等级分布 tier mix" src="{png_data_uri(chart_png)}" style="max-width:100%">',
    ]
    for dimension, title in (
        ("district", "按行政区划 By district"),
        ("sector", "按行业 By sector (行业代码)"),
    ):
        data = facts.dimension(dimension)
        sections.append(f"<h3>{_e(title)}</h3>")
        sections.append(
            _table(
                [dimension, *mix_headers],
                (
                    [r["key"], r["a"], r["b"], r["c"], r["d"], r["merchants"], r["red_list"], r["black_list"]]
                    for r in data
                ),
                numeric=set(range(1, 8)),
            )
            if data
            else "<p>无 none</p>"
        )
    counts = facts.changes.counts
    previous = facts.changes.previous_as_of
    sections += [
        "<h2>名单变动 List changes</h2>",
        "<p>"
        + (
            f"与上一评价日 {_e(previous)} 相比。Against the previous evaluation, {_e(previous)}."
            if previous
            else ""
        )
        + f" 黑名单 black list: +{counts['black entered']} / −{counts['black left']} · "
        f"红名单 red list: +{counts['red entered']} / −{counts['red left']}</p>",
    ]
    for lst, list_title in (("black", "失信黑名单 Black list"), ("red", "诚信红名单 Red list")):
        for event, event_title in (("entered", "列入 entries"), ("left", "移出 exits")):
            rows = facts.changes.of(lst, event)
            total = facts.changes.counts[f"{lst} {event}"]
            sections.append(f"<h3>{_e(list_title)} · {_e(event_title)} ({total})</h3>")
            if not rows:
                sections.append("<p>无 none</p>")
                continue
            sections.append(
                _table(
                    ["统一社会信用代码 USCC", "名称 name", "原因代码 codes", "原因 reason"],
                    (
                        [c["uscc"], c["name"], ", ".join(c["reason_codes"]), c["reason_text"]]
                        for c in rows[:CHANGES_SHOWN]
                    ),
                )
            )
            if total > CHANGES_SHOWN:
                sections.append(
                    f'<p class="note">仅列出前 {CHANGES_SHOWN} 条 first {CHANGES_SHOWN} of {total}; '
                    "the rest are in list_history.</p>"
                )
    sections += [
        "<h2>隔离率 Quarantine by dataset</h2>",
        f'<p class="note">本期：评价日 {_e(m["as_of"])} 的运行首次入库的文件；累计：至今全部文件。'
        "This date: files first ingested by the runs for this date; to date: every file so far.</p>",
        _table(
            [
                "数据集 dataset",
                "文件 files",
                "拒收 refused",
                "整批隔离 held",
                "重复 duplicate",
                "读入行 rows read",
                "隔离行 quarantined",
                "隔离率 rate",
                "累计文件 files to date",
                "累计读入 rows to date",
                "累计隔离 quarantined to date",
                "累计隔离率 rate to date",
            ],
            (
                [
                    q["dataset"],
                    q["files"],
                    q["refused_files"],
                    q["held_files"],
                    q["duplicate_files"],
                    f"{q['rows_read']:,}",
                    f"{q['rows_quarantined']:,}",
                    _rate(q["quarantine_rate"]),
                    q["files_to_date"],
                    f"{q['rows_read_to_date']:,}",
                    f"{q['rows_quarantined_to_date']:,}",
                    _rate(q["quarantine_rate_to_date"]),
                ]
                for q in facts.quarantine
            ),
            numeric=set(range(1, 12)),
        )
        if facts.quarantine
        else "<p>无入库记录 no file ingested yet</p>",
        "<h3>隔离规则 Rules that quarantined rows (this date)</h3>",
        _table(
            ["数据集 dataset", "规则 rule", "行 rows", "文件 files", "最多出现于 most in"],
            ([r["dataset"], r["rule"], f"{r['rows']:,}", r["files"], r["most_in"]] for r in facts.rules),
            numeric={2, 3},
        )
        if facts.rules
        else "<p>本期无隔离行 no row quarantined in this date's files</p>",
        f'<p class="note">报告生成 report generated {_e(generated.strftime("%Y-%m-%dT%H:%M:%SZ"))}</p>',
    ]
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>发布报告 {_e(facts.release_id)}</title><style>{_CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


# ---------------------------------------------------------------------------------------------
# where things are


def report_path(reports_dir: Path, release_id: str) -> Path:
    """Where the report of a release is written: internal, next to the other reports."""
    return Path(reports_dir) / "releases" / f"{release_id}.html"


def find_release(publish_dir: Path, run_id: str, as_of_date: date) -> Path | None:
    """The release this run published, else the newest release of the same date."""
    releases = Path(publish_dir) / "releases"
    same_date = [
        rid for rid in release_ids(publish_dir) if RELEASE_ID.match(rid).group(1) == as_of_date.isoformat()
    ]
    for rid in reversed(same_date):
        manifest = json.loads((releases / rid / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("run_id") == run_id:
            return releases / rid
    return releases / same_date[-1] if same_date else None


def write_report(path: Path, text: str) -> None:
    """Temp file and rename: a reader never sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# the asset


@dg.asset(
    group_name="publish",
    deps=["release_published"],
    partitions_def=as_of_partitions,
    kinds={"html", "duckdb"},
    owners=["team:data-engineering", "team:credit-supervision"],
    retry_policy=TRANSIENT_RETRY,
    description=(
        "发布报告（内部）：每个发布版本一页静态 HTML——按行政区划与行业的信用等级分布（含图表）、"
        "红黑名单列入与移出及原因、各数据集隔离率与隔离规则；写入内部报告目录，不对外发布。\n\n"
        "Release report (internal): one static HTML page per release with the tier mix by district and "
        "sector (chart included), entries to and exits from both lists with reasons, and quarantine rates "
        "per dataset with the rules behind them. Written under the reports folder "
        "(`releases/<release id>.html`), never under the publish folder."
    ),
)
def release_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, locations: LocationsResource
) -> dg.MaterializeResult:
    t = as_of(context)
    release_dir = find_release(locations.publish, context.run_id, t)
    if release_dir is None:
        raise dg.Failure(
            description=(
                f"no published release of {t} under {locations.publish / 'releases'}: materialize "
                f"release_published for {t} first (or run credit_job for that date)"
            ),
            allow_retries=False,
        )
    with warehouse.connect() as con:
        facts = gather(con, release_dir, locations.publish)
    try:
        png = tier_mix_png(facts.tier_mix, t)
    except MissingCJKFont as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    path = report_path(locations.reports, facts.release_id)
    write_report(path, render_html(facts, png, datetime.now(UTC)))
    counts = facts.changes.counts
    context.log.info(f"release report of {facts.release_id} written to {path}")
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.url(path.resolve().as_uri()),
            "report_path": dg.MetadataValue.path(str(path.resolve())),
            "release_id": facts.release_id,
            "is_latest": facts.is_latest,
            "list_changes": dg.MetadataValue.json(counts),
            "quarantine_rate": dg.MetadataValue.json(
                {q["dataset"]: round(q["quarantine_rate"] or 0.0, 4) for q in facts.quarantine}
            ),
            "tier_mix_chart": dg.MetadataValue.md(chart_markdown(png, f"tier mix {t}")),
        }
    )
