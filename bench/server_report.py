"""The report of ``bench/run.py --server``: its own marked block of bench/RESULTS.md (which
``bench/run.py`` without ``--server`` keeps as it is) and bench/server-latency.png."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

START = "<!-- server-benchmark:start (written by `python bench/run.py --server`) -->"
END = "<!-- server-benchmark:end -->"
PLOT = "server-latency.png"
PERCENTILES = ("50", "75", "90", "99", "99.9")
COLORS = {
    "bare": "tab:gray",
    "floor": "tab:green",
    "ours": "tab:blue",
    "ours+cache": "tab:purple",
    "Authlib": "tab:orange",
}
LABELS = {
    "bare": "bare route",
    "floor": "hand-written floor",
    "ours": "ours",
    "ours+cache": "ours, token cache",
    "Authlib": "Authlib",
}


@dataclass(frozen=True)
class ServerConfig:
    key: str
    worker_class: str
    workers: int
    threads: int

    @property
    def label(self) -> str:
        kind = "sync" if self.worker_class == "sync" else f"gthread ×{self.threads} threads"
        return f"{kind}, {self.workers} worker{'s' if self.workers > 1 else ''}"


@dataclass
class Cell:
    config: str
    scenario: str
    impl: str
    stats: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def ms(self, percentile: str) -> float:
        return float(self.stats["percentiles_us"][percentile]) / 1000


# -- RESULTS.md's block ----------------------------------------------------------------------


def replace_block(document: str, block: str) -> str:
    """``document`` with its server block replaced by ``block`` (appended if it has none)."""
    if START in document and END in document:
        head, rest = document.split(START, 1)
        return head + block + rest.split(END, 1)[1]
    return document.rstrip("\n") + "\n\n" + block + "\n"


def kept_block(document: str) -> str | None:
    """The server block of ``document`` (markers included), if it has one."""
    if START in document and END in document:
        return START + document.split(START, 1)[1].split(END, 1)[0] + END
    return None


def keep_server_block(path: Path, new_document: str) -> str:
    """``new_document`` (bench/run.py's micro-benchmarks) with the server block ``path``
    holds now, so that the two runs do not overwrite each other."""
    old = kept_block(path.read_text()) if path.exists() else None
    return replace_block(new_document, old) if old else new_document


def versions() -> str:
    names = ["gunicorn", "flask", "sqlalchemy", "psycopg", "authlib", "oauthlib"]
    names += ["flask-oauthlib-provider-oauth2", "flask-oauthlib-contrib-sqla"]
    return ", ".join(f"{n} {importlib.metadata.version(n)}" for n in names)


def fmt_rps(cell: Cell | None) -> str:
    if cell is None:
        return "—"
    return "**error**" if cell.error else f"{cell.stats['rps']:.0f}"


def fmt_ms(cell: Cell | None, percentile: str) -> str:
    if cell is None or cell.error:
        return "—"
    return f"{cell.ms(percentile):.1f}"


def ratio(a: Cell | None, b: Cell | None) -> str:
    if a is None or b is None or a.error or b.error:
        return "—"
    return f"{a.stats['rps'] / b.stats['rps']:.2f}"


def scenario_table(scenario: Any, configs: Sequence[ServerConfig], find: Any) -> list[str]:
    impls = list(scenario.impls)
    head = ["server"]
    for impl in impls:
        head += [f"{LABELS[impl]} req/s", "p50 ms", "p99 ms"]
    if "Authlib" in impls:
        head.append("ours / Authlib req/s")
    if "Authlib" in impls and "ours+cache" in impls:
        head.append("ours, token cache / Authlib req/s")
    if "floor" in impls:
        head.append("ours / floor req/s")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for config in configs:
        row = [config.label]
        for impl in impls:
            cell = find(config.key, scenario.key, impl)
            row += [fmt_rps(cell), fmt_ms(cell, "50"), fmt_ms(cell, "99")]
        ours = find(config.key, scenario.key, "ours")
        if "Authlib" in impls:
            row.append(ratio(ours, find(config.key, scenario.key, "Authlib")))
        if "Authlib" in impls and "ours+cache" in impls:
            cached = find(config.key, scenario.key, "ours+cache")
            row.append(ratio(cached, find(config.key, scenario.key, "Authlib")))
        if "floor" in impls:
            row.append(ratio(ours, find(config.key, scenario.key, "floor")))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def scaling_table(
    scenarios: Sequence[Any], configs: Sequence[ServerConfig], find: Any
) -> list[str]:
    """req/s with 2 workers over req/s with 1, per worker class present with both."""
    classes = [
        (one, two)
        for one in configs
        for two in configs
        if one.workers == 1
        and two.workers == 2
        and (one.worker_class, one.threads) == (two.worker_class, two.threads)
    ]
    if not classes:
        return ["(needs a config with 1 and with 2 workers of one worker class)"]
    head = ["scenario", "implementation"] + [
        one.label.replace(", 1 worker", "") + ": 1 → 2 workers" for one, _ in classes
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for scenario in scenarios:
        for impl in scenario.impls:
            row = [f"{scenario.title.split(' ', 1)[0]} {scenario.key}", LABELS[impl]]
            for one, two in classes:
                scale = ratio(find(two.key, scenario.key, impl), find(one.key, scenario.key, impl))
                row.append(scale if scale == "—" else f"{scale}×")
            lines.append("| " + " | ".join(row) + " |")
    return lines


NOTES = """\
How: each implementation is its own gunicorn (`--bind 127.0.0.1:0`, the settings of the
row), the four of a config running side by side and loaded in turn, scenario by
scenario, by `wrk -t{wrk_threads} -c{connections}` with `bench/wrk/oauth.lua`: one checked
request, {warmup} s of warm-up, then {duration} s timed. Latencies are wrk's own (its
`done` hook's percentiles); req/s = completed requests / duration. Every response is
checked: a cell with a status other than 200, a socket error or timeout, or a pool of
single-use credentials that ran out is an **error**, not a figure. The sync worker closes
the connection after each response (no keep-alive), the gthread worker keeps it.

Storage: one PostgreSQL ({postgres}, same machine) schema made for the run and dropped
after it. Each worker builds its engine after the fork: psycopg 3, a QueuePool of
`pool_size` = threads per worker, `max_overflow=2`, the same for every app. Ours:
`bind_sqlalchemy` with the ready models of `flask_oauthlib_contrib_sqla` (hashed
credentials). Authlib: `AuthorizationServer` and `ResourceProtector` with the
`authlib.integrations.sqla_oauth2` mixins and functions in tables of its own
(`authlib_*`, credentials in plaintext, as its mixins keep them), its grants written as its
documentation shows, except that a code's and a token's `user` are loaded joined (as
ours are), which spares Authlib one SELECT per request. The floor (token endpoint only):
a plain Flask route with SQLAlchemy Core `text()` on the same engine, running the
statements our client_credentials endpoint runs. Ours, token cache (scenario (1) only):
the same app with `bind_cache_token_cache` on Redis ({redis}, same machine; 30 s entries,
the default): a hit reads two Redis keys (the entry and its revocation mark) instead of
the token's row, then loads the user (`user_loader`) and the client (the clientgetter),
two SELECTs where the uncached lookup runs one. Before each config the code and token
tables are emptied. (3) and (4): codes and refresh tokens stored beforehand, one per
request, handed out by the Lua script from a file per wrk thread.

Statements per request (SQLAlchemy's log; ours as `test_statement_counts.py` asserts, but
for the token cache's hit, counted with SQLAlchemy's log):
"""


#: the statements of each implementation per request (scenario, floor, ours, Authlib)
STATEMENTS = [
    (
        "(1) resource",
        "—",
        "SELECT (token + client + users joined), ROLLBACK; token cache hit: 2 Redis GET,"
        " SELECT (user), SELECT (client + user), ROLLBACK",
        "SELECT (token + user), ROLLBACK",
    ),
    (
        "(2) client_credentials",
        "SELECT (client + user), INSERT, COMMIT",
        "SELECT (client + user), INSERT, COMMIT",
        "SELECT (client), INSERT, COMMIT",
    ),
    (
        "(3) code exchange",
        "—",
        "2 SELECT, UPDATE (redeem), INSERT, COMMIT",
        "2 SELECT, INSERT, COMMIT, SELECT (reload), DELETE, COMMIT",
    ),
    (
        "(4) refresh + rotation",
        "—",
        "2 SELECT, UPDATE (rotate), INSERT, COMMIT",
        "2 SELECT, INSERT, COMMIT, SELECT (reload), UPDATE, COMMIT",
    ),
]


def write(
    cells: list[Cell],
    configs: Sequence[ServerConfig],
    scenarios: Sequence[Any],
    meta: dict[str, Any],
    out: Path,
) -> str:
    """Write the block into ``out``/RESULTS.md and the plot beside it; return the block."""
    index = {(c.config, c.scenario, c.impl): c for c in cells}

    def find(config: str, scenario: str, impl: str) -> Cell | None:
        return index.get((config, scenario, impl))

    machine = f"{platform.python_implementation()} {platform.python_version()}"
    kind = "**Smoke run (`--quick`): not figures to quote.** " if meta["quick"] else ""
    lines = [
        START,
        "## Real server: gunicorn on PostgreSQL, loaded by wrk",
        "",
        f"{kind}One run of `python bench/run.py --server` on {machine}, {platform.machine()},"
        f" {os.cpu_count()} cores (wrk, gunicorn and PostgreSQL share them; load average"
        f" {meta['load_before']:.2f} before the run, {meta['load_after']:.2f} after it), which"
        f" took {meta['elapsed_s'] / 60:.1f} min. wrk {meta['wrk']}, PostgreSQL"
        f" {meta['postgres']}, {versions()}.",
        "",
        NOTES.format(**meta).rstrip(),
        "",
        "| scenario | floor | ours | Authlib |",
        "| --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in STATEMENTS]
    for scenario in scenarios:
        lines += ["", f"### {scenario.title}", ""] + scenario_table(scenario, configs, find)
    lines += ["", "### Scaling: req/s with 2 workers over 1", ""]
    lines += scaling_table(scenarios, configs, find)
    errors = [c for c in cells if c.error]
    if errors:
        lines += ["", "### Errors", ""]
        lines += [f"- {c.config} {c.scenario} {c.impl}: {c.error}" for c in errors]
    plotted = plot(cells, configs, scenarios, out / PLOT)
    if plotted:
        lines += ["", f"![wrk latency percentiles per implementation]({PLOT})", ""]
        lines.append(
            f"[{PLOT}]({PLOT}): wrk's latency percentiles (50, 75, 90, 99, 99.9), a row per"
            " scenario, a column per server config, log scale."
        )
    lines.append(END)
    block = "\n".join(lines)
    results = out / "RESULTS.md"
    results.write_text(replace_block(results.read_text() if results.exists() else "", block))
    return block


def plot(
    cells: list[Cell], configs: Sequence[ServerConfig], scenarios: Sequence[Any], path: Path
) -> bool:
    """The latency percentiles of every cell with figures; ``False`` if none has."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    good = {(c.config, c.scenario, c.impl): c for c in cells if not c.error}
    if not good:
        return False
    rows = [s for s in scenarios if any(k[1] == s.key for k in good)]
    figure, axes = plt.subplots(
        len(rows),
        len(configs),
        figsize=(3.6 * len(configs) + 1, 2.6 * len(rows) + 1),
        sharey="row",
        squeeze=False,
    )
    x = list(range(len(PERCENTILES)))
    for r, scenario in enumerate(rows):
        for c, config in enumerate(configs):
            ax = axes[r][c]
            for impl in scenario.impls:
                cell = good.get((config.key, scenario.key, impl))
                if cell is None:
                    continue
                ax.plot(
                    x,
                    [cell.ms(p) for p in PERCENTILES],
                    marker="o",
                    color=COLORS[impl],
                    label=f"{LABELS[impl]} ({cell.stats['rps']:.0f} req/s)",
                )
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
            ax.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.tick_params(axis="y", which="minor", labelsize=7)
            ax.set_xticks(x, [f"p{p}" for p in PERCENTILES])
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
            if r == 0:
                ax.set_title(config.label, fontsize=10)
            if c == 0:
                ax.set_ylabel(f"{scenario.title.split(' ', 1)[0]} {scenario.key}\nms", fontsize=9)
    figure.suptitle("wrk latency percentiles: gunicorn on PostgreSQL")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return True
