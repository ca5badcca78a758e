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
  vnevents review --out /tmp/run --port 9000
  vnevents review export --file reviewed.jsonl
  vnevents gold validate outputs/reviewed.jsonl
"""

EXPORT_EPILOG = """
\b
What is written, for each article with at least one current decision:
  - mentions: accepted, corrected and added ones; mentions with no decision
    are included as predicted (so a partly reviewed article is exported
    whole); rejected ones are left out. Where a mention with no decision
    overlaps a decided one (after a re-run), the decided one wins.
  - events: the same; their date and arguments point at the exported
    mentions, and an argument whose mention was rejected is dropped.
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


@click.group("review", invoke_without_command=True, epilog=REVIEW_EPILOG)
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(file_okay=False),
              help="The run's output folder (predictions.jsonl, events.parquet).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The app has no login: keep it on 127.0.0.1.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
              help="Decision log (SQLite). Default: OUT/review.sqlite.")
@click.pass_context
def review_command(ctx: click.Context, out_dir: str, host: str, port: int, db_path: str | None) -> None:
    """Review a run's mentions and events in the browser.

    Serves a local web app over OUT: accept, reject or correct each mention
    and event, add missed mentions by selecting text. Every decision is kept
    in an append-only SQLite log (OUT/review.sqlite), keyed by article and
    span, so decisions survive re-running the pipeline. Export the reviewed
    articles as gold JSONL with `vnevents review export`.
    """
    if ctx.invoked_subcommand is not None:
        return
    out = Path(out_dir)
    if not (out / "predictions.jsonl").exists():
        raise click.ClickException(f"no predictions.jsonl in {out}/: run `vnevents run corpus/raw --out {out}` first")
    try:
        from werkzeug.serving import make_server

        from .app import LOOPBACK_HOSTS, create_app
    except ImportError as exc:  # pragma: no cover - flask is a dependency
        raise click.ClickException(f"the review app needs Flask ({exc}); pip install flask") from exc
    loopback = _is_loopback(host)
    app = create_app(out, db_path, trusted_hosts=LOOPBACK_HOSTS if host in ("127.0.0.1", "localhost") else None)
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    if not loopback:
        click.echo(f"warning: listening on {host}: anyone who can reach this address can change the decisions "
                   "(there is no login)", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Reviewing {out}/ (decisions in {db_path or out / 'review.sqlite'})")
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
def export_command(out_dir: str, db_path: str | None, file_path: str | None, force: bool) -> None:
    """Write the reviewed articles as gold-format JSONL (valid for `vnevents gold validate`)."""
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
        n, problems = export_reviewed(iter_predictions(pred), ReviewDB(db_file), target, force=force)
    except ReviewError as exc:
        raise click.ClickException(str(exc)) from exc
    for article_id, problem in problems:
        click.echo(f"left out {article_id}: {problem}", err=True)
    if n == 0 and not problems:
        click.echo("note: no article has a current decision yet; the file is empty", err=True)
    click.echo(f"{n} reviewed articles -> {target}")
    if problems:
        sys.exit(1)


__all__ = ["review_command", "export_command"]
