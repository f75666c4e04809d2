"""The page in a real headless browser (Chromium through Selenium): load two motions, run a
transfer on the tiny model, see the figures drawn, download the zip.

Skips with the reason when Selenium, Chromium or its driver is missing (Debian: ``apt-get
install chromium chromium-driver``; Selenium comes with the dev extra).
"""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_helpers import walking_joints

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> tuple[str, str]:
    pytest.importorskip("selenium", reason="the browser test needs selenium (dev extra)")
    driver = shutil.which("chromedriver")
    binary = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if driver is None or binary is None:
        pytest.skip(
            "no Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)"
        )
    return binary, driver


@pytest.fixture(scope="module")
def live_url(served) -> Iterator[str]:
    """The served app on a real socket (uvicorn in a thread), sharing the test server's jobs."""
    import uvicorn

    from momo.app.server import create_app

    _, state = served
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(state), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    binary, driver_path = _browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
        "--window-size=1280,860",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def _wait(condition: Any, timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _role_pixels(image: np.ndarray) -> dict[str, np.ndarray]:
    """x coordinates of pixels in each role's hue (blue leader, orange follower, green output)."""
    r, g, b = (image[..., i].astype(int) for i in range(3))
    masks = {
        "leader": (b > 150) & (b > r + 60) & (b > g + 15),
        "follower": (r > 170) & (g > 90) & (g < r - 30) & (b < 90),
        "output": (g > 120) & (g > r + 50) & (g > b + 10),
    }
    return {role: np.nonzero(mask)[1] for role, mask in masks.items()}


def test_page_runs_a_transfer_and_draws_it(browser, live_url, tmp_path: Path):
    from PIL import Image
    from selenium.webdriver.common.by import By

    leader, follower = tmp_path / "walk.npy", tmp_path / "slow_walk.npy"
    np.save(leader, walking_joints(40))
    np.save(follower, walking_joints(40, speed=0.4))
    browser.get(live_url)
    find = browser.find_element
    _wait(lambda: "layers" in find(By.ID, "model-info").text, what="the model's info")

    find(By.CSS_SELECTOR, "#leader input[type=file]").send_keys(str(leader))
    find(By.CSS_SELECTOR, "#followers input[type=file]").send_keys(str(follower))
    for role in ("leader", "followers"):
        info = find(By.CSS_SELECTOR, f"#{role} .info")
        _wait(lambda info=info: "40 frames" in info.text, what=f"the {role}'s motion info")
    find(By.NAME, "sampling_steps").send_keys("5")
    find(By.NAME, "seed").send_keys("3")
    find(By.NAME, "reuse_inversion").click()  # leader and follower rows are the inputs
    find(By.NAME, "video").click()  # off
    find(By.ID, "run").click()

    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#jobs .job.done"), 120, "the job")
    _wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#legend li")) == 3, 30, "legend")
    assert find(By.ID, "run-error").text == ""
    find(By.ID, "play").click()  # pause: the figures stand still for the screenshot
    time.sleep(0.5)
    canvas = find(By.ID, "canvas")

    def pixels() -> dict[str, np.ndarray]:
        """Role-coloured pixels of the canvas, leaving out the legend drawn over it."""
        shot = np.array(Image.open(io.BytesIO(canvas.screenshot_as_png)).convert("RGB"))
        legend, origin = find(By.ID, "legend").rect, canvas.rect
        top, left = int(legend["y"] - origin["y"]), int(legend["x"] - origin["x"])
        shot[: top + int(legend["height"]) + 2, : left + int(legend["width"]) + 2] = 0
        return _role_pixels(shot)

    # The tiny model's output wanders off (its root travels metres), so the first view is
    # wide: each role shows up, the output mostly as its long root trace.
    xs = pixels()
    for role, found in xs.items():
        assert found.size > 0, f"nothing drawn in the {role}'s colour"
    assert xs["output"].size > 50

    # The two input walks alone, without traces, the camera aimed at them.
    find(By.ID, "traces").click()
    find(By.CSS_SELECTOR, "#legend li:nth-child(3) input").click()
    find(By.ID, "fit").click()
    time.sleep(0.5)
    xs = pixels()
    assert xs["output"].size == 0
    for role in ("leader", "follower"):
        assert xs[role].size > 200, f"the {role} figure is not drawn ({xs[role].size} pixels)"
    # Side by side: leader left of the follower, neither spread over the whole canvas.
    assert np.median(xs["leader"]) < np.median(xs["follower"])
    width = canvas.size["width"]
    assert np.ptp(xs["leader"]) < width / 2 and np.ptp(xs["follower"]) < width / 2

    href = find(By.PARTIAL_LINK_TEXT, "everything").get_attribute("href")
    size, magic = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then((r) => r.arrayBuffer()).then((b) => done(
            [b.byteLength, String.fromCharCode(...new Uint8Array(b.slice(0, 2)))]));""",
        href,
    )
    assert magic == "PK" and size > 1000

    # Attention correspondences: links from the leader to the follower frames it attends to.
    def link_pixels() -> int:
        shot = np.array(Image.open(io.BytesIO(canvas.screenshot_as_png)).convert("RGB"))
        r, g, b = (shot[..., i].astype(int) for i in range(3))
        return int(((r > 180) & (b > 180) & (g < 170)).sum())

    before = link_pixels()
    find(By.CSS_SELECTOR, "#links-form input[name=steps]").send_keys("5")
    find(By.ID, "links-run").click()
    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#links-list li"), 60, "the links")
    assert "layer 1" in find(By.ID, "links-status").text  # the tiny model's middle layer
    first = find(By.CSS_SELECTOR, "#links-list li").text
    assert first.startswith("0→") and int(first.split("→")[1]) in range(40)
    time.sleep(0.5)
    shown = link_pixels()
    assert shown > before + 20, f"no link drawn ({before} -> {shown} magenta pixels)"
    find(By.ID, "links-hide").click()
    time.sleep(0.5)
    assert link_pixels() < shown
