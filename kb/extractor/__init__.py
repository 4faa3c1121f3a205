"""The extractor: a span-based joint entity and relation model that turns report text into
RadGraph entities and relations, with character offsets into the original text.

    from kb.extractor import load_extractor, raw_document
    extractor = load_extractor()  # the default model shipped in kb/extractor/default
    [report] = extractor.extract([raw_document("s1", "FINDINGS: Small left effusion.")])

PyTorch and transformers are an optional extra (`pip install -e '.[extract]'`); this module
imports neither until a model is loaded, so the rest of `kb` stays fast and light.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import KBError
from kb.extractor.text import Document, radgraph_document, raw_document

if TYPE_CHECKING:
    from kb.extractor.extract import Extractor

INSTALL_HINT = "pip install -e '.[extract]'"


class MissingExtra(KBError):
    """PyTorch or transformers is not installed."""


def require_extract() -> None:
    """Raise a one-line error naming the install command when the extra is missing."""
    missing = [name for name in ("torch", "transformers") if not _importable(name)]
    if missing:
        raise MissingExtra(f"the extractor needs {' and '.join(missing)}, which "
                           f"{'is' if len(missing) == 1 else 'are'} not installed: {INSTALL_HINT}")


def _importable(name: str) -> bool:
    """Whether `import name` would find the package (without importing it)."""
    if name in sys.modules:
        return sys.modules[name] is not None
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def load_extractor(model: str | Path | None = None, device: str = "cpu",
                   encoder: str | None = None) -> Extractor:
    """The model in folder `model` (the shipped default when None), ready to extract."""
    require_extract()
    from kb.extractor.extract import Extractor

    return Extractor.load(model, device, encoder)


__all__ = ["Document", "MissingExtra", "load_extractor", "radgraph_document", "raw_document",
           "require_extract"]
