"""Checks on the built book: the full-mode build that ``make book`` writes to ``_build/html``.

These tests build nothing (``make book`` does: every lecture executed in full mode,
``jupyter-book build -W``); ``make check-book`` runs them after it, and CI
(``.ci/run``) runs both.  They read

* the HTML pages in ``_build/html`` (or ``$DLPHYS_BOOK_HTML``);
* the executed notebooks in the build's execution cache (``_build/.jupyter_cache``),
  outputs on stderr included, which the pages leave out (``nb_output_stderr: remove``);
* the record ``.dlphys_execution.json`` that ``book/_ext/dlphys_execution_key.py``
  writes with the build: the mode and the ``dlphys`` sources every lecture was
  executed with.

Without a current full-mode build (none, one in fast mode, or one older than the
lectures or the ``dlphys`` sources) they fail when ``DLPHYS_STRICT=1`` (CI, ``make
check-book``) and are skipped, with a reason that says to run ``make book``,
otherwise.  They never pass without having checked a build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("DLPHYS_BOOK_HTML", REPO / "_build" / "html")).resolve()
CACHE = HTML.parent / ".jupyter_cache"
STRICT = os.environ.get("DLPHYS_STRICT", "") == "1"
LECTURES = sorted(p.stem for p in (REPO / "lectures").glob("[0-9]*.ipynb"))
EXERCISES = sorted(p.name for p in (REPO / "exercises").glob("[0-9]*") if p.is_dir())
DATASETS = sorted(p.stem for p in (REPO / "datasets").glob("*.md"))

sys.path.insert(0, str(REPO / "book" / "_ext"))
import dlphys_execution_key as key_ext  # noqa: E402

#: text in an output that means a warning or an error was printed
WARNING_PATTERNS = {
    "a warning line (WARNING ...)": re.compile(r"^\s*WARNING\b", re.M),
    "a Python warning (...Warning:)": re.compile(r"\b\w*Warning: "),
    "a Warning: line": re.compile(r"^\s*Warning:", re.M | re.I),
    "a TensorFlow retracing warning": re.compile(r"retracing", re.I),
    "an absl/TensorFlow log line (W0000 ...)": re.compile(r"^[WEF]\d{4} \d\d:\d\d:", re.M),
    "a traceback": re.compile(r"Traceback \(most recent call last\)"),
}
#: the separator line of a Markdown table, e.g. |---|---| or | :-- | --: |
MARKDOWN_TABLE = re.compile(r"\|\s*(?::-{2,}|-{3,})|-{3,}:?\s*\|\s*:?-{3,}")
#: what TensorFlow's C++ core prints on stderr when it is imported on a machine without
#: a GPU (not the chapter's doing; the pages leave stderr out, and the page checks
#: above still fail on it); every other line on stderr is checked
START_UP_NOISE = re.compile(
    r"cuInit|cuda_|Unable to register cu|oneDNN|TF-TRT|TensorRT|cpu_feature_guard|"
    r"This TensorFlow binary is optimized|absl::InitializeLog|computation placer|"
    r"rebuild TensorFlow with the appropriate compiler flags|could not find cuda drivers",
    re.I)
GLUE_REFERENCE = re.compile(r"\{glue(?::text)?\}`([^`]+)`")


def build_problem() -> str | None:
    """Why the HTML in ``HTML`` is not a current full-mode build (None when it is)."""
    if not (HTML / "index.html").exists():
        return f"no built book in {HTML}"
    record_path = HTML / key_ext.STAMP
    if not record_path.exists():
        return (f"{HTML} has no execution record {key_ext.STAMP}: it was not built "
                f"with this repository's book/_ext/dlphys_execution_key.py")
    docs = json.loads(record_path.read_text())["docs"]
    for lecture in LECTURES:
        record = docs.get(f"lectures/{lecture}")
        if record is None:
            return f"lectures/{lecture} was not executed by the build in {HTML}"
        if record["key"]["DLPHYS_FAST"] != "0":
            return f"the book in {HTML} was built in fast mode (DLPHYS_FAST=1)"
        source = REPO / "lectures" / f"{lecture}.ipynb"
        current, _ = key_ext.execution_key(json.loads(source.read_text()), source.parent,
                                           environ=dict(os.environ, DLPHYS_FAST="0"))
        if current != record["key"]:
            return (f"the build in {HTML} is stale: lectures/{lecture} was executed with "
                    f"other dlphys sources (or KERAS_BACKEND) than the current ones")
        built = HTML / "lectures" / f"{lecture}.html"
        if not built.exists() or built.stat().st_mtime < source.stat().st_mtime:
            return f"the build in {HTML} is stale: lectures/{lecture}.ipynb changed since"
    return None


@pytest.fixture(scope="session")
def html() -> Path:
    problem = build_problem()
    if problem:
        message = f"{problem}; build the book first with `make book`"
        if STRICT:
            pytest.fail(message + " (DLPHYS_STRICT=1 makes this a failure)", pytrace=False)
        pytest.skip(message)
    return HTML


def page(html: Path, relative: str) -> str:
    path = html / relative
    assert path.exists(), f"missing page {relative}"
    return path.read_text()


class _Outputs(HTMLParser):
    """Text of a page's cell outputs, without what is inside <table> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []   # (tag, opens an output area)
        self.depth = 0                             # open output areas
        self.tables = 0                            # open <table> inside output areas
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "hr", "meta", "link", "input", "source", "wbr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        output = tag == "div" and "cell_output" in classes
        self.stack.append((tag, output))
        self.depth += output
        self.tables += tag == "table" and self.depth > 0

    def handle_endtag(self, tag):
        while self.stack:
            opened, output = self.stack.pop()
            self.depth -= output
            self.tables -= opened == "table" and self.depth > 0
            if opened == tag:
                break

    def handle_data(self, data):
        if self.depth > 0 and self.tables <= 0:
            self.text.append(data)


def output_text(text: str) -> str:
    parser = _Outputs()
    parser.feed(text)
    return "".join(parser.text)


def executed_notebook(lecture: str) -> nbformat.NotebookNode:
    """The lecture as the build executed it, from the build's execution cache."""
    from jupyter_cache import get_cache

    record = json.loads((HTML / key_ext.STAMP).read_text())["docs"][f"lectures/{lecture}"]
    assert CACHE.is_dir(), f"no execution cache next to {HTML}"
    notebook = nbformat.read(REPO / "lectures" / f"{lecture}.ipynb", as_version=4)
    keyed = nbformat.from_dict(key_ext.keyed(notebook, record["key"]))
    cache = get_cache(CACHE)
    try:
        match = cache.match_cache_notebook(keyed)
    except KeyError:
        pytest.fail(f"{lecture}: the executed notebook is not in {CACHE}", pytrace=False)
    return cache.get_cache_bundle(match.pk).nb


def output_texts(notebook) -> list[tuple[int, str, str]]:
    """(cell number, kind, text) of every text output of the notebook's code cells."""
    found = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                found.append((number, output.get("name", "stream"), output.get("text", "")))
            elif kind == "error":
                found.append((number, "error",
                              f"{output.get('ename')}: {output.get('evalue')}\n"
                              "Traceback (most recent call last)"))
            else:
                for mime in ("text/plain", "text/markdown", "text/html"):
                    if mime in output.get("data", {}):
                        data = output["data"][mime]
                        found.append((number, mime, "".join(data) if isinstance(data, list)
                                      else data))
    return found


def warnings_in(text: str) -> list[str]:
    problems = []
    for what, pattern in WARNING_PATTERNS.items():
        match = pattern.search(text)
        if match:
            line = text[text.rfind("\n", 0, match.start()) + 1:].split("\n", 1)[0]
            problems.append(f"{what}: {line.strip()[:160]!r}")
    return problems


# --------------------------------------------------------------------------- lectures

@pytest.mark.parametrize("lecture", LECTURES)
def test_lecture_page_is_executed_and_clean(html, lecture):
    record = json.loads((html / key_ext.STAMP).read_text())["docs"][f"lectures/{lecture}"]
    assert record["execution"]["succeeded"], f"{lecture}: {record['execution']['error']}"
    text = page(html, f"lectures/{lecture}.html")
    assert re.search(r'<img[^>]+src="[^"]*_images/[^"]+\.png"', text), "no executed figure"
    assert 'class="math notranslate nohighlight"' in text, "no rendered math"
    for bad in ("Traceback (most recent call last)", 'class="output traceback', "ansi-red-fg"):
        assert bad not in text, f"{lecture} shows {bad!r}"
    # an exception in the outputs (the code cells may well name one in a raise statement)
    error = re.search(r"\b[A-Z]\w*(?:Error|Exception)\b", output_text(text))
    assert not error, f"{lecture} outputs show {error.group(0)!r}"
    # TensorFlow/tqdm start-up noise (stderr) stays out of the page
    assert "oneDNN" not in text and "cuda" not in text.lower().replace("cudart", "")
    number = lecture.split("_")[0]
    assert re.search(rf'href="[^"]*exercises/{number}_[^"]+\.html"', text), "no exercise link"


@pytest.mark.parametrize("lecture", LECTURES)
def test_lecture_page_outputs_show_no_warnings_and_no_raw_tables(html, lecture):
    outputs = output_text(page(html, f"lectures/{lecture}.html"))
    assert outputs.strip(), f"{lecture}: the page shows no cell outputs"
    problems = warnings_in(outputs)
    table = MARKDOWN_TABLE.search(outputs)
    if table:
        problems.append(f"a raw Markdown table (print aligned text or an HTML table): "
                        f"{table.group(0).strip()[:120]!r}")
    assert not problems, f"{lecture} page outputs show:\n" + "\n".join(problems)


@pytest.mark.parametrize("lecture", LECTURES)
def test_lecture_outputs_have_no_warnings(html, lecture):
    """All outputs of the executed lecture, stderr included (the pages hide stderr)."""
    problems = []
    for cell, kind, text in output_texts(executed_notebook(lecture)):
        if kind == "stderr":
            text = "\n".join(line for line in text.splitlines()
                             if not START_UP_NOISE.search(line))
        problems += [f"cell {cell} ({kind}): {p}" for p in warnings_in(text)]
        if kind == "text/markdown" and MARKDOWN_TABLE.search(text):
            problems.append(f"cell {cell}: a Markdown table displayed as text/markdown")
        elif kind in ("stdout", "text/plain") and MARKDOWN_TABLE.search(text):
            problems.append(f"cell {cell} ({kind}): a raw Markdown table")
    assert not problems, f"{lecture} outputs (as executed by the build):\n" + "\n".join(problems)


@pytest.mark.parametrize("lecture", LECTURES)
def test_every_glued_number_in_the_prose_resolved(html, lecture):
    source = nbformat.read(REPO / "lectures" / f"{lecture}.ipynb", as_version=4)
    referenced = [name.split("::")[-1].rsplit(":", 1)[0]
                  for cell in source.cells if cell.cell_type == "markdown"
                  for name in GLUE_REFERENCE.findall(cell.source)]
    assert referenced, f"{lecture} quotes no glued number in its prose"
    glued = set()
    for cell in executed_notebook(lecture).cells:  # (the cache keeps the code cells only)
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                glued.add(name)
    missing = sorted(set(referenced) - glued)
    assert not missing, f"{lecture}: the prose quotes {missing}, which no cell glued"
    pasted = re.findall(r'<span class="pasted-text">(.*?)</span>',
                        page(html, f"lectures/{lecture}.html"))
    assert len(pasted) == len(referenced), (
        f"{lecture}: {len(referenced)} glue references in the prose, "
        f"{len(pasted)} numbers in the page")
    bad = [value for value in pasted if not re.search(r"\d", value)
           or value.strip().lower() in ("nan", "inf", "-inf")]
    assert not bad, f"{lecture}: glued values that are not numbers: {bad}"


# --------------------------------------------------------------------------- other pages

@pytest.mark.parametrize("exercise", EXERCISES)
def test_exercise_page_is_the_student_version(html, exercise):
    text = page(html, f"book/exercises/{exercise}.html")
    assert "YOUR CODE HERE" in text or "NotImplementedError" in text
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert secret not in text


def test_front_matter_and_citations(html):
    for relative in ("index.html", "book/intro.html", "book/setup.html", "book/syllabus.html",
                     "book/instructors.html", "book/glossary.html", "book/bibliography.html"):
        page(html, relative)
    for card in DATASETS:
        page(html, f"datasets/{card}.html")
    bibliography = page(html, "book/bibliography.html")
    assert "Goodfellow" in bibliography
    intro = page(html, "book/intro.html")
    assert "Erdmann" in intro, "citation in the intro did not resolve"


def test_setup_page_names_the_configured_repository(html):
    import yaml

    url = yaml.safe_load((REPO / "_config.yml").read_text())["repository"]["url"]
    text = page(html, "book/setup.html")
    assert url in text
    assert "{{" not in text and "repository_url" not in text, "unreplaced placeholder"


# --------------------------------------------------------------------------- offline

#: a page resource (not a link) on another host: a script, a stylesheet, a font, an image
EXTERNAL_RESOURCE = re.compile(
    r"<(?:script|img|iframe|source)\b[^>]*\bsrc=\"(?:https?:)?//[^\"]+\""
    r"|<link\b(?=[^>]*\brel=\"(?:stylesheet|preload|modulepreload|icon|font)\")"
    r"[^>]*\bhref=\"(?:https?:)?//[^\"]+\""
    r"|url\(\s*['\"]?(?:https?:)?//[^)]+\)", re.I)


def test_pages_load_nothing_from_another_host(html):
    """The site works offline: every script, stylesheet, font and image is served by it."""
    found = {}
    for path in sorted(html.rglob("*")):
        if path.suffix in (".html", ".css") and "_sources" not in path.parts:
            hits = EXTERNAL_RESOURCE.findall(path.read_text(errors="replace"))
            if hits:
                found[str(path.relative_to(html))] = hits[:2]
    assert not found, f"pages that load resources from another host: {found}"
    assert (html / "_static" / "mathjax" / "tex-mml-chtml.js").is_file(), "MathJax not vendored"


# --------------------------------------------------------------------------- browser

#: where the browser checks leave their screenshots (test artefacts)
SCREENSHOTS = HTML.parent / "screenshots"


def chromium_problem() -> tuple[str | None, str | None]:
    """(path of a Chromium binary, None) or (None, why the browser checks cannot run)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "playwright is not installed (it is in requirements.txt: make venv)"
    binary = os.environ.get("DLPHYS_CHROMIUM") or next(
        (found for name in ("chromium", "chromium-browser", "google-chrome")
         if (found := shutil.which(name))), None)
    if not binary:
        return None, ("no Chromium to drive: install Debian's package (apt-get install "
                      "chromium) or point DLPHYS_CHROMIUM at a Chromium binary")
    return binary, None


@pytest.fixture(scope="module")
def browser_site(html):
    """(page factory, base URL, blocked requests): headless Chromium, the network blocked.

    The site is served from ``_build/html`` on a local port; every request to another
    host is aborted and recorded.
    """
    binary, problem = chromium_problem()
    if problem:
        message = f"browser checks not run: {problem}"
        if STRICT:
            pytest.fail(message + " (DLPHYS_STRICT=1 makes this a failure)", pytrace=False)
        pytest.skip(message)
    import functools
    import http.server
    import threading
    from urllib.parse import urlsplit

    from playwright.sync_api import sync_playwright

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(html)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    blocked: list[str] = []

    def only_this_site(route):
        if urlsplit(route.request.url).netloc == urlsplit(base).netloc:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=binary, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", only_this_site)
        try:
            yield context, base, blocked
        finally:
            context.close()
            browser.close()
            server.shutdown()


def open_page(context, url):
    """Open ``url``; returns the page and the list its console errors are collected in."""
    page_ = context.new_page()
    errors: list[str] = []
    page_.on("console", lambda message: errors.append(message.text)
             if message.type == "error" else None)
    page_.on("pageerror", lambda error: errors.append(str(error)))
    page_.goto(url, wait_until="load")
    return page_, errors


#: text outside code blocks that still holds TeX delimiters after MathJax ran
RAW_TEX_JS = r"""() => {
  const walker = document.createTreeWalker(document.querySelector('main') || document.body,
                                           NodeFilter.SHOW_TEXT);
  const skip = 'pre, code, .highlight, mjx-container, script, style';
  const raw = [];
  for (let node; (node = walker.nextNode());) {
    if (node.parentElement.closest(skip)) continue;
    if (/\\\(|\\\[|\$\$/.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 80));
  }
  return raw;
}"""


@pytest.mark.parametrize("lecture", LECTURES)
def test_lecture_in_the_browser(browser_site, lecture):
    """MathJax typeset every formula, every image loaded, no console error, exercise link."""
    context, base, blocked = browser_site
    page_, errors = open_page(context, f"{base}lectures/{lecture}.html")
    try:
        page_.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000)
        page_.evaluate("() => MathJax.startup.promise")
        typeset = page_.evaluate("() => document.querySelectorAll('mjx-container').length")
        assert typeset > 0, f"{lecture}: MathJax typeset nothing"
        raw = page_.evaluate(RAW_TEX_JS)
        assert not raw, f"{lecture}: formulas left as raw TeX: {raw[:3]}"
        broken = page_.evaluate("() => Array.from(document.images)"
                                ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        assert not broken, f"{lecture}: images that did not load: {broken[:3]}"
        figures = page_.evaluate(
            "() => document.querySelectorAll('main img[src*=\"_images/\"]').length")
        assert figures > 0, f"{lecture}: no figures"
        if lecture in ("05_magnetic_phases", "07_airshowers"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page_.screenshot(path=str(SCREENSHOTS / f"{lecture}.png"), full_page=False)
        number = lecture.split("_")[0]
        link = page_.locator(f'main a[href*="exercises/{number}_"]').first
        link.click()
        page_.wait_for_load_state("load")
        text = page_.inner_text("main")
        assert "/book/exercises/" in page_.url, f"{lecture}: the exercise link led to {page_.url}"
        assert "YOUR CODE HERE" in text or "NotImplementedError" in text, page_.url
        assert "BEGIN SOLUTION" not in text
        assert not errors, f"{lecture}: console errors: {errors[:3]}"
        assert not blocked, f"requests to other hosts (blocked): {blocked[:3]}"
    finally:
        page_.close()


def test_search_finds_a_word_from_a_lecture(browser_site):
    context, base, blocked = browser_site
    page_, errors = open_page(context, f"{base}search.html?q=Onsager")
    try:
        # Sphinx fills the result list page by page and then writes its summary
        page_.wait_for_function(
            "() => (document.querySelector('#search-results .search-summary') || {})"
            ".textContent?.includes('found')", timeout=30_000)
        results = page_.locator("#search-results ul.search li a")
        hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
        assert any("lectures/05_magnetic_phases" in href for href in hrefs), hrefs
        assert not errors, f"console errors on the search page: {errors[:3]}"
        assert not blocked, f"requests to other hosts (blocked): {blocked[:3]}"
    finally:
        page_.close()
