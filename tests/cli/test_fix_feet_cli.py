"""`--fix-feet` of `momo generate` and `momo transfer`: the written files are those of
`momo.fix_feet` applied to the plain run's motions, and the skating is printed."""

from __future__ import annotations

import json

import numpy as np
import pytest

import momo

pytestmark = pytest.mark.usefixtures("single_thread")


def _generate(run_cli, checkpoint, out, *extra):  # noqa: ANN001, ANN202
    status, stdout, stderr = run_cli(
        "generate", "--text", "a person walks", "--out", out, "--model", checkpoint, "--seed", "3",
        "--frames", "40", "--no-video", *extra,
    )  # fmt: skip
    assert status == 0, stderr
    return stdout


def test_generate_fix_feet_writes_the_fixed_motion(run_cli, checkpoint, tmp_path):
    _generate(run_cli, checkpoint, tmp_path / "plain")
    stdout = _generate(run_cli, checkpoint, tmp_path / "fixed", "--fix-feet")
    assert "fix-feet 00_a_person_walks: foot skating" in stdout
    (plain,) = (tmp_path / "plain").glob("*.npy")
    fixed_file = tmp_path / "fixed" / plain.name
    expected = momo.fix_feet(momo.Motion(np.load(plain)))
    np.testing.assert_allclose(np.load(fixed_file), expected.features, atol=1e-5)
    assert json.loads((tmp_path / "fixed" / "generate.json").read_text())["fix_feet"] is True
    momo.save_motion(expected, tmp_path / "expected.bvh")
    written = momo.load_motion(fixed_file.with_suffix(".bvh")).joints()
    np.testing.assert_allclose(
        written, momo.load_motion(tmp_path / "expected.bvh").joints(), atol=1e-4
    )


def test_transfer_fix_feet(run_cli, checkpoint, walk, tmp_path):
    common = ("--leader", walk, "--follower", "a person waves", "--model", checkpoint)
    status, _, stderr = run_cli(
        "transfer", *common, "--out", tmp_path / "plain", "--seed", "1", "--no-video"
    )
    assert status == 0, stderr
    status, stdout, stderr = run_cli(
        "transfer", *common, "--out", tmp_path / "fixed", "--seed", "1", "--no-video",
        "--fix-feet",
    )  # fmt: skip
    assert status == 0, stderr
    assert "fix-feet output_0: foot skating" in stdout
    for name in ("output_0.npy", "leader.npy"):
        expected = momo.fix_feet(momo.Motion(np.load(tmp_path / "plain" / name)))
        np.testing.assert_allclose(np.load(tmp_path / "fixed" / name), expected.features, atol=1e-5)
    config = json.loads((tmp_path / "fixed" / "config.json").read_text())
    assert config["cli"]["fix_feet"] is True
