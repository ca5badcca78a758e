"""Language data: the tab-separated files in ``pipeline/resources/``.

Every rule reads its words (institution names, document types, issuer codes,
date words, trigger words, units, boilerplate lines) from these files; nothing
Vietnamese is hard-coded in the rules beyond the shape of numbers. Files are
read once per process (``functools.cache``), so worker processes pay the cost
once, not per article.

File format: UTF-8, first non-comment line is the header, ``#`` starts a
comment line, cells are separated by a tab, lists inside a cell by ``|``.
"""
from __future__ import annotations

import csv
import hashlib
from functools import cache
from pathlib import Path

RESOURCE_DIR = Path(__file__).parent / "resources"


def split_list(cell: str | None) -> list[str]:
    """Split a ``a | b | c`` cell into its stripped, non-empty items."""
    if not cell:
        return []
    return [item.strip() for item in cell.split("|") if item.strip()]


@cache
def load_table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``resources/<name>.tsv`` as dicts keyed by the header (cached)."""
    path = RESOURCE_DIR / f"{name}.tsv"
    with path.open(encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    rows = []
    for row in reader:
        rows.append({k.strip(): (v or "").strip() for k, v in row.items() if k})
    return tuple(rows)


@cache
def words(name: str, column: str = "word") -> frozenset[str]:
    """The set of values of one column of a resource table."""
    return frozenset(row[column] for row in load_table(name) if row.get(column))


@cache
def resources_fingerprint() -> str:
    """A hash of every resource file: part of the cache key of a result."""
    digest = hashlib.sha256()
    for path in sorted(RESOURCE_DIR.glob("*.tsv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
