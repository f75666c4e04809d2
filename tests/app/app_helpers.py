"""Helpers of the web app tests: a synthetic walk and polling a job."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from momo.motion.representation import CANONICAL_BONE_LENGTHS, NUM_JOINTS, PARENTS, REST_DIRECTIONS


def walking_joints(frames: int = 40, speed: float = 1.0) -> np.ndarray:
    """The canonical rest pose sliding along +Z at ``speed`` m/s with swinging hands, 20 fps."""
    pose = np.zeros((NUM_JOINTS, 3))
    for joint in range(1, NUM_JOINTS):
        pose[joint] = pose[PARENTS[joint]] + REST_DIRECTIONS[joint] * CANONICAL_BONE_LENGTHS[joint]
    pose[:, 1] -= pose[:, 1].min()
    t = np.arange(frames) / 20.0
    joints = np.repeat(pose[None], frames, axis=0)
    joints[..., 2] += speed * t[:, None]
    joints[:, [20, 21], 2] += 0.2 * np.sin(2 * np.pi * t)[:, None] * np.array([1.0, -1.0])
    return joints.astype(np.float32)


def wait_for(client: Any, job_id: str, states: tuple[str, ...], timeout: float = 120) -> dict:
    """Poll a job until its state is one of ``states``; returns the job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s: {job}")
