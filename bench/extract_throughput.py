"""Throughput of the extractor against its ceiling, the bare encoder, on the same texts.

    .venv/bin/python bench/extract_throughput.py [--input ../shared/data/iu/iu_dev.jsonl] [--n 500]

Three numbers, in one run, on the same report texts and the same device:
1. bare encoder: the model's encoder tokenizing the raw text with its own tokenizer and running
   its forward pass, length-sorted batches of the same size (the ceiling for this architecture);
2. extractor: `Extractor.extract` on the raw texts (sectioning, word tokenization with offsets,
   subword alignment, forward pass, span and pair heads, schema-constrained decoding, Reports);
3. `kb extract IN.jsonl --out OUT.jsonl` as a user runs it (its own reports/s line; the model
   load is outside its clock, reading and writing the files inside).
Rounds alternate 1 and 2 and keep each one's best, since other work may share the CPU.
Input: a JSONL of Open-i reports (`findings`, `impression`: texts become "FINDINGS: …
IMPRESSION: …"), a JSONL/CSV with `study_id`/`text`, or a RadGraph JSON (its `text`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.extractor import load_extractor, raw_document  # noqa: E402


def load_texts(path: Path, n: int) -> list[tuple[str, str]]:
    if path.suffix == ".json":
        return [(k, v["text"]) for k, v in list(json.loads(path.read_text()).items())[:n]]
    out = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if "text" in row:
            out.append((str(row["study_id"]), row["text"]))
        elif row.get("findings") or row.get("impression"):
            parts = [f"{h}: {row[f]}" for h, f in (("FINDINGS", "findings"), ("IMPRESSION", "impression"))
                     if row.get(f)]
            out.append((f"iu-{row['id']}", "\n".join(parts)))
        if len(out) == n:
            break
    return out


@torch.inference_mode()
def bare_encoder(extractor, texts: list[str], batch_size: int) -> float:
    """Seconds for tokenizer + encoder forward over all texts, length-sorted batches."""
    tokenizer, encoder, device = extractor.pieces.tokenizer, extractor.model.encoder, extractor.device
    started = time.perf_counter()
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=512)["input_ids"]]
    order = sorted(range(len(texts)), key=lengths.__getitem__)
    for start in range(0, len(order), batch_size):
        batch = [texts[i] for i in order[start:start + batch_size]]
        enc = tokenizer(batch, padding=True, truncation=True, max_length=512, return_tensors="pt").to(device)
        encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state.sum().item()
    return time.perf_counter() - started


def full_extract(extractor, items: list[tuple[str, str]], batch_size: int) -> float:
    started = time.perf_counter()
    reports = extractor.extract([raw_document(k, t) for k, t in items], batch_size=batch_size)
    assert len(reports) == len(items)
    return time.perf_counter() - started


def cli_extract(items: list[tuple[str, str]], batch_size: int, device: str, model_folder: str | None) -> str:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.jsonl"
        source.write_text("".join(json.dumps({"study_id": k, "text": t}) + "\n" for k, t in items))
        kb = Path(sys.executable).parent / "kb"
        model = ["--model", model_folder] if model_folder else []
        result = subprocess.run([str(kb), "extract", str(source), "--out", str(Path(folder) / "out.jsonl"), *model,
                                 "--batch-size", str(batch_size), "--device", device],
                                capture_output=True, text=True)
        return (result.stderr.strip().splitlines() or ["(no output)"])[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=ROOT / "data" / "radgraph" / "iu-dev-team.json")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    items = load_texts(args.input, args.n)
    texts = [t for _, t in items]
    t0 = time.perf_counter()
    extractor = load_extractor(args.model, args.device)
    print(f"model {extractor.name} {extractor.version} loaded in {time.perf_counter() - t0:.1f} s; "
          f"{len(items)} reports from {args.input.name}; device {extractor.device}; "
          f"torch threads {torch.get_num_threads()}; batch {args.batch_size}")
    full_extract(extractor, items[:64], args.batch_size)  # warm up caches and allocator
    bare, full = [], []
    for r in range(args.rounds):
        bare.append(bare_encoder(extractor, texts, args.batch_size))
        full.append(full_extract(extractor, items, args.batch_size))
        print(f"round {r + 1}: bare encoder {len(items) / bare[-1]:.1f} reports/s, "
              f"extractor {len(items) / full[-1]:.1f} reports/s")
    bare_rate, full_rate = len(items) / min(bare), len(items) / min(full)
    print(f"best: bare encoder {bare_rate:.1f} reports/s, full extractor {full_rate:.1f} reports/s, "
          f"ratio {full_rate / bare_rate:.2f}")
    print(f"kb extract: {cli_extract(items, args.batch_size, args.device, args.model)}")


if __name__ == "__main__":
    main()
