"""A fixed train/dev/test split of a RadGraph file by a seeded shuffle of its keys.

    python -m kb.extractor.split data/radgraph/iu-dev-team.json --out build/split
writes train.json, dev.json and test.json (the entries verbatim) and prints their sizes.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

SPLIT_SEED = 20240601
DEV, TEST = 35, 35


def split_keys(keys: list[str], seed: int = SPLIT_SEED, dev: int = DEV,
               test: int = TEST) -> dict[str, list[str]]:
    """Sorted keys, shuffled with `seed`: the first `test` are test, the next `dev` are dev."""
    order = sorted(keys)
    random.Random(seed).shuffle(order)
    return {"test": order[:test], "dev": order[test:test + dev], "train": order[test + dev:]}


def write_split(path: Path, out: Path, seed: int = SPLIT_SEED, dev: int = DEV,
                test: int = TEST) -> dict[str, int]:
    data: dict[str, Any] = json.loads(path.read_text())
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for part, keys in split_keys(list(data), seed, dev, test).items():
        (out / f"{part}.json").write_text(json.dumps({k: data[k] for k in keys}, indent=1))
        sizes[part] = len(keys)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=SPLIT_SEED)
    parser.add_argument("--dev", type=int, default=DEV)
    parser.add_argument("--test", type=int, default=TEST)
    args = parser.parse_args()
    print(write_split(args.path, args.out, args.seed, args.dev, args.test))


if __name__ == "__main__":
    main()
