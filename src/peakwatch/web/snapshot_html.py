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


def render_snapshot_html(snapshot: dict[str, Any]) -> bytes:
    """Deterministic bytes: the same snapshot always renders the same document."""
    template = ENVIRONMENT.get_template("snapshot.html")
    html = template.render(snapshot=snapshot, details_table=details_table)
    return html.encode("utf-8")
