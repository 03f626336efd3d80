"""The browser code is a few small ES modules with one job each, served as JavaScript.

Every module under static/js is served 200 with a JavaScript type, opens with a comment
saying its job, stays under 300 lines, imports only sibling modules that exist and names
only what they export, and is reachable from the entry module; no template loads the old
single script; nothing is fetched from another origin. The stylesheet stays one file (one
request, no @import) whose table of contents matches its numbered section headers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import peakwatch.web

WEB = Path(peakwatch.web.__file__).resolve().parent
STATIC = WEB / "static"
JS = STATIC / "js"
TEMPLATES = WEB / "templates"
ENTRY = "main.js"
MAX_LINES = 300

# `import { a, b } from "./x.js";` or `import "./x.js";`
IMPORT = re.compile(
    r"^\s*import\s+(?:\{(?P<names>[^}]*)\}\s+from\s+)?[\"'](?P<spec>[^\"']+)[\"']\s*;", re.M
)
EXPORT = re.compile(
    r"^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+(?P<name>[A-Za-z_$][\w$]*)",
    re.M,
)
ANY_IMPORT = re.compile(r"^\s*import\b", re.M)

MODULES = sorted(JS.glob("*.js"))


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(specifier, imported names) of every static import of a module."""
    found = []
    for match in IMPORT.finditer(text(path)):
        names = [n.strip() for n in (match.group("names") or "").split(",") if n.strip()]
        found.append((match.group("spec"), names))
    return found


def exports(path: Path) -> set[str]:
    return {match.group("name") for match in EXPORT.finditer(text(path))}


def test_the_modules_exist_and_the_entry_is_one_of_them() -> None:
    names = [path.name for path in MODULES]
    assert ENTRY in names
    assert len(names) >= 5, names
    assert not (STATIC / "live.js").exists(), "the single live script is gone"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_each_module_is_small_and_opens_with_a_comment_saying_its_job(path: Path) -> None:
    source = text(path)
    lines = source.splitlines()
    assert len(lines) <= MAX_LINES, f"{path.name} has {len(lines)} lines"
    assert lines[0].startswith("/* peakwatch "), f"{path.name} must open with its job"
    assert "*/" in "\n".join(lines[:3]), f"{path.name}: the opening comment is one or two lines"
    assert "innerHTML" not in source and "outerHTML" not in source, path.name
    assert "eval(" not in source and "new Function" not in source, path.name


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_every_import_resolves_to_a_sibling_module_that_exports_the_name(path: Path) -> None:
    source = text(path)
    # every import statement is one the pattern understands (no dynamic or bare imports)
    assert len(ANY_IMPORT.findall(source)) == len(imports(path)), path.name
    assert "import(" not in source and "require(" not in source, path.name
    for spec, names in imports(path):
        assert not re.match(r"^[a-z]+:", spec) and not spec.startswith("//"), (path.name, spec)
        assert spec.startswith("./") and spec.endswith(".js"), (path.name, spec)
        target = (path.parent / spec).resolve()
        assert target.parent == JS and target.is_file(), (path.name, spec)
        missing = set(names) - exports(target)
        assert not missing, f"{path.name} imports {sorted(missing)} that {spec} does not export"


def test_every_module_is_reachable_from_the_entry() -> None:
    reached: set[str] = set()
    todo = [ENTRY]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        todo.extend(Path(spec).name for spec, _ in imports(JS / name))
    assert reached == {path.name for path in MODULES}


def test_no_module_or_template_reaches_another_origin() -> None:
    for path in [*MODULES, STATIC / "theme.js"]:
        assert "http://" not in text(path) and "https://" not in text(path), path.name


def test_templates_load_the_entry_module_and_never_the_old_script() -> None:
    loaders = []
    for path in sorted(TEMPLATES.glob("*.html")):
        source = text(path)
        assert "live.js" not in source, path.name
        for tag in re.findall(r"<script\b[^>]*>", source):
            if 'type="application/json"' in tag:  # a report's data block: never run
                continue
            loaders.append(path.name)
            assert 'src="/static/' in tag, (path.name, tag)
            if ENTRY in tag:
                assert 'type="module"' in tag, (path.name, tag)
    assert loaders.count("base.html") == 2  # theme.js, then the entry module


def test_pages_load_the_entry_module(client: TestClient) -> None:
    html = client.get("/").text
    assert f'<script type="module" src="/static/js/{ENTRY}"></script>' in html
    assert "live.js" not in html


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_each_module_is_served_as_javascript(client: TestClient, path: Path) -> None:
    response = client.get(f"/static/js/{path.name}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0].strip() == "text/javascript"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.text == text(path)


def test_the_policy_allows_same_origin_module_scripts_only(client: TestClient) -> None:
    policy = client.get("/").headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert client.get("/static/live.js").status_code == 404


# -- the stylesheet --------------------------------------------------------------------------

CSS = STATIC / "app.css"
TOC_ENTRY = re.compile(r"^ \* +(?P<n>\d+)\. (?P<name>[^:\n]+):", re.M)
SECTION = re.compile(r"^/\* == (?P<n>\d+)\. (?P<name>.+?) =+ \*/$", re.M)


def numbered(matches: list[re.Match[str]]) -> list[tuple[int, str]]:
    return [(int(m.group("n")), m.group("name")) for m in matches]


def test_the_stylesheet_is_one_file_whose_contents_match_its_sections() -> None:
    source = text(CSS)
    assert "@import" not in source  # one request, and nothing a page must chain-load
    toc_end = source.index("*/")
    toc = numbered(list(TOC_ENTRY.finditer(source[:toc_end])))
    sections = numbered(list(SECTION.finditer(source)))
    assert len(toc) >= 8, toc
    assert [n for n, _ in toc] == list(range(1, len(toc) + 1)), "numbered 1, 2, 3, ..."
    assert sections == toc, "every section header matches its line in the contents, in order"
    assert SECTION.search(source).start() > toc_end  # the first rule comes after the contents
    first_rule = re.search(r"^[^\s/*@][^{]*\{|^@", source[toc_end:], re.M)
    assert first_rule and first_rule.start() > SECTION.search(source[toc_end:]).start()


def test_the_stylesheet_is_served_as_css_and_fetches_nothing(client: TestClient) -> None:
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0].strip() == "text/css"
    assert "url(" not in response.text and "http" not in response.text
