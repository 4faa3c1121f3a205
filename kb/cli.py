"""The `kb` command line: each command a thin wrapper over a library function."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.failures import FailureLog
from ingest.pipeline import IngestOptions, IngestSummary, ingest
from kb.cohort import CohortPage, explain_cohort, parse_where, select
from kb.errors import KBError
from kb.settings import Settings
from kb.store import Store, is_server_uri, open_store
from kb.store.base import stats as store_stats

app = typer.Typer(help="RadKB: radiology reports in, a graph of findings out, any imaging "
                       "cohort one query away.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)
out = Console()
err = Console(stderr=True, soft_wrap=True)

StoreOpt = Annotated[str, typer.Option(
    "--store", envvar="KB_STORE", show_envvar=True,
    help="Where the knowledge base lives: a path (embedded store) or bolt://… / neo4j://… (Neo4j).")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")]


def _open(uri: str, read_only: bool = False) -> Store:
    store = open_store(uri, read_only=read_only, settings=Settings())
    if read_only and not is_server_uri(uri):
        from kb.store.embedded import EmbeddedStore  # imported by open_store already

        staged = store.interrupted_load() if isinstance(store, EmbeddedStore) else None
        if staged:
            err.print(f"[yellow]note:[/yellow] {escape(uri)} is empty: a first load into it was interrupted "
                      f"and its batches wait in {escape(str(staged))}; run the same `kb ingest` again to "
                      "store them", highlight=False)
    return store


def _fail(error: Exception) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False)
    return typer.Exit(1)


@app.command("ingest")
def ingest_cmd(
    paths: Annotated[list[Path], typer.Argument(help="RadGraph JSON files (train/dev/test.json, "
                                                     "MIMIC-CXR_graphs.json, RadGraph-XL), or raw "
                                                     "reports (JSONL, CSV, MIMIC-CXR files/ folder) "
                                                     "that the extractor reads.")],
    store: StoreOpt = "./kb-store",
    on_error: Annotated[str, typer.Option(help="raise: stop at the first malformed report; "
                                               "skip: record it in --failures and go on.")] = "raise",
    failures: Annotated[Optional[Path], typer.Option(help="Write one JSON line per rejected "
                                                          "report: {\"key\", \"error\"}.")] = None,
    labeler: Annotated[str, typer.Option(help="Which annotation of a two-labeler file "
                                              "(test.json) to load.")] = "labeler_1",
    batch_size: Annotated[int, typer.Option(help="Reports per write batch.")] = 5000,
    model: Annotated[Optional[Path], typer.Option(envvar="KB_MODEL", help="Extractor model folder "
                                                  "for raw reports (default: the shipped model).")] = None,
    device: Annotated[str, typer.Option(help="Where the extractor runs: cpu, cuda or cuda:N.")] = "cpu",
) -> None:
    """Load reports into the knowledge base, keyed by study ID (re-ingest replaces a study)."""
    if on_error not in ("raise", "skip"):
        raise _fail(KBError(f"--on-error must be raise or skip, not {on_error!r}"))
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise _fail(KBError(f"no such file: {', '.join(missing)}"))
    options = IngestOptions(labeler=labeler, on_error=on_error, batch_size=batch_size,
                            model=str(model) if model else None, device=device)
    log = FailureLog(failures)
    kb: Store | None = None
    try:
        kb = _open(store)
        summary = _ingest_with_progress(paths, kb, options, log)
    except KBError as error:
        raise _fail(error) from None
    finally:
        log.close()
        if kb is not None:
            kb.close()
    err.print(summary.line(), highlight=False)
    if summary.failed:
        first = log.first[1] if log.first else ""
        err.print(f"[yellow]{summary.failed} report(s) rejected[/yellow]"
                  + (f", first: {first}" if first else "")
                  + (f"; see {failures}" if failures else "; use --failures FILE to list them"),
                  highlight=False)
        raise typer.Exit(1)


def _ingest_with_progress(paths: list[Path], kb: Store, options: IngestOptions,
                          log: FailureLog) -> IngestSummary:
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TextColumn("{task.fields[studies]:,} studies"), TextColumn("{task.fields[rate]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as bar:
        task = bar.add_task("ingest", total=None, studies=0, rate="")

        def show(s: IngestSummary) -> None:
            rate = f"{s.studies / s.seconds:,.0f} studies/s" if s.seconds else ""
            bar.update(task, total=s.bytes_total or None, completed=s.bytes_read,
                       studies=s.studies, rate=rate,
                       description="storing" if s.storing else "ingest")

        summary = ingest(paths, kb, options, log, show)
        show(summary)
    return summary


@app.command("query")
def query_cmd(
    phrase: Annotated[Optional[str], typer.Argument(help="A cohort phrase, e.g. 'definitely "
                                                         "present effusion located at left base'.")] = None,
    where: Annotated[Optional[str], typer.Option(help='A criterion as JSON, {"observation": '
        '"effusion", "certainty": ["PRESENT"], "locatedAt": ["left", "base"], "modifiers": '
        '["small"]}, or a combination {"allOf": [...], "anyOf": [...], "noneOf": [...]}.')] = None,
    store: StoreOpt = "./kb-store",
    fmt: FormatOpt = "table",
    limit: Annotated[Optional[int], typer.Option(help="At most this many studies.")] = None,
    explain: Annotated[bool, typer.Option(help="Print the parsed filter and the Cypher it runs, "
                                               "then stop.")] = False,
) -> None:
    """Select the studies matching a cohort filter, with the evidence of each."""
    try:
        if (phrase is None) == (where is None):
            raise KBError("give either --where JSON or a PHRASE")
        if phrase is not None:
            from kb.phrase import parse_phrase

            cohort = parse_phrase(phrase)
        else:
            cohort = parse_where(where or "")
        if explain:
            out.print_json(json.dumps(explain_cohort(cohort, is_server_uri(store))))
            return
        kb = _open(store, read_only=True)
        result = select(kb, cohort, limit=limit)
    except KBError as error:
        raise _fail(error) from None
    _print_cohort(result, fmt)


def _print_cohort(result: CohortPage, fmt: str) -> None:
    if fmt == "json":
        out.print_json(json.dumps(_cohort_json(result)))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["study_id", "subject_id", "evidence"])
        for s in result.studies:
            writer.writerow([s.study_id, s.subject_id or "", " | ".join(
                f"{e.text} [{e.start}:{e.end}] {e.certainty}" for e in s.evidence)])
    else:
        table = Table("study", "subject", "evidence", title=f"{result.total} studies")
        for s in result.studies:
            table.add_row(s.study_id, s.subject_id or "", "; ".join(
                f"{e.text} ({e.certainty.lower()}, {e.start}-{e.end})" for e in s.evidence))
        out.print(table)


def _cohort_json(result: CohortPage) -> dict[str, Any]:
    return {"total": result.total, "studies": [
        {"study_id": s.study_id, "subject_id": s.subject_id,
         "evidence": [{"text": e.text, "start": e.start, "end": e.end, "certainty": e.certainty,
                       "section": e.section} for e in s.evidence]} for s in result.studies]}


@app.command("terms")
def terms_cmd(
    store: StoreOpt = "./kb-store",
    kind: Annotated[str, typer.Option(help="observation or anatomy.")] = "observation",
    prefix: Annotated[str, typer.Option(help="Only terms starting with this.")] = "",
    limit: Annotated[int, typer.Option(help="How many terms.")] = 50,
    fmt: FormatOpt = "table",
) -> None:
    """The vocabulary in use: canonical terms with the number of studies mentioning each, and
    the spellings that the vocabulary maps to them."""
    from kb.cypher import statement
    from kb.terms import normalize_term
    from kb.vocabulary import vocabulary

    if kind not in ("observation", "anatomy"):
        raise _fail(KBError(f"--kind must be observation or anatomy, not {kind!r}"))
    try:
        rows = _open(store, read_only=True).read(statement(f"read/{kind}_terms"),
                                                 {"prefix": normalize_term(prefix), "limit": limit})
    except KBError as error:
        raise _fail(error) from None
    spellings = vocabulary().spellings(kind)
    found = [{"term": r["term"], "studies": int(r["studies"]),
              "spellings": sorted(spellings.get(r["term"], []))} for r in rows]
    if fmt == "json":
        out.print_json(json.dumps({"vocabulary_version": vocabulary().version, "terms": found}))
        return
    table = Table("term", "studies", "also written", title=f"{kind} terms (vocabulary v{vocabulary().version})")
    for row in found:
        table.add_row(row["term"], f"{row['studies']:,}", ", ".join(row["spellings"]))
    out.print(table)


@app.command("stats")
def stats_cmd(store: StoreOpt = "./kb-store", fmt: FormatOpt = "table",
              top: Annotated[int, typer.Option(help="How many top terms.")] = 10) -> None:
    """Size of the knowledge base: studies, mentions by type and certainty, top terms."""
    try:
        numbers = store_stats(_open(store, read_only=True), top)
    except KBError as error:
        raise _fail(error) from None
    if fmt == "json":
        out.print_json(json.dumps(numbers))
        return
    table = Table("what", "count", title=f"knowledge base at {store}")
    for key in ("studies", "observations", "anatomies", "relations"):
        table.add_row(key, f"{numbers[key]:,}")
    for key, n in {**numbers["observations_by_certainty"], **numbers["relations_by_type"]}.items():
        table.add_row(f"  {key}", f"{n:,}")
    out.print(table)
    terms = Table("present term", "studies", title="top present terms")
    for row in numbers["top_present_terms"]:
        terms.add_row(row["term"], f"{row['studies']:,}")
    out.print(terms)


@app.command("cypher")
def cypher_cmd(
    query: Annotated[str, typer.Argument(help="A read-only Cypher query.")],
    store: StoreOpt = "./kb-store",
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", help="NAME=VALUE; VALUE is read as JSON when it parses, else as a string.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Run a read query against the knowledge base and print its rows."""
    try:
        params = dict(_param(p) for p in param or [])
        rows = _open(store, read_only=True).read(query, params)
    except KBError as error:
        raise _fail(error) from None
    if fmt == "json":
        out.print_json(json.dumps(rows, default=str))
        return
    table = Table(*(rows[0].keys() if rows else ["(no rows)"]))
    for row in rows:
        table.add_row(*(json.dumps(v, default=str) if not isinstance(v, str) else v for v in row.values()))
    out.print(table)


def _param(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise KBError(f"--param wants NAME=VALUE, got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


from kb.extractor.cli import register as _register_extractor
_register_extractor(app)


@app.command("serve")
def serve_cmd(
    store: StoreOpt = "./kb-store",
    host: Annotated[str, typer.Option(envvar="KB_HOST", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="KB_PORT", help="Port to listen on.")] = 8000,
    access_log: Annotated[bool, typer.Option(help="Log every request (costs CPU under load).")] = False,
    workers: Annotated[int, typer.Option(help="Server processes (each opens the store read-only).")] = 1,
) -> None:
    """Serve the GraphQL API (/graphql), the cohort export (/cohort.csv) and /health over the
    store, opened read-only. Limits and the API key come from KB_* settings (see README)."""
    try:
        from api.cli import serve  # the api package and its extra load only for this command
    except ModuleNotFoundError as error:
        raise _fail(KBError(f"kb serve needs the api extra ({error.name} is missing): "
                            "pip install 'radkb[api]'")) from None
    try:
        serve(store, host, port, access_log, workers)
    except KBError as error:
        raise _fail(error) from None
