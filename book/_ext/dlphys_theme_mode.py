"""Sphinx extension: the pages open in the light colour mode.

The pydata theme (under sphinx-book-theme) reads the page's default mode from the
template variable ``default_mode`` of ``html_context``, which Jupyter Book 1 leaves
unset; the pages' script then rejects the empty mode with "Got invalid theme mode: .
Resetting to auto." in the browser console on every page (the browser checks in
``tests/test_book.py`` fail on console errors).  This sets it, keeping whatever else the
context holds.  Light, because the figures are drawn on white; the reader's toggle still
switches.
"""

from __future__ import annotations


def on_config_inited(app, config) -> None:
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "light")
    config.html_context = context


def setup(app):
    app.connect("config-inited", on_config_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
