"""A small Sphinx extension of the book (loaded by `_config.yml` through `sphinx: local_extensions`).

It writes each inline <script> once per page. Sphinx 7.4 registers a body-only script added by an extension
after the builder started (sphinx-thebe's `const THEBE_JS_URL = ...`, sphinx-togglebutton's settings) twice,
once as filename None and once as filename '' (`StandaloneHTMLBuilder.prepare_writing`), so every page
declared `const THEBE_JS_URL` twice and the browser console showed "Identifier 'THEBE_JS_URL' has already
been declared" on every page.
"""

from __future__ import annotations


def _script_key(script) -> tuple:
    attributes = tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items()))
    return (getattr(script, "filename", script) or "", getattr(script, "priority", 0), attributes)


def write_each_script_once(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # the builder's own list: Sphinx restores it before the next page


def setup(app):
    # After every other handler (myst-nb adds each notebook's scripts on this event too).
    app.connect("html-page-context", write_each_script_once, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
