"""Training from RadGraph-format reports: fixed seed, AdamW with warmup and linear decay,
early stopping on dev relation F1, and a saved model folder at the end (the best epoch)."""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from kb.errors import InputError
from kb.extractor.batch import Pieces, Window, collate, make_windows
from kb.extractor.config import ModelConfig
from kb.extractor.evaluate import Scores, score
from kb.extractor.extract import Extractor
from kb.extractor.model import SpanRelationModel, build, load_encoder, round_to_fp16, save, trainable
from kb.extractor.text import radgraph_document
from kb.report import Report


@dataclass(frozen=True)
class TrainOptions:
    epochs: int = 15
    batch_size: int = 4  # windows (reports) per step
    lr: float = 1e-4  # encoder
    head_lr: float = 1e-3  # span and pair heads
    weight_decay: float = 0.01
    warmup: float = 0.1  # share of the steps
    patience: int = 5  # epochs without a better dev relation F1 before stopping
    seed: int = 13
    max_minutes: float | None = None  # stop after the epoch that passes this
    device: str = "cpu"
    grad_clip: float = 1.0


@dataclass
class EpochLog:
    epoch: int
    loss: float
    seconds: float
    dev: Scores | None = None
    best: bool = False


@dataclass
class TrainResult:
    folder: Path
    best_epoch: int
    epochs_run: int
    seconds: float
    dev: Scores | None
    history: list[EpochLog] = field(default_factory=list)
    extractor: Extractor | None = None  # the trained model, exactly as saved


StepFn = Callable[[int, int, float], None]  # (step, steps in this epoch, running loss)
EpochFn = Callable[[EpochLog], None]


def gold_windows(doc_index: int, report: Report, pieces: Pieces, limit: int,
                 width: int) -> list[Window]:
    """The windows of one gold report with its entities and relations in window word indices;
    entities off word boundaries (none in a RadGraph file) and relations across windows drop."""
    doc = radgraph_document(report.key, report.text)
    words = doc.word_texts()
    first_of = {s: i for i, (s, _) in enumerate(doc.words)}
    last_of = {e: i for i, (_, e) in enumerate(doc.words)}
    spans = {e.id: (first_of[e.start], last_of[e.end], e.label.value) for e in report.entities
             if e.start in first_of and e.end in last_of}
    labels = ModelConfig().entity_labels
    kinds = ModelConfig().relation_labels
    out = []
    for w in make_windows(doc_index, words, pieces(words), limit, width):
        end = w.offset + len(w.words)
        inside = sorted((f, l, eid, lab) for eid, (f, l, lab) in spans.items() if w.offset <= f and l < end)
        index = {eid: k for k, (_, _, eid, _) in enumerate(inside)}
        entities = tuple((f - w.offset, l - w.offset, labels.index(lab)) for f, l, _, lab in inside)
        relations = tuple(sorted({(index[r.source], index[r.target], kinds.index(r.type.value))
                                  for r in report.relations if r.source in index and r.target in index}))
        out.append(Window(w.doc, w.offset, w.words, w.pieces, w.spans, w.sentences, entities, relations))
    return out


def train(train_reports: Sequence[Report], dev_reports: Sequence[Report] | None, out: Path,
          config: ModelConfig | None = None, options: TrainOptions = TrainOptions(),
          on_step: StepFn | None = None, on_epoch: EpochFn | None = None) -> TrainResult:
    """Train a model and save its best epoch (by dev relation F1, else the last) to `out`."""
    if not train_reports:
        raise InputError("no training reports")
    config = config or ModelConfig()
    _seed(options.seed)
    encoder, tokenizer = load_encoder(config.encoder)
    model = build(config, encoder).to(options.device)
    extractor = Extractor(model, tokenizer, device=options.device)
    windows = [w for i, r in enumerate(train_reports)
               for w in gold_windows(i, r, extractor.pieces, extractor.limit, config.max_span_width)]
    steps_per_epoch = math.ceil(len(windows) / options.batch_size)
    optimizer, scheduler = _optimizer(model, options, steps_per_epoch * options.epochs)
    rng = random.Random(options.seed)
    started, history, best, best_state = time.perf_counter(), [], (-1.0, -1.0), None
    for epoch in range(1, options.epochs + 1):
        t0 = time.perf_counter()
        loss = _epoch(model, extractor, windows, rng, optimizer, scheduler, options, on_step)
        dev = _dev_scores(extractor, dev_reports) if dev_reports else None
        key = (dev.relation.f1, dev.entity.f1) if dev else (float(epoch), 0.0)
        log = EpochLog(epoch, loss, time.perf_counter() - t0, dev, key > best)
        if log.best:
            best, best_state = key, {n: p.detach().clone() for n, p in trainable(model).items()}
        history.append(log)
        if on_epoch:
            on_epoch(log)
        if _should_stop(history, options, time.perf_counter() - started):
            break
    model.load_state_dict(best_state or {}, strict=False)
    round_to_fp16(model)  # score exactly what is saved
    seconds = time.perf_counter() - started
    best_epoch = max((h for h in history if h.best), key=lambda h: h.epoch).epoch
    dev = _dev_scores(extractor, dev_reports) if dev_reports else None
    config.training = _record(options, train_reports, dev_reports, best_epoch, len(history),
                              seconds, dev)
    save(model, out)
    return TrainResult(out, best_epoch, len(history), seconds, dev, history, extractor)


def _seed(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def _optimizer(model: SpanRelationModel, options: TrainOptions,
               total_steps: int) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    params = trainable(model)
    groups = [{"params": [p for n, p in params.items() if n.startswith("encoder.")], "lr": options.lr},
              {"params": [p for n, p in params.items() if not n.startswith("encoder.")],
               "lr": options.head_lr}]
    optimizer = torch.optim.AdamW(groups, weight_decay=options.weight_decay)
    warmup = max(1, int(total_steps * options.warmup))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)


def _batches(windows: list[Window], size: int, rng: random.Random) -> list[list[Window]]:
    """Shuffled batches of similar length (sorted within pools of 16 batches)."""
    order = windows[:]
    rng.shuffle(order)
    pool = size * 16
    batches = []
    for start in range(0, len(order), pool):
        group = sorted(order[start:start + pool], key=lambda w: w.size)
        batches += [group[i:i + size] for i in range(0, len(group), size)]
    rng.shuffle(batches)
    return batches


def _epoch(model: SpanRelationModel, extractor: Extractor, windows: list[Window], rng: random.Random,
           optimizer: torch.optim.Optimizer, scheduler: Any, options: TrainOptions,
           on_step: StepFn | None) -> float:
    model.train()
    batches, total = _batches(windows, options.batch_size, rng), 0.0
    for step, group in enumerate(batches, 1):
        loss, _ = model.loss(collate(group, extractor.pieces, gold=True).to(extractor.device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable(model).values(), options.grad_clip)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        total += loss.item()
        if on_step:
            on_step(step, len(batches), total / step)
    model.eval()
    return total / max(1, len(batches))


def _dev_scores(extractor: Extractor, dev: Sequence[Report]) -> Scores:
    docs = [radgraph_document(r.key, r.text) for r in dev]
    predicted = extractor.extract(docs)
    return score(dev, {p.key: p for p in predicted})


def _should_stop(history: list[EpochLog], options: TrainOptions, seconds: float) -> bool:
    if options.max_minutes is not None and seconds > options.max_minutes * 60:
        return True
    best = max((h.epoch for h in history if h.best), default=0)
    return history[-1].dev is not None and history[-1].epoch - best >= options.patience


def _record(options: TrainOptions, train_reports: Sequence[Report],
            dev_reports: Sequence[Report] | None, best_epoch: int, epochs_run: int,
            seconds: float, dev: Scores | None) -> dict[str, Any]:
    """What goes into config.json under `training`: enough to reproduce and to trust it."""
    return {"options": asdict(options), "train_reports": len(train_reports),
            "train_sha256": _data_hash(train_reports),
            "dev_reports": len(dev_reports or ()), "dev_sha256": _data_hash(dev_reports or ()),
            "best_epoch": best_epoch, "epochs_run": epochs_run, "seconds": round(seconds, 1),
            "dev": _brief(dev) if dev else None, "torch": torch.__version__}


def _data_hash(reports: Sequence[Report]) -> str:
    digest = hashlib.sha256()
    for r in sorted(reports, key=lambda r: r.key):
        digest.update(r.key.encode())
        digest.update(r.text.encode())
    return digest.hexdigest()[:16]


def _brief(s: Scores) -> dict[str, Any]:
    return {"entity_f1": round(s.entity.f1, 4), "relation_f1": round(s.relation.f1, 4),
            "rewards": {k: round(v, 4) for k, v in s.rewards.items()}}
