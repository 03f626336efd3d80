"""The status snapshot as one self-contained HTML document: inline CSS, no script."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from peakwatch.web.templating import ENVIRONMENT

MAX_NESTED_ROWS = 20


def details_table(details: Any) -> Markup:
    """A nested key/value table of panel details, every value escaped."""
    return Markup(_value(details, depth=0))


def _value(value: Any, depth: int) -> str:
    if isinstance(value, dict):
        if not value:
            return "<span>–</span>"
        rows = "".join(
            f'<tr><th scope="row">{escape(key)}</th><td>{_value(item, depth + 1)}</td></tr>'
            for key, item in sorted(value.items())
        )
        return f"<table>{rows}</table>"
    if isinstance(value, list):
        if not value:
            return "<span>none</span>"
        shown = value[:MAX_NESTED_ROWS]
        items = "".join(f"<div>{_value(item, depth + 1)}</div>" for item in shown)
        more = len(value) - len(shown)
        return items + (f"<div>… and {more} more</div>" if more > 0 else "")
    if value is None:
        return "<span>–</span>"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(escape(f"{value:.8g}"))
    return str(escape(str(value)))


SCORECARD_COLUMNS = (
    "run",
    "decisions",
    "closed (W/L/F)",
    "hit rate",
    "avg win / loss",
    "profit factor",
    "PnL (per decision)",
    "blocked",
    "rejected",
    "latency p50/p95 ms",
    "first fill p50/p95 ms",
    "calibration: count, hit rate per confidence bin",
    "Brier",
)


def _number(value: Any, percent: bool = False) -> str:
    """A figure as the snapshot shows it: 8 significant digits, a share as a percentage."""
    if value is None:
        return "–"
    if percent:
        return f"{value * 100:.4g} %"
    return f"{value:.8g}" if isinstance(value, float) else str(value)


def _scorecard_cells(card: dict[str, Any]) -> list[str]:
    """One run's scorecard as the text of its table cells, in SCORECARD_COLUMNS order."""
    named = " · ".join(str(part) for part in (card["strategy"], card["symbol"]) if part)
    last = len(card["calibration"]) - 1
    bins = "; ".join(
        f"[{b['lo']:g}, {b['hi']:g}{']' if index == last else ')'}: {b['count']}, "
        f"{_number(b['hit_rate'], True)}"
        for index, b in enumerate(card["calibration"])
    )
    latency, fill = card["latency_ms"], card["first_fill_delay_ms"]
    return [
        f"{card['run_id']} ({named})" if named else str(card["run_id"]),
        str(card["decisions"]),
        f"{card['closed']} ({card['wins']}/{card['losses']}/{card['flats']})",
        _number(card["hit_rate"], True),
        f"{_number(card['avg_win'])} / {_number(card['avg_loss'])}",
        _number(card["profit_factor"]),
        f"{_number(card['pnl_total'])} ({_number(card['pnl_per_decision'])})",
        _number(card["blocked_share"], True),
        _number(card["rejected_share"], True),
        f"{_number(latency['p50'])} / {_number(latency['p95'])}",
        f"{_number(fill['p50'])} / {_number(fill['p95'])}",
        bins,
        _number(card["brier"]),
    ]


def scorecard_table(details: dict[str, Any]) -> Markup:
    """The AI scorecards panel: one row per run, every value escaped."""
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name in SCORECARD_COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in _scorecard_cells(card)) + "</tr>"
        for card in details["runs"]
    )
    summary = (
        f"<p>{details['runs_shown']} of {details['runs_total']} runs (the most recently "
        f"active), {details['decisions']} decisions.</p>"
    )
    table = f'<table class="cards"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    return Markup(summary + (table if details["runs"] else ""))


def render_snapshot_html(snapshot: dict[str, Any]) -> bytes:
    """Deterministic bytes: the same snapshot always renders the same document."""
    template = ENVIRONMENT.get_template("snapshot.html")
    html = template.render(
        snapshot=snapshot, details_table=details_table, scorecard_table=scorecard_table
    )
    return html.encode("utf-8")
