"""Write a large RadGraph-format corpus for benchmarks by re-using the project's annotated
reports under new MIMIC-style keys (`pXX/pXXXXXXXX/sXXXXXXXX.txt`), streamed to disk.

    python bench/make_corpus.py --reports 20000 --out bench/out/corpus-20k.json
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "radgraph" / "iu-dev-team.json"


def mimic_key(n: int) -> str:
    subject = 10_000_000 + n // 3  # about three studies per subject, as in MIMIC-CXR
    return f"p{subject // 1_000_000}/p{subject}/s{50_000_000 + n}.txt"


def entries(n: int, sample: Path, seed: int = 0) -> Iterator[tuple[str, dict]]:
    pool = list(json.loads(sample.read_text()).values())
    rng = random.Random(seed)
    for i in range(n):
        yield mimic_key(i), rng.choice(pool)


def write(n: int, out: Path, sample: Path = SAMPLE) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fp:
        fp.write("{")
        for i, (key, entry) in enumerate(entries(n, sample)):
            fp.write(("," if i else "") + f"\n{json.dumps(key)}: {json.dumps(entry)}")
        fp.write("\n}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    args = parser.parse_args()
    write(args.reports, args.out, args.sample)
    print(f"wrote {args.reports} reports to {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
