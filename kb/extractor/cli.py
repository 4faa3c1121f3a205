"""`kb train`, `kb evaluate` and `kb extract`: thin wrappers over kb.extractor.

PyTorch and transformers are imported inside the commands, so `kb query` never pays for them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kb.errors import InputError, KBError, ReportError
from kb.extractor import require_extract
from kb.extractor.config import DEFAULT_ENCODER
from kb.extractor.text import Document, radgraph_document, raw_document
from kb.report import Entity, Report

if TYPE_CHECKING:
    from kb.extractor.evaluate import Scores
    from kb.extractor.extract import Extractor

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
_BLOCK = 2048  # reports read, sorted by length and extracted at a time

ModelOpt = Annotated[Optional[Path], typer.Option(
    "--model", envvar="KB_MODEL", help="A model folder from `kb train` (default: the model "
                                       "shipped in kb/extractor/default).")]
EncoderOpt = Annotated[Optional[str], typer.Option(
    help="The encoder: a local Hugging Face model folder. For `train`, the default is the MiniLM "
         f"of the pip package {DEFAULT_ENCODER}; for `extract`, where the model's encoder now lives.")]
DeviceOpt = Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")]


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
    app.command("evaluate")(evaluate_cmd)
    app.command("extract")(extract_cmd)


def _fail(error: Exception) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(str(error))}", highlight=False)
    return typer.Exit(1)


# --- train ------------------------------------------------------------------------------------

def train_cmd(
    train: Annotated[Path, typer.Option("--train", help="RadGraph JSON to learn from.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to save the model in.")],
    dev: Annotated[Optional[Path], typer.Option(help="RadGraph JSON for early stopping "
                                                     "(on relation F1).")] = None,
    encoder: EncoderOpt = None,
    epochs: Annotated[int, typer.Option(help="At most this many epochs (the learning rate decays to 0 "
                                             "over them).")] = 15,
    patience: Annotated[int, typer.Option(help="Stop after this many epochs without a better "
                                               "dev relation F1.")] = 5,
    batch_size: Annotated[int, typer.Option(help="Reports per step.")] = 4,
    lr: Annotated[float, typer.Option(help="Learning rate of the encoder.")] = 1e-4,
    head_lr: Annotated[float, typer.Option(help="Learning rate of the span and pair heads.")] = 1e-3,
    seed: Annotated[int, typer.Option(help="Random seed (initialisation, data order).")] = 13,
    max_minutes: Annotated[Optional[float], typer.Option(help="Stop after the epoch that "
                                                                "passes this time.")] = None,
    device: DeviceOpt = "cpu",
    labeler: Annotated[str, typer.Option(help="Annotation to learn from in a two-labeler "
                                              "file.")] = "labeler_1",
    name: Annotated[str, typer.Option(help="Model name stored on every Study it extracts.")]
        = "radkb-span-minilm",
) -> None:
    """Train a span-based entity and relation extractor on RadGraph-format JSON."""
    try:
        require_extract()
        from kb.extractor.config import ModelConfig
        from kb.extractor.train import TrainOptions, train as run
        from kb.radgraph import read_radgraph

        train_reports = list(read_radgraph(train, labeler))
        dev_reports = list(read_radgraph(dev, labeler)) if dev else None
        config = ModelConfig(name=name, encoder=_encoder_reference(encoder))
        options = TrainOptions(epochs=epochs, batch_size=batch_size, lr=lr, head_lr=head_lr,
                               patience=patience, seed=seed, max_minutes=max_minutes, device=device)
        err.print(f"training on {len(train_reports)} reports"
                  + (f", early stopping on {len(dev_reports)} dev reports" if dev_reports else ""),
                  highlight=False)
        with _Progress("train") as bar:
            result = run(train_reports, dev_reports, out_dir, config, options,
                         on_step=bar.step, on_epoch=bar.epoch)
    except (KBError, FileNotFoundError) as error:
        raise _fail(error) from None
    dev_line = (f"; dev entity F1 {result.dev.entity.f1:.4f}, relation F1 {result.dev.relation.f1:.4f}"
                if result.dev else "")
    err.print(f"saved {out_dir} (best epoch {result.best_epoch} of {result.epochs_run}{dev_line}) "
              f"in {result.seconds / 60:.1f} min", highlight=False)


def _encoder_reference(encoder: str | None) -> str:
    if encoder is None:
        return DEFAULT_ENCODER
    folder = Path(encoder).expanduser()
    if not folder.is_dir():
        raise InputError(f"--encoder {encoder}: not a folder; give a local Hugging Face model folder")
    return str(folder.resolve())


class _Progress:
    """Steps of the current epoch as a bar; one line per finished epoch."""

    def __init__(self, what: str) -> None:
        self.bar = Progress(TextColumn(f"[bold]{what}"), TextColumn("epoch {task.fields[epoch]}"),
                            BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"),
                            TimeElapsedColumn(), console=err, transient=True,
                            disable=not err.is_terminal)
        self.task = self.bar.add_task(what, total=None, epoch=1, loss="")
        self.epoch_no = 1

    def __enter__(self) -> _Progress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def step(self, step: int, steps: int, loss: float) -> None:
        self.bar.update(self.task, completed=step, total=steps, epoch=self.epoch_no, loss=f"{loss:.4f}")

    def epoch(self, log: Any) -> None:
        dev = (f"  dev entity F1 {log.dev.entity.f1:.4f} relation F1 {log.dev.relation.f1:.4f}"
               if log.dev else "")
        self.bar.console.print(f"epoch {log.epoch:>2}  loss {log.loss:.4f}{dev}"
                               f"{'  (best)' if log.best else ''}  {log.seconds:.0f} s", highlight=False)
        self.epoch_no = log.epoch + 1


# --- evaluate ---------------------------------------------------------------------------------

def evaluate_cmd(
    gold: Annotated[Path, typer.Argument(help="Gold RadGraph JSON (test.json with two labelers "
                                              "is scored against each and their mean).")],
    pred: Annotated[Path, typer.Argument(help="Predicted RadGraph JSON (e.g. from `kb extract "
                                              "GOLD --out PRED.json`).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Entity and relation micro F1 (exact span and type), per-label F1 and F1RadGraph rewards."""
    from kb.extractor.evaluate import evaluate_files, mean_scores

    try:
        scores = evaluate_files(gold, pred)
    except (KBError, FileNotFoundError) as error:
        raise _fail(error) from None
    if fmt == "json":
        answer: dict[str, Any] = {k: v.to_json() for k, v in scores.items()}
        if len(scores) > 1:
            answer["mean"] = mean_scores(scores.values())
        out.print_json(json.dumps(answer))
        return
    out.print(_score_table(scores))


def _score_table(scores: dict[str, Scores]) -> Table:
    from rich.markup import escape

    from kb.extractor.evaluate import headline, mean_scores

    columns = list(scores) + (["mean"] if len(scores) > 1 else [])
    first = next(iter(scores.values()))
    table = Table("metric", *columns, title=f"{first.reports} reports")
    rows = {k: headline(v) for k, v in scores.items()}
    if len(scores) > 1:
        rows["mean"] = mean_scores(scores.values())
    for metric in rows[columns[0]]:
        table.add_row(escape(metric), *(f"{rows[c][metric]:.4f}" for c in columns))  # "[modify]" is no markup
    for name, s in scores.items():
        table.caption = (table.caption or "") + (
            f"{name}: entities P {s.entity.precision:.4f} R {s.entity.recall:.4f} "
            f"({s.entity.pred} predicted, {s.entity.gold} gold); relations P {s.relation.precision:.4f} "
            f"R {s.relation.recall:.4f} ({s.relation.pred} predicted, {s.relation.gold} gold)\n")
    return table


# --- extract ----------------------------------------------------------------------------------

def extract_cmd(
    source: Annotated[Path, typer.Argument(help="RadGraph JSON (its text used as given), raw "
                                                "reports as JSONL or CSV, or a MIMIC-CXR files/ folder.")],
    out_path: Annotated[Path, typer.Option("--out", help="OUT.json: RadGraph JSON; OUT.jsonl: "
                                                         "one report per line with character offsets.")],
    model: ModelOpt = None,
    encoder: EncoderOpt = None,
    device: DeviceOpt = "cpu",
    batch_size: Annotated[int, typer.Option(help="Windows per forward pass.")] = 32,
    id_field: Annotated[str, typer.Option(help="JSONL/CSV column with the study ID.")] = "study_id",
    text_field: Annotated[str, typer.Option(help="JSONL/CSV column with the report text.")] = "text",
) -> None:
    """Find the entities and relations of each report with a trained model."""
    if out_path.suffix.lower() not in (".json", ".jsonl"):
        raise _fail(KBError(f"--out {out_path}: name a .json (RadGraph) or .jsonl file"))
    try:
        require_extract()
        if not source.exists():
            raise InputError(f"no such file or folder: {source}")
        from kb.extractor import load_extractor

        extractor = load_extractor(model, device, encoder)
        stats = _extract_file(source, out_path, extractor, batch_size, id_field, text_field)
    except KBError as error:
        raise _fail(error) from None
    rate = stats["reports"] / stats["seconds"] if stats["seconds"] else 0.0
    err.print(f"extracted {stats['reports']} reports in {stats['seconds']:.1f} s ({rate:.1f} reports/s) "
              f"with {extractor.name} {extractor.version} on {extractor.device} → {out_path}",
              highlight=False)
    if stats["failed"]:
        err.print(f"[yellow]{stats['failed']} report(s) skipped[/yellow], first: {stats['first']}",
                  highlight=False)
        raise typer.Exit(1)


def _extract_file(source: Path, out_path: Path, extractor: Extractor, batch_size: int,
                  id_field: str, text_field: str) -> dict[str, Any]:
    from kb.radgraph import write_radgraph

    stats: dict[str, Any] = {"reports": 0, "failed": 0, "first": "", "seconds": 0.0}
    columns = (TextColumn("[bold]extract"), BarColumn(), TextColumn("{task.completed:,} reports"),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn())
    retokenize = source.suffix.lower() != ".json" and out_path.suffix.lower() == ".json"
    started = time.perf_counter()
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("extract", total=None, rate="")

        def advance(n: int) -> None:
            bar.advance(task, n)
            done = bar.tasks[0].completed
            bar.update(task, rate=f"{done / (time.perf_counter() - started):.1f} reports/s")

        def reports() -> Iterator[Report]:
            items = _documents(source, id_field, text_field)
            while block := list(islice(items, _BLOCK)):
                good = [item for item in block if not isinstance(item, ReportError)]
                for item in block:
                    if isinstance(item, ReportError):
                        stats["failed"] += 1
                        stats["first"] = stats["first"] or str(item)
                docs = [doc for doc, _ in good]
                found = extractor.extract(docs, [meta for _, meta in good], batch_size, advance)
                for doc, report in zip(docs, found):
                    stats["reports"] += 1
                    yield _tokenized(report, doc) if retokenize else report

        if out_path.suffix.lower() == ".jsonl":
            with open(out_path, "w", encoding="utf-8") as fp:
                for report in reports():
                    fp.write(json.dumps(report.to_json()) + "\n")
        else:
            write_radgraph(reports(), out_path)
    stats["seconds"] = time.perf_counter() - started
    return stats


def _documents(source: Path, id_field: str, text_field: str) -> Iterator[tuple[Document, dict[str, Any]] | ReportError]:
    """(document, metadata) per report of the input, or the error of a bad record."""
    if source.suffix.lower() == ".json":
        from kb.entries import BadEntry
        from kb.radgraph import LABELERS, iter_entries

        with open(source, "rb") as fp:
            for key, data in iter_entries(fp, source):
                if isinstance(data, BadEntry):  # not decodable: say why, go on with the rest
                    yield ReportError(key, data.reason)
                    continue
                text = data.get("text") if isinstance(data, dict) else None
                if not isinstance(text, str):
                    yield ReportError(key, "'text' is missing or not a string")
                    continue
                meta = {k: v for k, v in data.items() if k not in ("text", "entities", *LABELERS)}
                yield radgraph_document(key, text), meta
        return
    from ingest.raw import RawCorpus, RawReport

    for item in RawCorpus(source, id_field, text_field):
        yield (raw_document(item.key, item.text), item.metadata) if isinstance(item, RawReport) else item


def _tokenized(report: Report, doc: Document) -> Report:
    """A raw report re-expressed over its words joined by single spaces (the RadGraph layout),
    for RadGraph JSON output; `.jsonl` output keeps the original text and offsets instead."""
    words = doc.word_texts()
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    text = " ".join(words)
    first_of = {s: i for i, (s, _) in enumerate(doc.words)}
    last_of = {e: i for i, (_, e) in enumerate(doc.words)}
    entities = []
    for e in report.entities:
        start, end = starts[first_of[e.start]], starts[last_of[e.end]] + len(words[last_of[e.end]])
        entities.append(Entity(e.id, e.label, start, end, text[start:end]))
    return Report(report.key, text, tuple(entities), report.relations, report.metadata)
