"""Sphinx extension: the repository's address comes from one place, ``_config.yml``.

That place is ``repository.url``.

Jupyter Book passes that address to the theme as ``html_theme_options["repository_url"]``
(launch buttons, the repository button).  This extension replaces the placeholder
``{{ repository_url }}`` in the Markdown pages with it, in prose and in code blocks
alike (MyST substitutions do not reach into code blocks), so the setup page's
``git clone`` and ``pip install`` recipes always name the configured repository.
Without this extension the placeholder would stay and MyST would warn about an
undefined substitution, which fails the ``-W`` build.
"""

from __future__ import annotations

PLACEHOLDER = "{{ repository_url }}"


def repository_url(config) -> str:
    url = (config.html_theme_options or {}).get("repository_url", "")
    return url.rstrip("/")


def on_source_read(app, docname: str, source: list[str]) -> None:
    if PLACEHOLDER not in source[0]:
        return
    url = repository_url(app.config)
    if not url:
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            f"{docname}: {PLACEHOLDER} is used but _config.yml sets no repository.url",
            location=docname)
        return
    source[0] = source[0].replace(PLACEHOLDER, url)


def setup(app):
    app.connect("source-read", on_source_read)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
