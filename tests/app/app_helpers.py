"""Helpers of the web app tests: polling a job (and the kit's synthetic walk)."""

from __future__ import annotations

import time
from typing import Any

from kit import walking_joints as walking_joints  # re-exported for the app tests


def wait_for(client: Any, job_id: str, states: tuple[str, ...], timeout: float = 120) -> dict:
    """Poll a job until its state is one of ``states``; returns the job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s: {job}")
