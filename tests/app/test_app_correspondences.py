"""The viewer's attention correspondences: computed by the worker with momo.analysis."""

from __future__ import annotations

import numpy as np
import pytest

import momo

#: DDIM steps of the inversions (the tiny model has 1000 timesteps; a few keep this fast).
STEPS = 10


def _expected(model, folder, follower: int, layer: int, timestep: int) -> np.ndarray:
    """``q_leader . k_follower`` scores ``[T_l, T_f]`` of the same pair through the analysis
    library directly, in this process."""
    from momo.analysis.capture import capture_features
    from momo.analysis.correspondence import correspondences

    leader = momo.load_motion(folder / "leader.npy")
    other = momo.load_motion(folder / f"follower_{follower}.npy")
    found = [
        capture_features(model, m, layers=[layer], timesteps=[timestep], num_steps=STEPS)
        for m in (leader, other)
    ]
    q, k = found[0].query(layer, timestep), found[1].key(layer, timestep)
    return correspondences(q, k).scores


def test_correspondences_match_the_analysis_library(served, finished, app_checkpoint):
    client, state = served
    folder = state.jobs.get(finished["id"]).out_dir
    model = momo.load_model(str(app_checkpoint))
    timesteps = sorted(model.schedule.respaced_timesteps(STEPS))
    layer, timestep = 2, int(timesteps[3])
    url = f"/api/jobs/{finished['id']}/correspondences"
    response = client.get(url, params={"follower": 0, "layer": layer, "timestep": timestep,
                                       "steps": STEPS})  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["layer"], body["timestep"], body["follower"]) == (layer, timestep, 0)
    mapping = np.asarray(body["leader_to_follower"])
    assert len(mapping) == body["leader_frames"] == 40
    assert ((mapping >= 0) & (mapping < body["follower_frames"])).all()
    scores = _expected(model, folder, 0, layer, timestep)
    # Each leader frame's match is the best-scoring follower frame (up to float rounding between
    # the two processes, which could only swap near-ties).
    tolerance = 1e-4 * np.abs(scores).max()
    chosen = scores[np.arange(len(mapping)), mapping]
    np.testing.assert_array_less(scores.max(axis=1) - tolerance, chosen + 1e-12)
    assert (mapping == scores.argmax(axis=1)).mean() > 0.9
    np.testing.assert_allclose(body["scores"], chosen, rtol=1e-4, atol=tolerance)

    # Defaults: the middle layer (3 layers -> 1) and the middle timestep of the run.
    default = client.get(url, params={"follower": 1, "steps": STEPS}).json()
    assert (default["layer"], default["timestep"]) == (1, int(timesteps[STEPS // 2]))
    assert len(default["leader_to_follower"]) == 40


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"layer": 3}, 400, "layers 0..2"),
        ({"layer": -1}, 400, "layer -1"),
        ({"timestep": 1000}, 400, "timesteps 0..999"),
        ({"timestep": 5, "steps": STEPS}, 400, "not visited"),
        ({"steps": 0}, 400, "steps"),
        ({"follower": 2}, 400, "no follower 2"),
        ({"layer": "middle"}, 422, "layer"),
        ({"timestep": 1.5}, 422, "timestep"),
    ],
)
def test_bad_correspondence_requests_are_refused(served, finished, params, status, fragment):
    client, _ = served
    response = client.get(f"/api/jobs/{finished['id']}/correspondences", params=params)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert fragment in detail
    assert "\n" not in detail and "Traceback" not in detail


def test_correspondences_of_an_unknown_job_are_404(served):
    client, _ = served
    response = client.get("/api/jobs/0123456789abcdef/correspondences")
    assert response.status_code == 404


def test_view_reads_the_correspondences_of_analysis_json(
    served, finished, app_checkpoint, tmp_path
):
    import json
    import shutil

    from fastapi.testclient import TestClient

    from momo.analysis.report import analyze_pair
    from momo.app.server import AppState, create_app
    from momo.app.uploads import UploadStore

    _, serve_state = served
    folder = tmp_path / "result"
    shutil.copytree(serve_state.jobs.get(finished["id"]).out_dir, folder)
    model = momo.load_model(str(app_checkpoint))
    timestep = int(sorted(model.schedule.respaced_timesteps(5))[2])
    leader = momo.load_motion(folder / "leader.npy")
    other = momo.load_motion(folder / "follower_0.npy")
    analysis = analyze_pair(
        model, leader, other, layers=[0, 2], timestep=timestep, num_steps=5, n_clusters=2
    )
    (folder / "analysis.json").write_text(json.dumps(analysis.to_dict()))
    work = tmp_path / "work"
    state = AppState(work, UploadStore(work / "uploads"), None, folder, "")
    with TestClient(create_app(state)) as client:
        url = "/api/jobs/view/correspondences"
        body = client.get(url, params={"layer": 0}).json()
        assert (body["layer"], body["timestep"], body["source"]) == (0, timestep, "analysis.json")
        expected = analysis.layers[0].correspondence.follower_frames.tolist()
        assert body["leader_to_follower"] == expected
        assert client.get(url).json()["layer"] == 2  # the middle one of the file's layers
        for params, fragment in (({"layer": 1}, "layers [0, 2]"), ({"timestep": 0}, "timestep")):
            response = client.get(url, params=params)
            assert response.status_code == 400 and fragment in response.json()["detail"]
        short = {"timestep": timestep, "layers": [
            {"layer": 0, "correspondence": {"follower_frame": [0, 1]}}]}  # fmt: skip
        for data, fragment in ((short, "analyse these two files"), ({"x": 1}, "not momo analyze")):
            (folder / "analysis.json").write_text(json.dumps(data))
            response = client.get(url)
            assert response.status_code == 400 and fragment in response.json()["detail"]
        (folder / "analysis.json").unlink()
        response = client.get(url)
        assert response.status_code == 400 and "no analysis.json" in response.json()["detail"]
