"""Scoring predictions against gold, as docs/ANNOTATION.md "Scoring" defines.

* Mentions, per type and overall: precision, recall, F1 for *strict* match (same
  start, end, type) and *overlap* match (same type, spans overlap; one-to-one).
* Value accuracy per type: among strict matches, the share whose value (and
  ``mod``, ``doc_type``) equals the gold one.
* Events: a prediction matches a gold event of the same type whose trigger
  overlaps (one-to-one); P/R/F1, and argument accuracy on matched pairs: the
  date value, the agent's value, the sets of institution, document, percent
  and quantity values, ``status``, and the object (overlap and exact span).
* Canonical links: among matched events across the whole file, pairwise
  precision, recall and F1 of "same real-world event" (two statements share a
  ``canonical`` key).

The counting uses spaCy's ``PRFScore``. The matching is written here because
the guidelines allow nested INSTITUTION mentions, which flat-span scorers
(nervaluate, spaCy's span scorer over non-overlapping entities) do not model,
and because values and events are specific to these guidelines.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from spacy.scorer import PRFScore

from .gold import EVENT_TYPES, MENTION_TYPES


@dataclass
class MentionScores:
    strict: dict[str, PRFScore] = field(default_factory=lambda: {t: PRFScore() for t in (*MENTION_TYPES, "overall")})
    overlap: dict[str, PRFScore] = field(default_factory=lambda: {t: PRFScore() for t in (*MENTION_TYPES, "overall")})
    value_ok: dict[str, int] = field(default_factory=lambda: {t: 0 for t in MENTION_TYPES})
    value_n: dict[str, int] = field(default_factory=lambda: {t: 0 for t in MENTION_TYPES})
    false_pos: dict[str, list] = field(default_factory=lambda: {t: [] for t in MENTION_TYPES})
    false_neg: dict[str, list] = field(default_factory=lambda: {t: [] for t in MENTION_TYPES})
    wrong_value: dict[str, list] = field(default_factory=lambda: {t: [] for t in MENTION_TYPES})


def _numbers(v: Any) -> list[float]:
    return [float(x) for x in (v if isinstance(v, list) else [v])]


def same_quantity(g: Any, p: Any) -> bool:
    """QUANTITY values agree: the same unit and numbers within 0.1 %."""
    try:
        gn, pn = _numbers(g["number"]), _numbers(p["number"])
        return g["unit"] == p["unit"] and len(gn) == len(pn) and all(
            math.isclose(a, b, rel_tol=1e-3) for a, b in zip(gn, pn))
    except (TypeError, ValueError, KeyError):
        return False


def _same_value(t: str, gold: dict, pred: dict) -> bool:
    g, p = gold.get("value"), pred.get("value")
    if t == "QUANTITY":
        return same_quantity(g, p)
    if t == "PERCENT":
        gl = g if isinstance(g, list) else [g, g]
        pl = p if isinstance(p, list) else [p, p]
        try:
            ok = all(math.isclose(float(a), float(b), abs_tol=1e-9) for a, b in zip(gl, pl))
        except (TypeError, ValueError):
            ok = False
    else:
        ok = g == p
    if t == "DATE":
        ok = ok and gold.get("mod") == pred.get("mod")
    if t == "DOCREF":
        ok = ok and gold.get("doc_type") == pred.get("doc_type")
    return ok


def _overlap(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def score_mentions(pairs: Iterable[tuple[dict, dict]], scores: MentionScores | None = None) -> MentionScores:
    """Accumulate mention scores over (gold record, predicted record) pairs."""
    scores = scores or MentionScores()
    for gold, pred in pairs:
        text = gold["text"]
        for t in MENTION_TYPES:
            gm = [m for m in gold["mentions"] if m["type"] == t]
            pm = [m for m in pred["mentions"] if m["type"] == t]
            gkeys = {(m["start"], m["end"]): m for m in gm}
            pkeys = {(m["start"], m["end"]): m for m in pm}
            tp = set(gkeys) & set(pkeys)
            for key, score in ((t, scores.strict[t]), ("overall", scores.strict["overall"])):
                score.tp += len(tp)
                score.fp += len(pkeys) - len(tp)
                score.fn += len(gkeys) - len(tp)
            for k in tp:
                scores.value_n[t] += 1
                if _same_value(t, gkeys[k], pkeys[k]):
                    scores.value_ok[t] += 1
                else:
                    scores.wrong_value[t].append((gold["id"], text, gkeys[k], pkeys[k]))
            scores.false_pos[t] += [(gold["id"], text, pkeys[k]) for k in sorted(set(pkeys) - tp)]
            scores.false_neg[t] += [(gold["id"], text, gkeys[k]) for k in sorted(set(gkeys) - tp)]
            used: set[int] = set()
            matched = 0
            for p in pm:
                for i, g in enumerate(gm):
                    if i not in used and _overlap(p, g):
                        used.add(i)
                        matched += 1
                        break
            for score in (scores.overlap[t], scores.overlap["overall"]):
                score.tp += matched
                score.fp += len(pm) - matched
                score.fn += len(gm) - matched
    return scores


ARGUMENTS = ("date", "agent", "institutions", "documents", "percents", "quantities", "status",
             "object_overlap", "object_exact")


@dataclass
class EventScores:
    prf: PRFScore = field(default_factory=PRFScore)
    per_type: dict[str, PRFScore] = field(default_factory=lambda: {t: PRFScore() for t in EVENT_TYPES})
    args_ok: dict[str, int] = field(default_factory=lambda: {k: 0 for k in ARGUMENTS})
    matched: int = 0
    false_pos: list = field(default_factory=list)
    false_neg: list = field(default_factory=list)
    wrong_args: list = field(default_factory=list)
    links: list = field(default_factory=list)  # (gold canonical, predicted canonical) of each matched pair
    linked: list = field(default_factory=list)  # (article id, text, gold event) of each matched pair, as links


def _arg_values(rec: dict, ev: dict) -> dict[str, Any]:
    ms = rec["mentions"]

    def val(m):
        v = m.get("value")
        return tuple(v) if isinstance(v, list) else v

    def quantity(i):
        v = ms[i].get("value") or {}
        return (v.get("unit"), tuple(round(x, 6) for x in _numbers(v.get("number"))))

    agent = ev.get("agent")
    return {
        "date": val(ms[ev["date"]]) if ev.get("date") is not None else None,
        "agent": val(ms[agent]) if agent is not None else None,
        "institutions": frozenset(val(ms[i]) for i in ev.get("institutions", [])),
        "documents": frozenset(val(ms[i]) for i in ev.get("documents", [])),
        "percents": frozenset(float(x) for i in ev.get("percents", [])
                              for x in (ms[i]["value"] if isinstance(ms[i]["value"], list) else [ms[i]["value"]])),
        "quantities": sorted(quantity(i) for i in ev.get("quantities", [])),
        "status": ev.get("status"),
        "object": ev.get("object"),
    }


def _same_quantities(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        ua == ub and len(na) == len(nb) and all(math.isclose(x, y, rel_tol=1e-3) for x, y in zip(na, nb))
        for (ua, na), (ub, nb) in zip(a, b))


def _compare(gv: dict, pv: dict) -> dict[str, bool]:
    go, po = gv["object"], pv["object"]
    return {
        **{k: gv[k] == pv[k] for k in ("date", "agent", "institutions", "documents", "percents", "status")},
        "quantities": _same_quantities(gv["quantities"], pv["quantities"]),
        "object_overlap": (go is None and po is None) or (go is not None and po is not None and _overlap(go, po)),
        "object_exact": (go is None and po is None) or (go is not None and po is not None
                                                         and (go["start"], go["end"]) == (po["start"], po["end"])),
    }


def score_events(pairs: Iterable[tuple[dict, dict]], scores: EventScores | None = None) -> EventScores:
    """Accumulate event scores over (gold record, predicted record) pairs."""
    scores = scores or EventScores()
    for gold, pred in pairs:
        used: set[int] = set()
        for pe in pred.get("events", []):
            hit = None
            for i, ge in enumerate(gold.get("events", [])):
                if i not in used and ge["type"] == pe["type"] and _overlap(ge["trigger"], pe["trigger"]):
                    hit = i
                    break
            if hit is None:
                scores.prf.fp += 1
                scores.per_type.setdefault(pe["type"], PRFScore()).fp += 1
                scores.false_pos.append((gold["id"], gold["text"], pe))
                continue
            used.add(hit)
            ge = gold["events"][hit]
            scores.prf.tp += 1
            scores.per_type[pe["type"]].tp += 1
            scores.matched += 1
            gv, pv = _arg_values(gold, ge), _arg_values(pred, pe)
            wrong = []
            for key, ok in _compare(gv, pv).items():
                scores.args_ok[key] += ok
                if not ok and key != "object_exact":
                    wrong.append(key)
            if wrong:
                scores.wrong_args.append((gold["id"], gold["text"], ge, pe, gv, pv, wrong))
            scores.links.append((ge.get("canonical"), pe.get("canonical")))
            scores.linked.append((gold["id"], gold["text"], ge))
        for i, ge in enumerate(gold.get("events", [])):
            if i not in used:
                scores.prf.fn += 1
                scores.per_type[ge["type"]].fn += 1
                scores.false_neg.append((gold["id"], gold["text"], ge))
    return scores


def link_scores(links: list[tuple[Any, Any]]) -> PRFScore:
    """Pairwise P/R/F1 of "same real-world event" among matched events.

    A pair of matched events is linked in gold when their gold ``canonical``
    keys are equal, and linked by the system when the predicted keys are. A
    missing key links to nothing.
    """
    from collections import Counter

    def pairs(counter: Counter) -> int:
        return sum(n * (n - 1) // 2 for key, n in counter.items() if key[0] is not None and key[-1] is not None)

    gold = Counter((g,) for g, _ in links)
    pred = Counter((p,) for _, p in links)
    both = Counter((g, p) for g, p in links)
    score = PRFScore()
    score.tp = pairs(both)
    score.fp = pairs(pred) - score.tp
    score.fn = pairs(gold) - score.tp
    return score


def link_errors(scores: EventScores) -> tuple[list, list]:
    """The canonical-link errors among matched events: (split, joined).

    ``split``: one list per gold key whose statements the system gave more than
    one id, of (predicted id, article id, text, gold event), with the number
    of missed links first; ``joined``: the same per predicted id that holds
    statements of more than one gold key, with the number of wrong links.
    Largest first.
    """
    from collections import defaultdict

    by_gold: dict = defaultdict(list)
    by_pred: dict = defaultdict(list)
    for (g, p), (aid, text, ev) in zip(scores.links, scores.linked):
        if g is not None:
            by_gold[g].append((p, aid, text, ev))
        if p is not None:
            by_pred[p].append((g, aid, text, ev))

    def apart(items: list) -> int:
        return sum(1 for x in range(len(items)) for y in range(x) if items[x][0] != items[y][0] or items[x][0] is None)

    split = [(apart(v), k, v) for k, v in by_gold.items() if apart(v)]
    joined = [(apart(v), k, v) for k, v in by_pred.items() if apart(v)]
    return sorted(split, key=lambda t: -t[0]), sorted(joined, key=lambda t: -t[0])


def _prf(score: PRFScore) -> dict[str, float]:
    return {"p": round(score.precision, 4), "r": round(score.recall, 4), "f1": round(score.fscore, 4),
            "tp": score.tp, "fp": score.fp, "fn": score.fn}


def mention_summary(scores: MentionScores) -> dict:
    """The ``mentions`` object of the JSON report."""
    return {
        "strict": {t: _prf(s) for t, s in scores.strict.items()},
        "overlap": {t: _prf(s) for t, s in scores.overlap.items()},
        "value_accuracy": {t: round(scores.value_ok[t] / scores.value_n[t], 4) if scores.value_n[t] else None
                           for t in MENTION_TYPES},
    }


def event_summary(scores: EventScores) -> dict:
    """The ``events`` object of the JSON report."""
    out = _prf(scores.prf)
    out["per_type"] = {t: _prf(s) for t, s in scores.per_type.items()}
    out["argument_accuracy"] = {k: round(v / scores.matched, 4) if scores.matched else None
                                for k, v in scores.args_ok.items()}
    out["canonical_links"] = _prf(link_scores(scores.links))
    return out


def context(text: str, start: int, end: int, width: int = 50) -> str:
    """The mention with its surroundings on one line: ``… left [mention] right …``."""
    left = text[max(0, start - width):start].replace("\n", " ")
    right = text[end:end + width].replace("\n", " ")
    return f"…{left}[{text[start:end]}]{right}…"


def evaluate(gold: list[dict], predict: Callable[[dict], dict]) -> tuple[dict, MentionScores, EventScores]:
    """Run ``predict`` on each gold record and score it: (summary, mention scores, event scores).

    The predictions' ``canonical`` keys are the canonical events resolved over
    the whole file (pipeline.resolve), as a run over those articles gives them.
    """
    from .resolve import resolve_records

    preds = [predict(g) for g in gold]
    resolve_records(preds)
    ms = score_mentions(zip(gold, preds))
    es = score_events(zip(gold, preds))
    return {"mentions": mention_summary(ms), "events": event_summary(es)}, ms, es


def predict_record(gold: dict) -> dict:
    """vnevents' prediction for a gold record (its text and published date)."""
    from .nlp import extract
    from .records import doc_to_record

    doc = extract(gold["text"], published=gold.get("published"), article_id=gold["id"])
    return doc_to_record(doc, id=gold["id"], source=gold.get("source", ""), published=doc._.published)


class GoldError(ValueError):
    """A gold file that does not validate: it is not scored."""

    def __init__(self, path: str, problems: list) -> None:
        self.path, self.problems = path, problems
        super().__init__(f"{path}: {len(problems)} problem(s); first: {problems[0]}")


def run_evaluation(files: list[str], *, baselines: bool = False) -> tuple[dict, dict]:
    """Score vnevents (and, with ``baselines``, each baseline) on gold files.

    Returns the JSON-able summary and the detailed scores (for error listings).
    """
    import time

    from .gold import read_gold, validate_file

    for path in files:
        problems = validate_file(path)
        if problems:
            raise GoldError(path, problems)
    gold = [rec for path in files for _, rec in read_gold(path)]
    t0 = time.perf_counter()
    summary, ms, es = evaluate(gold, predict_record)
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    summary["articles"] = len(gold)
    details = {"mentions": ms, "events": es}
    if baselines:
        from .baselines import BASELINES

        summary["baselines"] = {}
        for name, (mtype, func) in BASELINES.items():
            t0 = time.perf_counter()
            preds = [func(g) for g in gold]
            seconds = time.perf_counter() - t0
            bs = mention_summary(score_mentions(zip(gold, preds)))
            summary["baselines"][name] = {"type": mtype, "strict": bs["strict"][mtype],
                                          "overlap": bs["overlap"][mtype],
                                          "value_accuracy": bs["value_accuracy"][mtype],
                                          "seconds": round(seconds, 3)}
    return summary, details


def agreement(file_a: str, file_b: str) -> tuple[dict, dict]:
    """Inter-annotator agreement of two gold files on the records they share.

    The scores of B against A with the evaluator's own scorer: F1 is symmetric,
    so the mention and event F1 figures are the agreement (A's precision is
    B's recall). Texts must be identical for a record to be compared.
    """
    from .gold import read_gold, validate_file

    for path in (file_a, file_b):
        problems = validate_file(path)
        if problems:
            raise GoldError(path, problems)
    a = {r["id"]: r for _, r in read_gold(file_a)}
    b = {r["id"]: r for _, r in read_gold(file_b)}
    shared = [i for i in a if i in b and a[i]["text"] == b[i]["text"]]
    pairs = [(a[i], b[i]) for i in shared]
    ms = score_mentions(pairs)
    es = score_events(pairs)
    summary = {"mentions": mention_summary(ms), "events": event_summary(es), "articles": len(shared),
               "ids": shared, "seconds": 0.0}
    return summary, {"mentions": ms, "events": es}


def print_evaluation(summary: dict, details: dict, n_errors: int = 0) -> None:
    """Readable tables of a summary (rich), and the first ``n_errors`` errors per type."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    m = summary["mentions"]
    table = Table(title=f"Mentions ({summary['articles']} articles, {summary['seconds']:.1f}s)")
    for col in ("type", "strict P", "strict R", "strict F1", "overlap F1", "value acc.", "gold", "predicted"):
        table.add_column(col, justify="right" if col != "type" else "left")
    for t in (*MENTION_TYPES, "overall"):
        s, o = m["strict"][t], m["overlap"][t]
        va = m["value_accuracy"].get(t)
        table.add_row(t, f"{s['p']:.3f}", f"{s['r']:.3f}", f"{s['f1']:.3f}", f"{o['f1']:.3f}",
                      "" if va is None else f"{va:.3f}", str(s["tp"] + s["fn"]), str(s["tp"] + s["fp"]))
    console.print(table)
    e = summary["events"]
    et = Table(title="Events (type + overlapping trigger)")
    for col in ("type", "P", "R", "F1", "gold", "predicted"):
        et.add_column(col, justify="right" if col != "type" else "left")
    for t, s in [*e["per_type"].items(), ("overall", e)]:
        et.add_row(t, f"{s['p']:.3f}", f"{s['r']:.3f}", f"{s['f1']:.3f}", str(s["tp"] + s["fn"]), str(s["tp"] + s["fp"]))
    console.print(et)
    args = ", ".join(f"{k} {'' if v is None else f'{v:.3f}'}" for k, v in e["argument_accuracy"].items())
    console.print(f"Event argument accuracy on matched events: {args}")
    cl = e.get("canonical_links")
    if cl:
        console.print(f"Canonical links (pairwise, among matched events): P {cl['p']:.3f} R {cl['r']:.3f} "
                      f"F1 {cl['f1']:.3f} (gold links {cl['tp'] + cl['fn']}, predicted {cl['tp'] + cl['fp']})")
    if "baselines" in summary:
        bt = Table(title="vnevents against the baselines (same gold, same scorer)")
        for col in ("type", "system", "strict P", "strict R", "strict F1", "overlap F1", "value acc.", "seconds"):
            bt.add_column(col, justify="left" if col in ("type", "system") else "right")
        for name, b in summary["baselines"].items():
            t = b["type"]
            s, o = m["strict"][t], m["overlap"][t]
            va = m["value_accuracy"][t]
            bt.add_row(t, "vnevents", f"{s['p']:.3f}", f"{s['r']:.3f}", f"{s['f1']:.3f}", f"{o['f1']:.3f}",
                       "" if va is None else f"{va:.3f}", f"{summary['seconds']:.2f} (all types)")
            bva = b["value_accuracy"]
            bt.add_row("", name, f"{b['strict']['p']:.3f}", f"{b['strict']['r']:.3f}", f"{b['strict']['f1']:.3f}",
                       f"{b['overlap']['f1']:.3f}", "" if bva is None else f"{bva:.3f}", f"{b['seconds']:.2f}")
        console.print(bt)
    if n_errors:
        ms: MentionScores = details["mentions"]
        for t in MENTION_TYPES:
            for title, items in (("false positives", ms.false_pos[t]), ("false negatives", ms.false_neg[t])):
                if items:
                    console.print(f"[bold]{t} {title}[/bold] ({len(items)})")
                    for gid, text, mm in items[:n_errors]:
                        console.print(f"  {gid}: {context(text, mm['start'], mm['end'])}  value={mm.get('value')!r}",
                                      markup=False)
            if ms.wrong_value[t]:
                console.print(f"[bold]{t} wrong values[/bold] ({len(ms.wrong_value[t])})")
                for gid, text, g, p in ms.wrong_value[t][:n_errors]:
                    console.print(f"  {gid}: {g['text']!r} gold={g.get('value')!r} {g.get('mod') or g.get('doc_type') or ''}"
                                  f" predicted={p.get('value')!r} {p.get('mod') or p.get('doc_type') or ''}", markup=False)
        es: EventScores = details["events"]
        for title, items in (("false positives", es.false_pos), ("false negatives", es.false_neg)):
            if items:
                console.print(f"[bold]EVENT {title}[/bold] ({len(items)})")
                for gid, text, ev in items[:n_errors]:
                    tr = ev["trigger"]
                    console.print(f"  {gid}: {ev['type']} {context(text, tr['start'], tr['end'])}", markup=False)
        split, joined = link_errors(es)
        for title, groups, what in (("canonical links missed (one gold event, several ids)", split, "missed"),
                                    ("canonical links wrong (one id, several gold events)", joined, "wrong")):
            if groups:
                console.print(f"[bold]EVENT {title}[/bold] ({sum(n for n, _, _ in groups)} links)")
                for n, key, items in groups[:n_errors]:
                    console.print(f"  {key} ({n} {what}):", markup=False)
                    for other, gid, text, ev in items:
                        tr = ev["trigger"]
                        console.print(f"    {other}  {gid}: {ev['type']} {context(text, tr['start'], tr['end'], 40)}",
                                      markup=False)
        by_arg: dict[str, list] = {}
        for item in es.wrong_args:
            for key in item[-1]:
                by_arg.setdefault(key, []).append(item)
        for key, items in by_arg.items():
            console.print(f"[bold]EVENT wrong {key}[/bold] ({len(items)})")
            for gid, text, ge, pe, gv, pv, _ in items[:n_errors]:
                tr = ge["trigger"]
                name = "object" if key.startswith("object") else key

                def show(v, rec_text=text):
                    if isinstance(v, dict) and "start" in v:
                        return repr(rec_text[v["start"]:v["end"]])
                    if isinstance(v, frozenset):
                        return repr(sorted(v, key=str))
                    return repr(v)
                console.print(f"  {gid}: {ge['type']} {context(text, tr['start'], tr['end'], 30)}  "
                              f"gold={show(gv[name])} predicted={show(pv[name])}", markup=False)
