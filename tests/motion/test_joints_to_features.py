"""joints -> features: parity with HumanML3D's data, invariances, quirks, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from momo.errors import MotionFormatError
from momo.motion import representation as rep
from momo.motion.kinematics import features_to_joints, joints_to_features
from momo.motion.retarget import bone_lengths, canonicalize

# The reference's own round trip (joints from features, then features again) lands within about
# 3e-4 (root, velocities), 7e-3 (ric) and 1.3e-2 (rotations); the product requirement allows:
TOLERANCES = {
    "root_rot_vel": (rep.ROOT_ROT_VEL, 2e-3),
    "root_lin_vel": (rep.ROOT_LIN_VEL, 2e-3),
    "root_height": (rep.ROOT_HEIGHT, 2e-3),
    "ric": (rep.RIC, 2e-2),
    "rot6d": (rep.ROT6D, 5e-2),
    "local_vel": (rep.LOCAL_VEL, 2e-3),
}


def test_reproduces_new_joint_vecs_from_new_joints(humanml3d_sample: dict) -> None:
    features = joints_to_features(humanml3d_sample["joints"])
    reference = humanml3d_sample["features"][:-1]
    assert features.shape == reference.shape == (169, 263)
    errors = {}
    for name, (channels, tolerance) in TOLERANCES.items():
        errors[name] = float(np.abs(features[:, channels] - reference[:, channels]).max())
        assert errors[name] < tolerance, f"{name}: max error {errors[name]:.3g} >= {tolerance}"
    agree = (features[:, rep.FOOT_CONTACT] == reference[:, rep.FOOT_CONTACT]).mean()
    assert agree >= 0.99, f"foot contacts agree on {agree:.1%}"
    # Report the measured errors (visible with pytest -rA or -s).
    print("max errors vs new_joint_vecs:", errors, f"contacts equal on {agree:.1%}")


def test_round_trip_through_features_returns_the_joints(humanml3d_sample: dict) -> None:
    joints = humanml3d_sample["joints"].astype(np.float64)  # already canonical
    recovered = features_to_joints(joints_to_features(joints))
    assert np.abs(recovered - joints[:-1]).max() < 1e-4


def test_output_shape_and_dtype(make_motion) -> None:
    joints = make_motion(20)
    assert joints_to_features(joints).dtype == np.float64
    features = joints_to_features(joints.astype(np.float32))
    assert features.shape == (19, 263) and features.dtype == np.float32
    contacts = features[:, rep.FOOT_CONTACT]
    assert set(np.unique(contacts)) <= {0.0, 1.0}
    assert joints_to_features(joints[:2]).shape == (1, 263)


def test_invariant_to_translation_and_rotation_about_y(make_motion) -> None:
    joints = make_motion(60, seed=1)
    moved = Rotation.from_euler("y", 2.3).apply(joints.reshape(-1, 3)).reshape(joints.shape)
    moved += np.array([4.0, 0.7, -12.0])
    np.testing.assert_allclose(joints_to_features(moved), joints_to_features(joints), atol=1e-6)


def test_uniformly_scaled_skeleton_gives_the_same_features(make_motion) -> None:
    joints = make_motion(60, seed=2)
    for scale in (0.8, 1.25):
        np.testing.assert_allclose(
            joints_to_features(joints * scale), joints_to_features(joints), atol=1e-6
        )


def test_other_proportions_are_retargeted_onto_the_canonical_skeleton(make_motion) -> None:
    rng = np.random.default_rng(3)
    joints = make_motion(40, seed=3, bone_scale=rng.uniform(0.7, 1.4, 22))
    assert np.abs(bone_lengths(joints[0]) - rep.CANONICAL_BONE_LENGTHS).max() > 0.05
    recovered = features_to_joints(joints_to_features(joints))
    np.testing.assert_allclose(
        bone_lengths(recovered),
        np.broadcast_to(rep.CANONICAL_BONE_LENGTHS, (39, 22)),
        atol=1e-9,
    )


def test_retargeting_keeps_bone_directions_and_scales_the_root_by_leg_length(make_motion) -> None:
    from momo.motion.retarget import retarget

    rng = np.random.default_rng(4)
    scale = rng.uniform(0.7, 1.4, 22)
    joints = make_motion(30, seed=4, bone_scale=scale)
    out = retarget(joints)
    parents = np.array(rep.PARENTS[1:])

    def directions(j: np.ndarray) -> np.ndarray:
        bones = j[:, 1:] - j[:, parents]
        return bones / np.linalg.norm(bones, axis=-1, keepdims=True)

    np.testing.assert_allclose(directions(out), directions(joints), atol=1e-9)
    canonical = rep.CANONICAL_BONE_LENGTHS
    ratio = (canonical[5] + canonical[8]) / (canonical[5] * scale[5] + canonical[8] * scale[8])
    np.testing.assert_allclose(out[:, 0], joints[:, 0] * ratio, atol=1e-12)


def test_canonical_placement(make_motion) -> None:
    placed = canonicalize(make_motion(30, seed=5))
    assert abs(placed[..., 1].min()) < 1e-12  # on the floor
    np.testing.assert_allclose(placed[0, 0, [0, 2]], 0.0, atol=1e-12)  # root at the XZ origin
    assert placed[0, 1, 0] > placed[0, 2, 0]  # left hip on +X: facing +Z
    across = (placed[0, 2] - placed[0, 1]) + (placed[0, 17] - placed[0, 16])
    forward = np.cross([0.0, 1.0, 0.0], across)
    np.testing.assert_allclose(forward / np.linalg.norm(forward), [0, 0, 1], atol=1e-9)


def test_foot_contacts_follow_the_squared_displacement_threshold(make_motion) -> None:
    still = np.repeat(make_motion(2, seed=6, wiggle=0.0)[:1], 5, axis=0)
    np.testing.assert_array_equal(joints_to_features(still)[:, rep.FOOT_CONTACT], 1.0)
    # Sliding at 0.05 m/frame: 0.0025 m^2 > 0.002 -> no contact; at 0.04: 0.0016 -> contact.
    for step, expected in ((0.05, 0.0), (0.04, 1.0)):
        sliding = still + np.arange(5)[:, None, None] * np.array([0.0, 0.0, step])
        np.testing.assert_array_equal(joints_to_features(sliding)[:, rep.FOOT_CONTACT], expected)


def test_angular_velocity_keeps_the_reference_sign_quirk(make_motion) -> None:
    # A rigid body turning at a constant rate. Its IK root rotation r_i maps the facing onto +Z:
    # a rotation by -yaw_i about +Y whose quaternion HumanML3D keeps with w >= 0, i.e. half-angle
    # h_i = wrap(-yaw_i) / 2 in [-pi/2, pi/2]. The feature is arcsin(y) of r_(i+1) * inv(r_i) =
    # arcsin(sin(h_(i+1) - h_i)): -rate/2 normally, but +rate/2 on the rows where the heading
    # passes through 180 degrees. Away from the ends the Gaussian smoothing of a steadily
    # rotating direction keeps its angle, so interior rows must match exactly.
    rate, frames = 0.05, 300  # the interior rows 90..208 pass 3*pi (frame 188)
    joints = make_motion(frames, seed=7, wiggle=0.0, yaw_rate=rate, speed=0.0)
    feature = joints_to_features(joints)[:, 0]
    yaw = rate * np.arange(frames)  # relative to frame 0, which canonicalisation faces +Z
    half = np.angle(np.exp(-1j * yaw)) / 2
    expected = np.arcsin(np.sin(half[1:] - half[:-1]))
    interior = slice(90, frames - 91)
    np.testing.assert_allclose(feature[interior], expected[interior], atol=1e-6)
    assert (expected[interior] > 0).any() and (expected[interior] < 0).any()


def test_torch_in_torch_out(make_motion) -> None:
    joints = make_motion(10, seed=8)
    out = joints_to_features(torch.tensor(joints, dtype=torch.float32))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.shape == (9, 263)
    np.testing.assert_allclose(out.numpy(), joints_to_features(joints), atol=1e-5)


@pytest.mark.parametrize(
    ("joints", "message"),
    [
        (np.zeros((10, 24, 3)), r"\[T, 22, 3\]"),
        (np.zeros((10, 66)), r"\[T, 22, 3\]"),
        (np.zeros((1, 22, 3)), "at least 2 frames"),
        (np.zeros((0, 22, 3)), "at least 2 frames"),
        ([["not", "numbers"]], "numeric"),
    ],
)
def test_bad_shapes_raise(joints: object, message: str) -> None:
    with pytest.raises(MotionFormatError, match=message):
        joints_to_features(joints)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_raise(make_motion, bad: float) -> None:
    joints = make_motion(12, seed=9)
    joints[3, 5, 1] = bad
    joints[7, 0, 0] = bad
    with pytest.raises(MotionFormatError, match=r"NaN or Inf in 2 frame\(s\) \(3, 7\)"):
        joints_to_features(joints)


def test_degenerate_skeleton_raises() -> None:
    with pytest.raises(MotionFormatError, match="coincide"):
        joints_to_features(np.zeros((5, 22, 3)))
    joints = np.zeros((5, 22, 3))
    joints[:, :, 1] = np.linspace(0, 1.7, 22)  # every joint on one vertical line
    with pytest.raises(MotionFormatError, match="faces"):
        joints_to_features(joints)
