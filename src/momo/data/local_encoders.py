"""The text encoder of a build or training run, from its name and the user's local model folders.

``momo data build`` encodes captions and ``momo train`` encodes its sample prompts with the
encoder of the model to train. ``minilm`` is bundled; DistilBERT and CLIP (MoMo's
``distilbert+clip``) are read from local folders (``--distilbert DIR``, ``--clip DIR``: a folder
written by ``save_pretrained``, e.g. a copy of ``distilbert-base-uncased`` or
``openai/clip-vit-base-patch32``) or, without folders, from the Hugging Face cache only:
nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

from momo.errors import MomoError
from momo.models.text_encoders import (
    CLIPTextEncoder,
    CombinedTextEncoder,
    DistilBERTEncoder,
    TextEncoder,
    text_encoder_from_name,
)

#: The encoders each name uses (besides the bundled minilm).
PARTS: dict[str, tuple[str, ...]] = {
    "minilm": (),
    "distilbert": ("distilbert",),
    "clip": ("clip",),
    "distilbert+clip": ("distilbert", "clip"),
}


def _folder(path: str | Path, part: str) -> str:
    folder = Path(path).expanduser()
    if not (folder / "config.json").is_file():
        raise MomoError(
            f"--{part} {folder}: no config.json there; pass the folder of a {part} model saved "
            "with save_pretrained (its config, tokenizer and weights)"
        )
    return str(folder)


def local_text_encoder(
    name: str, *, distilbert: str | Path | None = None, clip: str | Path | None = None
) -> TextEncoder:
    """The encoder ``name`` with its parts from local folders (or the Hugging Face cache only).

    Args:
        name: ``"minilm"``, ``"distilbert"``, ``"clip"`` or ``"distilbert+clip"``.
        distilbert: folder of the DistilBERT model (None: the Hugging Face cache).
        clip: folder of the CLIP model (None: the Hugging Face cache).

    Raises:
        MomoError: an unknown name, a folder the encoder does not use, or a folder that holds
            no model.
        ModelLoadError: a part is neither in its folder nor in the Hugging Face cache.
    """
    if name not in PARTS:
        raise MomoError(f"unknown text encoder {name!r}; use one of {', '.join(PARTS)}")
    given = {"distilbert": distilbert, "clip": clip}
    unused = [f"--{part}" for part, path in given.items() if path and part not in PARTS[name]]
    if unused:
        raise MomoError(f"{', '.join(unused)} is not part of the {name!r} text encoder")
    if name == "minilm":
        return text_encoder_from_name(name)
    classes = {"distilbert": DistilBERTEncoder, "clip": CLIPTextEncoder}
    parts: dict[str, TextEncoder] = {}
    for part, encoder_class in classes.items():
        if part in PARTS[name]:
            path = _folder(given[part], part) if given[part] else None
            parts[part] = (
                encoder_class(path, local_files_only=True)
                if path
                else encoder_class(local_files_only=True)
            )
    if len(parts) == 2:
        return CombinedTextEncoder(parts["distilbert"], parts["clip"])
    return next(iter(parts.values()))
