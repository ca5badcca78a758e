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
  vnevents run big-crawl/ --workers 8          # 8 local worker processes
  vnevents run big-crawl/ --scheduler tcp://10.0.0.5:8786   # a Dask cluster
"""


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
                       TextColumn("{task.fields[rate]:.1f}/s"), TimeRemainingColumn(), transient=True)
        task = bar.add_task("run", total=None, rate=0.0)
        t0 = time.perf_counter()

        def update(stats):
            bar.update(task, completed=stats.articles, rate=stats.articles / max(time.perf_counter() - t0, 1e-9))

        return bar, update
    state = {"last": time.perf_counter(), "t0": time.perf_counter()}

    def log_line(stats):
        now = time.perf_counter()
        if now - state["last"] >= 10:
            state["last"] = now
            click.echo(f"vnevents: {stats.articles} articles "
                       f"({stats.articles / (now - state['t0']):.1f}/s, {stats.errors} failed)", err=True)

    return None, log_line


@main.command(epilog=EXAMPLES_RUN)
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(file_okay=False),
              help="Folder for mentions/events tables, articles.csv, predictions.jsonl and report.html.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: the number of cores).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on an existing Dask cluster, e.g. tcp://host:8786.")
@click.option("--force", is_flag=True, help="Reprocess every article, ignoring the result cache.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or progress lines.")
@click.option("--max-chars", type=click.IntRange(min=1), default=500_000, show_default=True,
              help="Refuse (status error) articles longer than this many characters.")
def run(inputs, out_dir, workers, scheduler, force, quiet, max_chars):
    """Process INPUTS (.txt/.html files, folders of them, .jsonl files of
    {"id", "text", "published"?} records) and write the outputs.

    Exit status: 0 when every input was processed (warnings included), 1 when
    some inputs failed (each is listed on stderr and in articles.csv), 2 for a
    usage error.
    """
    from .runner import run as run_pipeline

    if workers is None:
        workers = 1 if scheduler else (os.cpu_count() or 1)
    bar, update = _progress_printer(quiet)
    if bar is not None:
        bar.start()
    try:
        stats = run_pipeline(list(inputs), out_dir, workers=workers, scheduler=scheduler, force=force,
                             progress=update, max_chars=max_chars)
    finally:
        if bar is not None:
            bar.stop()
    for source, message in stats.warned:
        click.echo(f"warning: {source}: {message}", err=True)
    for source, message in stats.failed:
        click.echo(f"error: {source}: {message}", err=True)
    if not quiet:
        click.echo(
            f"{stats.articles} articles ({stats.processed} processed, {stats.cached} from cache, "
            f"{stats.warnings} with warnings, {stats.errors} failed) in {stats.seconds:.1f}s -> {out_dir}/",
            err=True)
    sys.exit(1 if stats.errors else 0)


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
              help="Also score dateparser, underthesea ner and plain regexes with the same scorer.")
@click.option("--errors", "n_errors", type=click.IntRange(min=0), default=0, show_default=True,
              help="Show the first N false positives, false negatives and wrong values per type.")
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
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def bench(n, workers, no_memory, as_json):
    """Throughput and memory on a deterministic corpus built from the bundled sentences.

    \b
    Examples:
      vnevents bench                     # N=100, 1 and all workers, memory at N and 10N
      vnevents bench --articles 500 --workers 1,2 --json
    """
    from .bench import bench as run_bench, print_bench

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

if __name__ == "__main__":  # pragma: no cover
    main()
