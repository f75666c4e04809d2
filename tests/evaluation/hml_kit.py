"""A tiny HumanML3D folder in the official layout, built from seeded random features."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: id -> (frames, caption lines as caption#tokens#start#end).
TINY_MOTIONS: dict[str, tuple[int, list[str]]] = {
    "000001": (
        60,
        [
            "a person walks forward#a/DET person/NOUN walk/VERB forward/ADV#0.0#0.0",
            "someone walks#someone/PRON walk/VERB#0.0#0.0",
        ],
    ),
    "000002": (
        150,
        [
            "a person jumps up and down#a/DET person/NOUN jump/VERB up/ADV and/CCONJ down/ADV#0.0#0.0",
            "a person jumps#a/DET person/NOUN jump/VERB#1.0#4.0",
            "a person waves#a/DET person/NOUN wave/VERB#0.0#1.0",
        ],
    ),
    "M000002": (150, ["a person jumps up and down#a/DET person/NOUN jump/VERB up/ADV#nan#nan"]),
    "000003": (
        230,
        ["a person turns left then runs#a/DET person/NOUN turn/VERB left/ADV run/VERB#0.0#0.0"],
    ),
    "000004": (
        88,
        ["a person sits slowly#a/DET person/NOUN sit/VERB slowly/ADV#0.0#0.0"],
    ),
    "000005": (
        41,
        [
            "a person kicks with the right leg#a/DET person/NOUN kick/VERB right/ADJ leg/NOUN#0.0#0.0"
        ],
    ),
}


def write_tiny_humanml3d(root: Path, *, seed: int = 0, features=None) -> Path:  # noqa: ANN001
    """Write the folder; ``features`` (id -> [T, 263]) overrides the random motions."""
    rng = np.random.default_rng(seed)
    (root / "new_joint_vecs").mkdir(parents=True)
    (root / "texts").mkdir()
    for motion_id, (frames, lines) in TINY_MOTIONS.items():
        motion = (features or {}).get(motion_id)
        if motion is None:
            motion = rng.standard_normal((frames, 263)).astype(np.float32)
            motion[:, 259:] = rng.integers(0, 2, (frames, 4))
        np.save(root / "new_joint_vecs" / f"{motion_id}.npy", motion)
        (root / "texts" / f"{motion_id}.txt").write_text("\n".join(lines) + "\n")
    np.save(root / "Mean.npy", np.zeros(263, np.float32))
    np.save(root / "Std.npy", np.ones(263, np.float32))
    ids = "\n".join(TINY_MOTIONS) + "\n"
    (root / "test.txt").write_text(ids)
    (root / "train.txt").write_text("000001\n")
    return root
