"""The model on a tiny randomly initialised encoder: alignment, training, save/load."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from kb.extractor.batch import Pieces, collate, make_windows, split_windows  # noqa: E402
from kb.extractor.config import ModelConfig  # noqa: E402
from kb.extractor.extract import Extractor  # noqa: E402
from kb.extractor.text import radgraph_document  # noqa: E402
from kb.extractor.train import TrainOptions, train  # noqa: E402
from kb.report import Report  # noqa: E402
from tests.corpus import corpus  # noqa: E402
from kb.radgraph import parse_report  # noqa: E402

LETTERS = "abcdefghijklmnopqrstuvwxyz"
VOCAB = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(LETTERS) + list("0123456789.,:;-()/'")
         + [f"##{c}" for c in LETTERS + "0123456789"]
         + ["no", "left", "right", "effusion", "lung", "base", "small", "pleural", "the", "is"])


def make_tiny_encoder(folder: Path) -> Path:
    """A 2-layer BERT with random weights and a character-level vocabulary, saved as a local
    Hugging Face model folder (nothing downloaded)."""
    from transformers import BertConfig, BertModel, BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder"))


def tiny_config(encoder: Path) -> ModelConfig:
    return ModelConfig(name="tiny", encoder=str(encoder), width_dim=8, label_dim=8, span_hidden=32,
                       pair_dim=32, dropout=0.0)


def gold_reports() -> list[Report]:
    return [parse_report(k, v) for k, v in corpus().items()]


@pytest.fixture(scope="session")
def trained(tiny_encoder: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("tiny-model")
    options = TrainOptions(epochs=8, batch_size=2, lr=1e-3, head_lr=3e-3, warmup=0.0, seed=1)
    return train(gold_reports(), None, out, tiny_config(tiny_encoder), options)


@pytest.fixture(scope="session")
def pieces(tiny_encoder: Path) -> Pieces:
    from transformers import AutoTokenizer

    return Pieces(AutoTokenizer.from_pretrained(tiny_encoder), max_word_pieces=16)


words_strategy = st.lists(st.sampled_from(["effusion", "Left", "x-ray", "16.2", ".", "", "\u200b",
                                           "é", "pneumothorax", "(", "no", "ABC"]), min_size=1, max_size=60)


@given(st.lists(words_strategy, min_size=1, max_size=4))
@settings(max_examples=60, deadline=None)
def test_extractor_alignment_maps_each_word_to_its_subwords(pieces: Pieces, docs: list[list[str]]) -> None:
    windows = [w for d, words in enumerate(docs) for w in make_windows(d, words, pieces(words), 126, 8)]
    batch = collate(windows, pieces)
    for b, w in enumerate(windows):
        assert int(batch.input_ids[b, 0]) == pieces.cls
        for k, word in enumerate(w.words):
            first, last = int(batch.word_first[b, k]), int(batch.word_last[b, k])
            assert batch.input_ids[b, first:last + 1].tolist() == list(pieces([word])[0])
        assert all(not w.words[f] in (".", "", "(") and f <= l < f + 8 for f, l in w.spans)


@given(st.lists(st.sampled_from(["lung", "clear", ".", "effusionnnnnn", "no"]), min_size=1, max_size=200),
       st.integers(16, 60))
def test_extractor_windows_cover_long_documents(words: list[str], limit: int) -> None:
    sizes = [len(w) for w in words]  # one subword per character, at most 13 here
    ranges = split_windows(words, [tuple(range(n)) for n in sizes], limit)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(words)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(sum(sizes[s:e]) <= limit for s, e in ranges)


def test_extractor_tiny_model_loss_falls(trained) -> None:
    losses = [h.loss for h in trained.history]
    assert len(losses) == 8
    assert losses[-1] < 0.6 * losses[0], losses


def test_extractor_training_is_seeded(tiny_encoder: Path, tmp_path: Path) -> None:
    options = TrainOptions(epochs=1, batch_size=2, seed=5)
    runs = [train(gold_reports(), None, tmp_path / str(i), tiny_config(tiny_encoder), options)
            for i in range(2)]
    assert runs[0].history[0].loss == runs[1].history[0].loss


def test_extractor_save_load_round_trip_gives_identical_predictions(trained) -> None:
    docs = [radgraph_document(r.key, r.text) for r in gold_reports()]
    in_memory = trained.extractor
    loaded = Extractor.load(trained.folder)
    assert loaded.predict(docs) == in_memory.predict(docs)
    batch = collate([w for d, doc in enumerate(docs) for w in loaded._windows(d, doc)], loaded.pieces)
    with torch.inference_mode():
        logits = [e.model.span_logits(e.model.encode(batch), batch) for e in (in_memory, loaded)]
    assert torch.equal(logits[0], logits[1])
    assert loaded.name == "tiny" and loaded.version.startswith("1.0+")


def test_extractor_saved_folder_is_small_and_complete(trained) -> None:
    files = sorted(p.name for p in trained.folder.iterdir())
    assert files == ["config.json", "weights.safetensors"]
    config = ModelConfig.load(trained.folder)
    assert config.encoder_fingerprint and config.training["epochs_run"] == 8
    assert config.entity_labels[0] == "none" and config.relation_labels[1:] == ["modify", "located_at",
                                                                                 "suggestive_of"]


def test_extractor_load_rejects_another_encoder(trained, tmp_path: Path) -> None:
    from kb.errors import InputError

    other = make_tiny_encoder(tmp_path / "other")
    state = transformers.AutoModel.from_pretrained(other)
    with torch.no_grad():
        state.embeddings.word_embeddings.weight.add_(1.0)
    state.save_pretrained(other)
    with pytest.raises(InputError, match="another encoder"):
        Extractor.load(trained.folder, encoder=str(other))


def test_extractor_predictions_obey_the_schema(trained) -> None:
    docs = [radgraph_document(r.key, r.text) for r in gold_reports()]
    for doc, report in zip(docs, trained.extractor.extract(docs)):
        spans = [(e.start, e.end) for e in report.entities]
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))  # in order, no overlap
        by_id = {e.id: e for e in report.entities}
        for r in report.relations:
            assert r.source != r.target
            assert r.type.allows(by_id[r.source].label, by_id[r.target].label)
