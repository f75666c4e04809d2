"""Property-based fuzzing of the motion readers: whatever the bytes, a reader returns a motion
or raises `momo.errors.MomoError`, never another exception.

Derandomised and bounded (a few hundred examples per reader, well under a minute in all), so
every run tries the same inputs.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from bvh_rigs import rig_text, smpl_rig
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from momo.errors import MomoError
from momo.io.api import features_keeping_frames, joints_from_bytes, load_joints

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

BVH = rig_text(smpl_rig(frames=3))
BVH_TOKENS = BVH.split(" ")
JUNK = st.one_of(
    st.sampled_from(
        ["", "{", "}", "ROOT", "JOINT", "End", "Site", "OFFSET", "CHANNELS", "MOTION",
         "Frames:", "Frame", "Time:", "³", "1_000", "١٢", "nan", "-inf", "1e308", "1e20",
         "9" * 5000, "Xrotation", "Wposition", "\x00", "\n", "0", "-1", "7", "1000000"]
    ),
    st.text(max_size=8),
)  # fmt: skip


def _read_bvh(data: bytes) -> None:
    try:
        joints, info = joints_from_bytes("fuzz.bvh", data)
    except MomoError:
        return
    assert joints.ndim == 3 and joints.shape[1:] == (22, 3)
    assert np.isfinite(joints).all() and info["frames"] == joints.shape[0]


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(BVH_TOKENS) - 1), JUNK), max_size=4))
def test_bvh_token_edits(edits: list[tuple[int, str]]) -> None:
    tokens = list(BVH_TOKENS)
    for position, token in edits:
        tokens[position] = token
    _read_bvh(" ".join(tokens).encode("utf-8"))


@FUZZ
@given(cut=st.integers(0, len(BVH)), extra=st.binary(max_size=32))
def test_bvh_truncated_or_padded(cut: int, extra: bytes) -> None:
    _read_bvh(BVH[:cut].encode() + extra)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_subnormal=False)
    | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=60,
)


def _frame() -> list:
    quat = [1.0, 0.0, 0.0, 0.0]
    side = quat + [0.0] + quat + quat + [0.0]
    return [0.05, 0.0, 0.9, 0.0] + quat * 3 + side + side


@FUZZ
@given(
    frames=st.lists(
        st.one_of(
            JSON_VALUES,
            st.lists(
                st.one_of(st.floats(allow_subnormal=False), st.integers(), st.booleans()),
                min_size=44,
                max_size=44,
            ),
            st.just(_frame()),
        ),
        max_size=4,
    ),
    loop=JSON_VALUES,
)
def test_deepmimic_structures(frames: list, loop: object) -> None:
    text = json.dumps({"Loop": loop, "Frames": frames})
    try:
        joints, _ = joints_from_bytes("fuzz.txt", text.encode())
    except MomoError:
        return
    assert np.isfinite(joints).all()


def _npy_bytes() -> bytes:
    """A valid features .npy (4 frames of the test rig's walk)."""
    joints, _ = joints_from_bytes("rig.bvh", rig_text(smpl_rig(frames=4)).encode())
    stream = io.BytesIO()
    np.save(stream, features_keeping_frames(joints))
    return stream.getvalue()


NPY = _npy_bytes()


@pytest.fixture(scope="module")
def npy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz_npy")


@FUZZ
@given(
    edits=st.lists(st.tuples(st.integers(0, 127), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.integers(0, len(NPY)),
)
def test_npy_header_bytes(npy_dir: Path, edits: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(NPY)
    for position, value in edits:
        data[position] = value
    path = npy_dir / "fuzz.npy"
    path.write_bytes(bytes(data[: max(cut, 128)]))
    if bytes(data) == NPY and cut >= len(NPY):
        assert load_joints(path)[0].shape == (4, 22, 3)  # the untouched file loads
    try:
        joints, _ = load_joints(path)
    except MomoError:
        return
    assert np.isfinite(joints).all()
