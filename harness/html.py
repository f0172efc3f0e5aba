"""``report.html``: one self-contained page with plots and the findings table.

Plots are inline SVG drawn here, so the file opens anywhere, offline, and can
be attached to a ticket as it is.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from harness.report import RunResult

_WIDTH, _HEIGHT, _PAD = 640, 220, 36
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c")


def _scale(values: list[float], size: float, offset: float) -> list[float]:
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    span = (high - low) or 1.0
    return [offset + (value - low) / span * size for value in values]


def line_chart(title: str, series: dict[str, list[tuple[float, float]]]) -> str:
    """Lines of (x, y) points, sharing axes; x is seconds since the start."""
    xs = [x for points in series.values() for x, _ in points] or [0.0, 1.0]
    ys = [y for points in series.values() for _, y in points] or [0.0, 1.0]
    x_low, x_high = min(xs), max(xs) or 1.0
    y_high = max(ys) or 1.0
    inner_w, inner_h = _WIDTH - 2 * _PAD, _HEIGHT - 2 * _PAD
    parts = [_frame(title, f"{x_high - x_low:.0f} s", f"{y_high:.0f}")]
    for colour, (name, points) in zip(_COLOURS, series.items(), strict=False):
        if not points:
            continue
        coords = " ".join(
            f"{_PAD + (x - x_low) / ((x_high - x_low) or 1) * inner_w:.1f},"
            f"{_HEIGHT - _PAD - y / y_high * inner_h:.1f}"
            for x, y in points
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{coords}"/>'
        )
        index = list(series).index(name)
        parts.append(
            f'<text x="{_WIDTH - _PAD - 150}" y="{_PAD + 14 * index}" '
            f'fill="{colour}" font-size="12">{escape(name)}</text>'
        )
    return _svg(parts)


def histogram(title: str, values: list[float], bins: int = 20) -> str:
    if not values:
        return _svg([_frame(title, "no data", "0")])
    low, high = min(values), max(values)
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - low) / width))] += 1
    tallest = max(counts)
    inner_w, inner_h = _WIDTH - 2 * _PAD, _HEIGHT - 2 * _PAD
    bar = inner_w / bins
    parts = [_frame(title, f"{low:.0f}–{high:.0f} ms", str(tallest))]
    for index, count in enumerate(counts):
        height = count / tallest * inner_h
        parts.append(
            f'<rect x="{_PAD + index * bar:.1f}" y="{_HEIGHT - _PAD - height:.1f}" '
            f'width="{bar - 1:.1f}" height="{height:.1f}" fill="{_COLOURS[0]}"/>'
        )
    return _svg(parts)


def _frame(title: str, x_label: str, y_label: str) -> str:
    bottom = _HEIGHT - _PAD
    return (
        f'<text x="{_PAD}" y="20" font-size="14" font-weight="bold">'
        f"{escape(title)}</text>"
        f'<line x1="{_PAD}" y1="{bottom}" x2="{_WIDTH - _PAD}" y2="{bottom}" '
        f'stroke="#333"/><line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{bottom}" '
        f'stroke="#333"/><text x="{_WIDTH - _PAD - 80}" y="{bottom + 16}" '
        f'font-size="11">{escape(x_label)}</text><text x="2" y="{_PAD}" '
        f'font-size="11">{escape(y_label)}</text>'
    )


def _svg(parts: list[str]) -> str:
    body = "".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" '
        f'height="{_HEIGHT}">{body}</svg>'
    )


def write_html(result: RunResult, path: Path) -> None:
    data = result.to_dict()
    timeline = result.timeline
    status = "PASSED" if result.passed else "FAILED"
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(str(cell))}</td>"
            for cell in (
                f.kind,
                f.workflow,
                f.plant,
                f.reference,
                f.detail,
                " ".join(f.event_ids),
            )
        )
        + "</tr>"
        for f in result.verdict.findings[:2000]
    )
    checks = "".join(
        f"<tr><td>{escape(c.name)}</td><td>{'ok' if c.passed else 'FAIL'}</td>"
        f"<td>{escape(c.detail)}</td></tr>"
        for c in result.checks
    )
    plots = [
        line_chart(
            "Events sent and ERP postings (cumulative)",
            {
                "events sent": timeline.get("sent", []),
                "SAP postings": timeline.get("posted", []),
            },
        ),
        histogram("Latency plant → SAP (ms)", result.verdict.latencies_ms),
        line_chart(
            "Gateway queue depth", {"queue depth": timeline.get("queue_depth", [])}
        ),
    ]
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>PlantTwin: {escape(result.scenario.name)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; font-size: 13px; }}
.PASSED {{ color: #2a2; }} .FAILED {{ color: #c22; }}
</style></head><body>
<h1>{escape(result.scenario.name)}: <span class="{status}">{status}</span></h1>
<p>{escape(result.scenario.description)}</p>
<p>seed {data["seed"]}; events generated {data["events"]["generated"]},
accepted {data["events"]["accepted"]}, delivered {data["events"]["delivered"]};
latency p50 {data["latency_ms"]["p50"]} ms, p99 {data["latency_ms"]["p99"]} ms;
{data["throughput_eps"]} events/s</p>
<h2>Expectations</h2>
<table><tr><th>check</th><th>result</th><th>detail</th></tr>{checks}</table>
<h2>Plots</h2>
{"".join(plots)}
<h2>Findings ({len(result.verdict.findings)})</h2>
<table><tr><th>kind</th><th>workflow</th><th>plant</th><th>reference</th>
<th>detail</th><th>event ids</th></tr>{rows}</table>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
