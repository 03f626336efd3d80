"""One HTML audit for every page test: what a browser would find in the markup.

`audit_html(text)` parses a page once and keeps what the page tests look at: the tags
seen, every attribute name, the scripts (their `src`, whether they are inline, their
text), inline event handlers, the links, and injections (an `<img src=x>` or a
`javascript:` URL in any attribute).
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

Attrs = dict[str, str | None]
DATA_BLOCK = "application/json"  # <script type=...> holding data, which a browser never runs


class HtmlAudit(HTMLParser):
    """Collects, for one page, everything the page tests assert about its markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()  # every start tag seen, by name
        self.attribute_names: set[str] = set()
        self.scripts: list[Attrs] = []  # the attributes of every <script>
        self.script_srcs: list[str] = []
        self.inline_scripts: list[str] = []  # "(line, column)" of every runnable inline <script>
        self.script_text: list[str] = []  # text inside <script> elements
        self.handlers: list[tuple[str, str]] = []  # (tag, on* attribute)
        self.injected: list[str] = []  # img[src=x] and tag[attr=javascript:]
        self.links: list[str] = []  # href of every <a>
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        self.tags[tag] += 1
        self.attribute_names.update(name for name, _ in attrs)
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append((tag, name))
            if value and value.strip().lower().startswith("javascript:"):
                self.injected.append(f"{tag}[{name}=javascript:]")
        if tag == "script":
            self.scripts.append(names)
            self._in_script = True
            src = names.get("src")
            if src:
                self.script_srcs.append(src)
            elif names.get("type") != DATA_BLOCK:  # a JSON data block is never run
                self.inline_scripts.append(repr(self.getpos()))
        if tag == "img" and names.get("src") == "x":
            self.injected.append("img[src=x]")
        if tag == "a" and names.get("href"):
            self.links.append(str(names["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text.append(data)


def audit_html(text: str) -> HtmlAudit:
    """The audit of one page's markup."""
    parser = HtmlAudit()
    parser.feed(text)
    parser.close()
    return parser
