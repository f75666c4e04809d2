"""Numbers the whole package agrees on: the motion representation, frame limits and defaults.

Defined once here; every module (and the CLI's defaults) takes them from this module.
"""

from __future__ import annotations

FPS = 20
"""Frame rate of HumanML3D's representation (frames per second)."""

FEATURE_DIM = 263
"""Size of HumanML3D's per-frame feature vector."""

MAX_FRAMES = 196
"""Longest motion HumanML3D models are trained on (9.8 s); a model's own limit may be lower."""

DEFAULT_NUM_FRAMES = 120
"""Length of a motion generated from a prompt when none is given (6 s)."""

MIN_TRANSFER_FRAMES = 20
"""Shortest motion a transfer accepts (1 s): shorter clips hold no outline to follow."""

DEFAULT_GUIDANCE_SCALE = 2.5
"""Classifier-free guidance scale of generated motions (MDM's and MoMo's default)."""
