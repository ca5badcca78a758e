"""The ``vnevents`` command line."""
from __future__ import annotations

import json
import os
import sys
import time

import click

from . import __version__

EXAMPLES_RUN = """
\b
Examples:
  vnevents run corpus/raw                      # the bundled corpus -> outputs/
  vnevents run crawl/*.txt news.jsonl --out out/
  vnevents run crawl/ --out crawl/out          # the output folder is never read as input
  vnevents run crawl-2017/ --published 2017-06-30   # reference date of articles without one
  vnevents run big-crawl/ --workers 8          # up to 8 local worker processes
  vnevents run big-crawl/ --scheduler tcp://10.0.0.5:8786   # a Dask cluster
"""

# Exit statuses of `vnevents run` (README "Input and errors").
EXIT_OK, EXIT_INPUTS_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_OUT_LOCKED, EXIT_OUT_UNUSABLE, EXIT_SCHEDULER = 3, 4, 5


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vnevents")
def main() -> None:
    """Extract dates, percentages, document numbers, institutions and events
    from Vietnamese news, check them against gold, and review them.

    \b
    Start with:  vnevents run corpus/raw   (writes outputs/)
    Then:        vnevents evaluate corpus/gold/seeds.jsonl --baselines
                 vnevents review
    """


def _progress_printer(quiet: bool):
    """A rich progress bar on a terminal, periodic log lines otherwise, nothing with --quiet."""
    if quiet:
        return None, None
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("articles"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rate]:.1f}/s"), TimeRemainingColumn(),
                       TextColumn("{task.fields[mode]}"), transient=True)
        task = bar.add_task("run", total=None, rate=0.0, mode="")
        t0 = time.perf_counter()

        def update(stats):
            bar.update(task, completed=stats.articles, rate=stats.articles / max(time.perf_counter() - t0, 1e-9),
                       mode=stats.mode)

        return bar, update
    state = {"last": time.perf_counter(), "t0": time.perf_counter()}

    def log_line(stats):
        now = time.perf_counter()
        if now - state["last"] >= 10:
            state["last"] = now
            click.echo(f"vnevents: {stats.articles} articles "
                       f"({stats.articles / (now - state['t0']):.1f}/s, {stats.errors} failed) with {stats.mode}",
                       err=True)

    return None, log_line


def _iso_date(ctx, param, value):
    """--published: a real calendar date written YYYY-MM-DD."""
    if value is None:
        return None
    from datetime import date

    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD, e.g. 2017-06-30") from None


@main.command(epilog=EXAMPLES_RUN)
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(file_okay=False),
              help="Folder for mentions/events tables, articles.csv, predictions.jsonl and report.html "
                   "(created if its parent exists; never read as input).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: the number of cores). They start only once the run has "
                   "more than 1,000,000 characters to process; smaller inputs run in this process.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on an existing Dask cluster, e.g. tcp://host:8786.")
@click.option("--published", default=None, metavar="YYYY-MM-DD", callback=_iso_date,
              help="Reference date of articles that have none (no date given with the input, no dateline): "
                   "anchors their year-less dates.")
@click.option("--article-timeout", type=click.FloatRange(min=0, min_open=True), default=120, show_default=True,
              metavar="SECONDS", help="Give up (status error) an article whose extraction takes longer.")
@click.option("--dashboard", is_flag=True, help="Serve the Dask dashboard of local workers on 127.0.0.1.")
@click.option("--force", is_flag=True, help="Reprocess every article, ignoring the result cache.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, progress lines or notes.")
@click.option("--max-chars", type=click.IntRange(min=1), default=500_000, show_default=True,
              help="Refuse (status error) articles longer than this many characters.")
def run(inputs, out_dir, workers, scheduler, published, article_timeout, dashboard, force, quiet, max_chars):
    """Process INPUTS (.txt/.html files, folders of them, .jsonl files of
    {"id", "text", "published"?} records) and write the outputs.

    A published.tsv next to the inputs (columns file or id, and published)
    gives per-file publication dates.

    \b
    Exit status:
      0  every input was processed (warnings included)
      1  some inputs failed (each is listed on stderr and in articles.csv)
      2  usage error (also: an input is the --out folder or inside it)
      3  another vnevents run is writing to the same --out
      4  the output folder cannot be created or written
      5  the --scheduler cannot be reached
    """
    from .outputs import OutputError, OutputLocked
    from .runner import OutputIsInput, SchedulerError, run as run_pipeline

    if workers is None:
        workers = 1 if scheduler else (os.cpu_count() or 1)
    bar, update = _progress_printer(quiet)

    def notice(message: str) -> None:
        if not quiet:
            (bar.console.print if bar is not None else lambda m: click.echo(m, err=True))(f"note: {message}")

    if bar is not None:
        bar.start()
    try:
        stats = run_pipeline(list(inputs), out_dir, workers=workers, scheduler=scheduler, force=force,
                             progress=update, max_chars=max_chars, published=published,
                             article_timeout=article_timeout, dashboard=dashboard, notice=notice)
    except OutputIsInput as exc:
        _fail(bar, exc, EXIT_USAGE)
    except OutputLocked as exc:
        _fail(bar, exc, EXIT_OUT_LOCKED)
    except OutputError as exc:
        _fail(bar, exc, EXIT_OUT_UNUSABLE)
    except SchedulerError as exc:
        _fail(bar, exc, EXIT_SCHEDULER)
    except KeyboardInterrupt:
        _fail(bar, "interrupted; the previous outputs are unchanged and finished articles are cached "
                   "(run the same command again to resume)", 130)
    finally:
        if bar is not None:
            bar.stop()
    if not quiet:
        for path, reason in stats.skipped:
            click.echo(f"note: not read: {path} ({reason})", err=True)
    for source, message in stats.warned:
        click.echo(f"warning: {source}: {message}", err=True)
    for source, message in stats.failed:
        click.echo(f"error: {source}: {message}", err=True)
    if not quiet:
        click.echo(
            f"{stats.articles} articles ({stats.processed} processed, {stats.cached} from cache, "
            f"{stats.warnings} with warnings, {stats.errors} failed) in {stats.seconds:.1f}s with {stats.mode} "
            f"-> {out_dir}/", err=True)
    sys.exit(EXIT_INPUTS_FAILED if stats.errors else EXIT_OK)


def _fail(bar, message, code: int):
    if bar is not None:
        bar.stop()
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@main.group()
def gold() -> None:
    """Work with gold annotation files (docs/ANNOTATION.md format)."""


@gold.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path())
def gold_validate(files):
    """Check gold JSONL FILES and report every problem with its line and id.

    \b
    Example:
      vnevents gold validate corpus/gold/seeds.jsonl

    Exit status 1 when any problem is found. Files are only read, never changed.
    """
    from .gold import validate_file

    bad = 0
    for path in files:
        problems = validate_file(path)
        for problem in problems:
            click.echo(f"{path}: {problem}", err=True)
        bad += len(problems)
        if not problems:
            click.echo(f"{path}: ok")
    sys.exit(1 if bad else 0)


@gold.command("agree")
@click.argument("file_a", type=click.Path(exists=True, dir_okay=False))
@click.argument("file_b", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--errors", "n_errors", type=click.IntRange(min=0), default=0, show_default=True,
              help="Show the first N disagreements per kind (A's items missing in B are 'false negatives').")
def gold_agree(file_a, file_b, as_json, n_errors):
    """Agreement of two annotators' gold files on the articles both annotated.

    Mentions per type (strict and overlap F1, value agreement), events at
    trigger level per type, argument agreement on matched events, and
    canonical links. F1 is symmetric; precision and recall read B against A.

    \b
    Example:
      vnevents gold agree annotator_a.jsonl annotator_b.jsonl --errors 5
    """
    from .evaluate import GoldError, agreement, print_evaluation

    try:
        result, details = agreement(file_a, file_b)
    except GoldError as exc:
        for problem in exc.problems:
            click.echo(f"{exc.path}: {problem}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo(f"Agreement of {file_b} with {file_a} on {result['articles']} articles: {', '.join(result['ids'])}")
        print_evaluation(result, details, n_errors)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout instead of tables.")
@click.option("--baselines", is_flag=True,
              help="Also score dateparser, Duckling (vi), underthesea ner and plain regexes with the same scorer.")
@click.option("--errors", "n_errors", type=click.IntRange(min=0), default=0, show_default=True,
              help="Show the first N false positives, false negatives and wrong values per type, and the N largest "
                   "canonical-link errors (gold events split apart, predicted events joining several).")
def evaluate(files, as_json, baselines, n_errors):
    """Run the pipeline on each gold record of FILES and score each file separately.

    Each file is validated first; a file with problems is reported and not
    scored (exit 1).

    \b
    Examples:
      vnevents evaluate corpus/gold/seeds.jsonl corpus/gold/dev.jsonl
      vnevents evaluate corpus/gold/dev.jsonl --baselines --errors 5
      vnevents evaluate corpus/gold/seeds.jsonl --json | jq .mentions.strict.overall
    """
    from .evaluate import GoldError, print_evaluation, run_evaluation

    results, failed = {}, False
    for path in files:
        try:
            result, details = run_evaluation([path], baselines=baselines)
        except GoldError as exc:
            for problem in exc.problems:
                click.echo(f"{path}: {problem}", err=True)
            click.echo(f"{path}: not scored ({len(exc.problems)} problem(s); see vnevents gold validate)", err=True)
            failed = True
            continue
        results[path] = result
        if not as_json:
            click.echo(f"== {path}")
            print_evaluation(result, details, n_errors)
    if as_json:
        out = next(iter(results.values())) if len(files) == 1 and results else results
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--articles", "n", type=click.IntRange(min=1), default=100, show_default=True,
              help="Size N of the generated corpus (memory is also measured at 10 x N).")
@click.option("--workers", default=None, help="Worker counts to time, e.g. 1,2 (default: 1 and all cores).")
@click.option("--no-memory", is_flag=True, help="Skip the peak-memory runs at N and 10 x N.")
@click.option("--memory-only", is_flag=True, help="Only the peak-memory runs at N and 10 x N (no throughput).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--resolve", "resolve_n", type=click.IntRange(min=10), default=None,
              help="Instead: time canonical-event resolution on N and N/10 synthetic articles (statements "
                   "built from the bundled corpus's events), with peak memory and its share of a run.")
def bench(n, workers, no_memory, memory_only, as_json, resolve_n):
    """Throughput and memory on a deterministic corpus built from the bundled sentences.

    \b
    Examples:
      vnevents bench                     # N=100, 1 and all workers, memory at N and 10N
      vnevents bench --articles 500 --workers 1,2 --json
      vnevents bench --articles 2000 --memory-only   # peak RSS at 2,000 and 20,000 articles
      vnevents bench --resolve 100000    # resolution at 10,000 and 100,000 articles
    """
    from .bench import (bench as run_bench, bench_memory, bench_resolution, print_bench, print_memory,
                        print_resolution_bench)

    if memory_only and no_memory:
        raise click.UsageError("--memory-only and --no-memory exclude each other")
    if resolve_n is not None:
        result = bench_resolution(resolve_n)
        if as_json:
            click.echo(json.dumps(result, indent=2))
        else:
            print_resolution_bench(result)
        return
    if memory_only:
        result = {"articles": n, **bench_memory(n)}
        if as_json:
            click.echo(json.dumps(result, indent=2))
        else:
            print_memory(result)
        return
    counts = [int(x) for x in workers.split(",")] if workers else None
    result = run_bench(n, counts, memory=not no_memory)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        print_bench(result)


def _register_review() -> None:
    from .review import review_command

    main.add_command(review_command)


_register_review()


@main.command("export")
@click.argument("source", type=click.Path(exists=True))
@click.option("--format", "fmt", required=True, type=click.Choice(["labelstudio", "brat", "spacy", "timeml"]),
              help="labelstudio: tasks.json + labeling_config.xml; brat: .txt/.ann per article + annotation.conf; "
                   "spacy: docs.spacy (DocBin); timeml: .tml per article (DATE mentions as TIMEX3).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--labelstudio-as", "ls_as", type=click.Choice(["annotations", "predictions"]), default=None,
              help="Label Studio: results as annotations or as predictions to review "
                   "(default: predictions for a run's predictions.jsonl, annotations for a gold file).")
def export_command(source, fmt, out_dir, ls_as):
    """Export SOURCE (gold .jsonl, a run's predictions.jsonl, or an outputs folder) for another tool.

    \b
    Examples:
      vnevents export --format labelstudio outputs --out ls/        # review vnevents' output in Label Studio
      vnevents export --format brat corpus/gold/seeds.jsonl --out brat/
      vnevents export --format spacy corpus/gold/seeds.jsonl --out spacy/
      vnevents export --format timeml outputs/predictions.jsonl --out timeml/

    SOURCE is checked first (vnevents gold validate, without the gold-only
    requirements); exit status 1 if it has problems.
    """
    from .exports import export, source_path
    from .gold import validate_file

    try:
        path = source_path(source)
    except FileNotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    problems = validate_file(path, strict=False)
    if problems:
        for problem in problems:
            click.echo(f"{path}: {problem}", err=True)
        click.echo(f"{path}: not exported ({len(problems)} problem(s))", err=True)
        sys.exit(1)
    as_predictions = None if ls_as is None else ls_as == "predictions"
    written = export(fmt, path, out_dir, as_predictions=as_predictions)
    click.echo(f"{len(written)} file(s) written to {out_dir}/", err=True)


@main.group("import")
def import_group() -> None:
    """Turn another tool's annotations back into gold JSONL (validated under docs/ANNOTATION.md v2)."""


def _import(kind: str, path: str, out: str) -> None:
    from .imports import import_file

    n, problems = import_file(kind, path, out)
    for problem in problems:
        click.echo(f"{out}: {problem}" if problem.startswith("line ") else f"{path}: {problem}", err=True)
    click.echo(f"{n} article(s) written to {out}" + (f"; {len(problems)} problem(s)" if problems else "; valid gold"),
               err=True)
    sys.exit(1 if problems else 0)


@import_group.command("labelstudio")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Gold JSONL file to write.")
def import_labelstudio(file, out):
    """Turn a Label Studio JSON export (Export -> JSON) of tasks made by
    `vnevents export --format labelstudio` into gold JSONL.

    \b
    Example:
      vnevents import labelstudio project-1-at-2024-05-04.json --out reviewed.jsonl

    The file is written, then validated; every problem is reported and the
    exit status is 1 if there is any.
    """
    _import("labelstudio", file, out)


@import_group.command("brat")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Gold JSONL file to write.")
def import_brat(folder, out):
    """Turn a brat folder (as written by `vnevents export --format brat`) into gold JSONL.

    \b
    Example:
      vnevents import brat brat/ --out reviewed.jsonl
    """
    _import("brat", folder, out)


@import_group.command("spacy")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Gold JSONL file to write.")
def import_spacy(file, out):
    """Turn a DocBin written by `vnevents export --format spacy` into gold JSONL.

    \b
    Example:
      vnevents import spacy spacy/docs.spacy --out gold.jsonl
    """
    _import("spacy", file, out)


if __name__ == "__main__":  # pragma: no cover
    main()
