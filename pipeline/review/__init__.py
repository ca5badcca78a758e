"""The review workspace: ``vnevents review`` (a local web app) and ``vnevents review export``.

Flask is imported only when the server starts, so the rest of the command
line works without it.
"""
from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import click

REVIEW_EPILOG = """
\b
Examples:
  vnevents review                         # outputs/ on http://127.0.0.1:8765/
  vnevents review --out /tmp/run --port 9000 --reviewer anna
  vnevents review --host 0.0.0.0 --allow-host review.lan   # reachable as http://review.lan:8765/
  vnevents review export --file reviewed.jsonl
  vnevents review export --include-partial --file draft.jsonl
  vnevents gold validate outputs/reviewed.jsonl
"""

EXPORT_EPILOG = """
\b
What is written:
  - the articles marked done (by the reviewer who marked them; the latest
    mark when several did); with --include-partial also every other article
    with a current decision (the reviewer with the most decisions), its
    undecided items as predicted. --reviewer NAME uses only NAME's work.
  - mentions: accepted, corrected and added ones, and those with no decision
    as predicted; rejected ones are left out. Where a mention with no
    decision overlaps a decided one (after a re-run), the decided one wins.
  - events: the same; their date, agent and arguments point at the exported
    mentions, and an argument whose mention was rejected is dropped; the
    canonical key follows the merges and splits made in the canonical view.
  - decisions about items the current run no longer extracts are not used
    (the review page lists them).
Records are sorted by id and checked with the gold validator; an article
with problems is left out and reported, and the exit status is then 1.
The file is written atomically. An existing file is kept unless --force;
a file inside corpus/gold/ is never written.
"""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The Host names the server answers to: the address it binds, the localhost names, and ``extra``.

    A wildcard address (0.0.0.0, ::) is no name a browser sends: add the
    machine's name or address with ``--allow-host``.
    """
    from .app import LOCAL_HOSTS

    names = [*LOCAL_HOSTS]
    bound = host.strip("[]").lower()
    if bound not in ("0.0.0.0", "::", ""):
        names.append(bound)
    names += [h.strip().strip("[]").lower() for h in extra if h.strip()]
    return list(dict.fromkeys(names))


@click.group("review", invoke_without_command=True, epilog=REVIEW_EPILOG)
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(file_okay=False),
              help="The run's output folder (predictions.jsonl, events.parquet).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The app has no login: keep it on 127.0.0.1.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
              help="Decision log (SQLite). Default: OUT/review.sqlite.")
@click.option("--allow-host", "allow_host", multiple=True, metavar="NAME",
              help="Another Host name the app answers to (besides the bound address and localhost); repeatable.")
@click.option("--reviewer", default="default", show_default=True,
              help="Reviewer name for decisions made in this session (the page can switch it).")
@click.pass_context
def review_command(ctx: click.Context, out_dir: str, host: str, port: int, db_path: str | None,
                   allow_host: tuple[str, ...], reviewer: str) -> None:
    """Review a run's mentions and events in the browser.

    Serves a local web app over OUT: accept, reject or correct each mention
    and event, add missed mentions and events by selecting text, mark
    articles done, merge and split canonical events. Every decision is kept
    in an append-only SQLite log (OUT/review.sqlite), keyed by article and
    span and by reviewer, so decisions survive re-running the pipeline.
    Export the done articles as gold JSONL with `vnevents review export`.
    """
    if ctx.invoked_subcommand is not None:
        return
    out = Path(out_dir)
    if not (out / "predictions.jsonl").exists():
        raise click.ClickException(f"no predictions.jsonl in {out}/: run `vnevents run corpus/raw --out {out}` first")
    try:
        from werkzeug.serving import make_server

        from .app import create_app
        from .db import ReviewError, clean_reviewer
    except ImportError as exc:  # pragma: no cover - flask is a dependency
        raise click.ClickException(f"the review app needs Flask ({exc}); pip install flask") from exc
    try:
        reviewer = clean_reviewer(reviewer)
    except ReviewError as exc:
        raise click.BadParameter(str(exc), param_hint="--reviewer") from exc
    loopback = _is_loopback(host)
    names = allowed_hosts(host, allow_host)
    app = create_app(out, db_path, allowed_hosts=names, reviewer=reviewer)
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    if not loopback:
        click.echo(f"warning: listening on {host}: anyone who can reach this address can change the decisions "
                   "(there is no login)", err=True)
        if host.strip("[]") in ("0.0.0.0", "::") and not allow_host:
            click.echo("note: requests are answered only for the Host names "
                       f"{', '.join(names)}; add the name others use with --allow-host NAME", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Reviewing {out}/ as {reviewer} (decisions in {db_path or out / 'review.sqlite'})")
    click.echo(f"Open http://{shown}:{server.server_port}/   (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@review_command.command("export", epilog=EXPORT_EPILOG)
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(file_okay=False),
              help="The run's output folder.")
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
              help="Decision log. Default: OUT/review.sqlite.")
@click.option("--file", "file_path", default=None, type=click.Path(dir_okay=False),
              help="Gold JSONL file to write. Default: OUT/reviewed.jsonl.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists (never a file in corpus/gold/).")
@click.option("--include-partial", is_flag=True,
              help="Also write articles not marked done (their undecided items as predicted).")
@click.option("--reviewer", default=None, help="Export only this reviewer's work.")
def export_command(out_dir: str, db_path: str | None, file_path: str | None, force: bool, include_partial: bool,
                   reviewer: str | None) -> None:
    """Write the done articles as gold-format JSONL (valid for `vnevents gold validate`)."""
    from ..report import iter_predictions
    from .db import ReviewDB, ReviewError, export_reviewed

    out = Path(out_dir)
    pred = out / "predictions.jsonl"
    if not pred.exists():
        raise click.ClickException(f"no predictions.jsonl in {out}/")
    db_file = Path(db_path) if db_path else out / "review.sqlite"
    if not db_file.exists():
        raise click.ClickException(f"no decision log at {db_file}: review some articles first")
    target = Path(file_path) if file_path else out / "reviewed.jsonl"
    try:
        n, problems = export_reviewed(iter_predictions(pred), ReviewDB(db_file), target, force=force,
                                      include_partial=include_partial, reviewer=reviewer)
    except ReviewError as exc:
        raise click.ClickException(str(exc)) from exc
    for article_id, problem in problems:
        click.echo(f"left out {article_id}: {problem}", err=True)
    if n == 0 and not problems:
        if include_partial:
            click.echo("note: no article has a current decision yet; the file is empty", err=True)
        else:
            click.echo("note: no article is marked done yet; the file is empty "
                       "(mark articles done in the review page, or use --include-partial)", err=True)
    click.echo(f"{n} {'reviewed' if include_partial else 'done'} articles -> {target}")
    if problems:
        sys.exit(1)


@review_command.command("bench")
@click.option("--chars", default=500_000, show_default=True, type=click.IntRange(1000, 5_000_000),
              help="Length of the generated article.")
@click.option("--decisions", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--dense", is_flag=True, help="Only sentences with figures (more mentions per character).")
@click.option("--no-browser", is_flag=True, help="Skip the Chromium timings.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench_command(chars: int, decisions: int, dense: bool, no_browser: bool, as_json: bool) -> None:
    """Measure the review app on one long generated article (page size, open time, time per decision)."""
    import json

    from .bench import bench, print_bench

    result = bench(chars, decisions, browser=not no_browser, dense=dense)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        print_bench(result)


__all__ = ["review_command", "export_command", "allowed_hosts"]
