"""Sphinx extension: every script appears once in a page.

sphinx-thebe 0.3.1 registers its inline configuration (``const THEBE_JS_URL = ...``)
twice under Jupyter Book 1, once with the file name ``None`` and once with ``""``, so
Sphinx does not see the two as one.  The page then declares the same ``const`` twice,
which the browser reports as a ``SyntaxError`` in its console on every page (the
browser checks in ``tests/test_book.py`` fail on console errors).  This extension drops
repeated, identical script entries from each page's context.
"""

from __future__ import annotations


def _identity(script) -> tuple:
    # an inline script has no file: sphinx-thebe registers it once with filename None and
    # once with "", which Sphinx's own de-duplication takes for two different scripts
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (filename, tuple(sorted((key, str(value)) for key, value in attributes.items())))


def on_html_page_context(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        identity = _identity(script)
        if identity not in seen:
            seen.add(identity)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    # after the themes and extensions that add scripts to the context
    app.connect("html-page-context", on_html_page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
