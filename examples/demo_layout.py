"""The page layout both demo apps share: one small inline stylesheet, no external assets.

A page is a Jinja template for the inside of ``<main>``; :func:`page` wraps it in
:data:`LAYOUT`. Each app sets ``site`` (its name in the header) and ``accent`` (its
colour) with :func:`use_layout`, so the provider and the client look related but you
can always tell which site you are on.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template_string
from werkzeug.exceptions import HTTPException

LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · {{ site }}</title>
<style>
:root { --accent: {{ accent }}; --text: #1f2328; --muted: #59636e; --line: #d9dee4;
  --bg: #f3f4f6; --danger: #b42318; --danger-bg: #fef3f2; --danger-line: #fecdca; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { background: #fff; border-bottom: 1px solid var(--line); }
header div { max-width: 30rem; margin: 0 auto; padding: .875rem 1rem; }
.brand { display: inline-flex; align-items: center; gap: .625rem; font-weight: 650;
  color: var(--text); text-decoration: none; }
.logo { width: 1.875rem; height: 1.875rem; border-radius: .5rem; background: var(--accent);
  color: #fff; display: inline-grid; place-items: center; font-size: .9375rem; }
main { max-width: 30rem; margin: 2rem auto; padding: 0 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 12px;
  padding: 1.75rem; box-shadow: 0 1px 3px rgba(16, 24, 40, .06); }
.card > :last-child { margin-bottom: 0; }
h1 { font-size: 1.375rem; line-height: 1.3; margin: 0 0 .5rem; }
p { margin: .5rem 0 1rem; }
a { color: var(--accent); }
code { font: .875em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.muted { color: var(--muted); font-size: .875rem; }
label { display: block; font-weight: 600; font-size: .875rem; margin: 1rem 0 .375rem; }
input { display: block; width: 100%; font: inherit; padding: .625rem .75rem;
  border: 1px solid var(--line); border-radius: 8px; background: #fff; color: inherit; }
input:focus { outline: 2px solid var(--accent); outline-offset: 1px; border-color: transparent; }
.button { display: inline-block; text-align: center; font: inherit; font-weight: 600;
  padding: .625rem 1rem; border-radius: 8px; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; text-decoration: none; cursor: pointer;
  white-space: nowrap; }
.button:hover { filter: brightness(1.08); }
.button:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.button.secondary { background: #fff; color: var(--text); border-color: var(--line); }
.button.secondary:hover { background: #f6f8fa; filter: none; }
.wide { width: 100%; margin-top: 1.5rem; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1.5rem; }
.actions > * { flex: 1 1 8rem; }
.alert { display: flex; gap: .625rem; align-items: flex-start; margin: 1rem 0;
  padding: .75rem 1rem; border: 1px solid var(--danger-line); border-radius: 8px;
  background: var(--danger-bg); color: var(--danger); }
.alert::before { content: "!"; flex: none; width: 1.25rem; height: 1.25rem; margin-top: .125rem;
  border-radius: 50%; background: var(--danger); color: #fff; font-weight: 700;
  font-size: .8125rem; line-height: 1.25rem; text-align: center; }
.alert p { margin: 0; }
.note { margin: 1.25rem 0 0; padding: .75rem 1rem; border-radius: 8px; background: #f6f8fa;
  color: var(--muted); font-size: .875rem; }
.scopes { list-style: none; margin: 1rem 0; padding: 0; border: 1px solid var(--line);
  border-radius: 8px; }
.scopes li { padding: .75rem 1rem; border-top: 1px solid var(--line); }
.scopes li:first-child { border-top: 0; }
.scopes strong { display: block; font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .5rem 1rem; margin: 1.25rem 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
details { margin-top: 1rem; color: var(--muted); font-size: .875rem; }
summary { cursor: pointer; }
footer { max-width: 30rem; margin: 0 auto 2rem; padding: 0 1rem; text-align: center;
  color: var(--muted); font-size: .8125rem; }
@media (max-width: 480px) {
  main { margin: 1rem auto; }
  .card { padding: 1.25rem; }
}
</style>
</head>
<body>
<header><div><a class="brand" href="/"><span class="logo" aria-hidden="true">{{ logo }}</span>
{{ site }}</a></div></header>
<main><div class="card">
<!-- content -->
</div></main>
<footer>{{ footer }}</footer>
</body>
</html>
"""


def layout(content: str) -> str:
    """A page template: ``content`` (a Jinja template) inside :data:`LAYOUT`."""
    return LAYOUT.replace("<!-- content -->", content)


def use_layout(app: Flask, site: str, logo: str, accent: str, footer: str) -> None:
    """Give every page of ``app`` its name, logo letter, colour and footer line."""

    @app.context_processor
    def layout_context() -> dict[str, str]:
        return {"site": site, "logo": logo, "accent": accent, "footer": footer}


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render ``template`` (made by :func:`layout`); ``title`` goes into ``<title>``."""
    return render_template_string(template, **context), status


def http_message(exc: HTTPException) -> str:
    """A sentence for an HTTP error page (404, 405, 500, ...)."""
    if exc.code == 404:
        return "There is no page at this address."
    if exc.code == 405:
        return "This page cannot be opened that way."
    if exc.code and exc.code < 500:
        return "This request could not be handled."
    return "Something went wrong on our side. Please try again."


def http_headers(exc: HTTPException) -> list[tuple[str, str]]:
    """The headers of ``exc`` (``Allow`` of a 405, ...) without its content type."""
    return [(key, value) for key, value in exc.get_headers() if key.lower() != "content-type"]
