"""A tiny evaluator folder in the official layout, with seeded random weights, for tests."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from momo.evaluation.t2m_networks import MotionEncoder, MovementEncoder, TextEncoder

#: The tiny evaluator's vocabulary (sos/eos/unk as the official one has them).
VOCABULARY = [
    "sos",
    "eos",
    "unk",
    "a",
    "person",
    "walk",
    "forward",
    "turn",
    "left",
    "right",
    "jump",
    "up",
    "down",
    "run",
    "slowly",
    "wave",
    "hand",
    "the",
    "and",
    "then",
    "sit",
    "stand",
    "kick",
    "leg",
    "arm",
    "circle",
    "back",
    "step",
    "side",
    "fast",
]


def write_tiny_evaluator(root: Path, *, seed: int = 0, word_dim: int = 12) -> Path:
    """Write finest.tar, mean/std and the GloVe files under ``root``; returns ``root``."""
    generator = torch.Generator().manual_seed(seed)
    networks = {
        "text_encoder": TextEncoder(word_dim, 15, 8, 6),
        "motion_encoder": MotionEncoder(10, 9, 6),
        "movement_encoder": MovementEncoder(259, 11, 10),
    }
    state = {}
    for name, network in networks.items():
        dicts = {}
        for key, value in network.state_dict().items():
            dicts[key] = 0.3 * torch.randn(value.shape, generator=generator, dtype=value.dtype)
        state[name] = dicts
    state.update(epoch=0, iter=0)
    model_dir = root / "t2m" / "text_mot_match" / "model"
    model_dir.mkdir(parents=True)
    torch.save(state, model_dir / "finest.tar")
    rng = np.random.default_rng(seed)
    meta = root / "t2m" / "Comp_v6_KLD01" / "meta"
    meta.mkdir(parents=True)
    np.save(meta / "mean.npy", (0.1 * rng.standard_normal(263)).astype(np.float32))
    np.save(meta / "std.npy", rng.uniform(0.5, 1.5, 263).astype(np.float32))
    glove = root / "glove"
    glove.mkdir()
    rows = rng.permutation(len(VOCABULARY))
    np.save(
        glove / "our_vab_data.npy",
        rng.standard_normal((len(VOCABULARY), word_dim)).astype(np.float32),
    )
    (glove / "our_vab_words.pkl").write_bytes(pickle.dumps(list(VOCABULARY)))
    index = {word: int(row) for word, row in zip(VOCABULARY, rows)}
    (glove / "our_vab_idx.pkl").write_bytes(pickle.dumps(index))
    return root


def tokens(caption: str) -> list[str]:
    """Crude ``word/POS`` tokens for tests (every word tagged VERB)."""
    return [f"{word}/VERB" for word in caption.split()]
