"""The playground page end to end, in a real headless Chromium driven by Playwright.

The server is the real one (uvicorn on 127.0.0.1, a free port, in a thread); the browser is the system's Chromium
(Debian's ``chromium`` package: ``.ci/run`` installs it), never one Playwright downloads.  Where no browser can be
had the tests are skipped with the reason, except in CI (``CI=true``, or ``DEEPSTEP_REQUIRE_BROWSER=1`` as .ci/run
sets it), where a missing browser is a failure.
A screenshot of the trained page goes to ``$DEEPSTEP_ARTIFACTS`` (default ``test-artifacts``)/playground.png.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError as exc:  # pragma: no cover - depends on the machine
    PLAYWRIGHT_MISSING: str | None = f"the Python package playwright cannot be imported ({exc})"
else:
    PLAYWRIGHT_MISSING = None

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TRAIN_TIMEOUT_MS = 120_000
TIMEOUT_MS = 20_000
SERVED: dict = {}
"""The app the module's server runs (its sessions, for the tests that count them)."""


def chromium_path() -> str | None:
    """The system's Chromium (Debian installs /usr/bin/chromium), or None."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_browser() -> str:
    """The path of Chromium; a skip with the reason where there is none or no Playwright, a failure in CI."""
    path = chromium_path()
    reason = PLAYWRIGHT_MISSING or (None if path else
                                    "no Chromium on this machine (/usr/bin/chromium or `chromium` on PATH); "
                                    "install it with apt-get install chromium (.ci/run does)")
    if reason:
        if os.environ.get("CI") == "true" or os.environ.get("DEEPSTEP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser test cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"browser test skipped: {reason}")
    return path


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("DEEPSTEP_ARTIFACTS", "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- the server and the browser ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server_url():
    """The playground's URL: uvicorn serving create_app() on 127.0.0.1, a free port, in a background thread."""
    require_browser()  # no server to start where the tests are skipped
    import uvicorn

    from deepstep.playground import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    app = SERVED["app"] = create_app()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # noqa: BLE001 - reported below
            failure.append(exc)

    thread = threading.Thread(target=run, name="playground-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert not failure, f"the playground server did not start: {failure[0]!r}"
        assert thread.is_alive() and time.monotonic() < deadline, "the playground server did not start in 20 s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
        assert not thread.is_alive(), "the playground server did not stop within 20 s"
        assert not failure, f"the playground server failed: {failure[0]!r}"


@pytest.fixture(scope="module")
def browser():
    executable = require_browser()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Tab:
    """A page in a fresh browser context, with the JavaScript errors and console errors it reported."""

    def __init__(self, page) -> None:
        self.page = page
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)

    def check_no_script_errors(self, *, http_errors_expected: bool = False) -> None:
        assert self.page_errors == [], f"JavaScript errors on the page: {self.page_errors}"
        # a 400 answer is logged by Chromium as "Failed to load resource"; nothing else may be
        errors = [m for m in self.console_errors if not (http_errors_expected and "Failed to load resource" in m)]
        assert errors == [], f"console errors on the page: {errors}"


@pytest.fixture
def tab(browser, server_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    t = Tab(page)
    try:
        page.goto(server_url)
        expect(page.locator("#start")).to_be_enabled()  # the first session exists
        expect(page.locator("#train-accuracy")).to_have_text(re.compile(r"^\d+\.\d%$"))
        yield t
    finally:
        context.close()
    assert t.page_errors == [], f"JavaScript errors on the page: {t.page_errors}"


def settings_field(page, name: str):
    return page.locator(f'#settings [name="{name}"]')


def change(page, name: str, value: str) -> None:
    """Type a value into a settings field and leave it (the page asks for a new session on 'change')."""
    field = settings_field(page, name)
    field.fill(value)
    field.press("Tab")


def iteration(page) -> int:
    return int(page.locator("#iteration").inner_text())


# -- the tests -----------------------------------------------------------------------------------------------------
def test_flower_trains_to_90_percent_and_steps(tab):
    page = tab.page
    expect(page.locator("#dataset")).to_have_value("planar")
    expect(settings_field(page, "hidden")).to_have_value("4")
    expect(settings_field(page, "hidden_activation")).to_have_value("tanh")
    expect(settings_field(page, "learning_rate")).to_have_value("1.2")
    expect(page.locator("#iteration")).to_have_text("0")

    page.click("#start")
    page.wait_for_function(
        "() => parseFloat(document.getElementById('train-accuracy').textContent) >= 90.0",
        timeout=TRAIN_TIMEOUT_MS, polling=100)
    page.click("#pause")
    expect(page.locator("#start")).to_be_enabled()  # the run's last request has answered
    before = iteration(page)
    assert before > 0

    page.click("#step")
    expect(page.locator("#iteration")).to_have_text(str(before + 1))
    page.wait_for_timeout(300)
    assert iteration(page) == before + 1, "the page went on training after Pause and one Step"

    explain = page.locator("#explain")
    expect(explain.locator("math").first).to_be_attached()
    assert "dW" in explain.inner_text()
    network = page.locator("#network")
    assert network.locator("line").count() == 2 * 4 + 4 * 1  # every weight of W[1] (4, 2) and W[2] (1, 4)
    labels = network.locator("text").all_text_contents()
    assert "W[1] (4, 2)" in labels and "W[2] (1, 4)" in labels, labels
    expect(page.locator("#error")).to_have_text("")
    assert re.fullmatch(r"\d+\.\d{4}", page.locator("#last-cost").inner_text())

    page.screenshot(path=str(artifacts_dir() / "playground.png"), full_page=True)
    tab.check_no_script_errors()


def test_a_link_restores_the_settings_and_the_lesson_shows(browser, server_url):
    """The settings live in the page's address: a link opens them (a new data set, batch normalization, the course's
    zero initialization, whose lesson the page shows), and a change writes them back."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(server_url + "#dataset=xor&hidden=5%2C3&init=zeros&batch_norm=on&noise=0.1&learning_rate=0.3")
        expect(page.locator("#start")).to_be_enabled()
        assert settings_field(page, "dataset").input_value() == "xor"
        assert settings_field(page, "hidden").input_value() == "5,3"
        assert settings_field(page, "batch_norm").is_checked()
        expect(page.locator("#remarks li").first).to_have_text(re.compile(r"^zeros: every W\[l\] starts at 0"))
        page.screenshot(path=str(artifacts_dir() / "playground-lesson.png"), full_page=True)
        change(page, "learning_rate", "0.7")
        expect(page).to_have_url(re.compile(r"learning_rate=0\.7"))
        assert "dataset=xor" in page.url and "batch_norm=on" in page.url
    finally:
        context.close()


def test_buttons_add_and_remove_layers_and_units_and_weights_show_their_values(tab):
    page = tab.page
    page.click("#add-layer")
    expect(settings_field(page, "hidden")).to_have_value("4,4")
    page.click("#add-unit")
    expect(settings_field(page, "hidden")).to_have_value("4,5")
    page.click("#remove-unit")
    page.click("#remove-layer")
    expect(settings_field(page, "hidden")).to_have_value("4")
    page.click("#remove-layer")  # the last hidden layer stays (a network here has one at least)
    expect(settings_field(page, "hidden")).to_have_value("4")
    expect(page.locator("#start")).to_be_enabled()
    expect(page.locator("#units canvas.unit")).to_have_count(4)  # one picture per hidden unit
    first = page.locator("#network line.weight").first
    name, title = first.get_attribute("data-name"), first.locator("title").text_content()
    value = float(title.split(" = ")[1])
    i, j = (int(x) for x in re.findall(r"\[(\d+)\]", name)[1:3])  # W[1][i][j]
    assert title.startswith(f"W[1][{i}, {j}] = ") and abs(value) < 10
    tab.check_no_script_errors()


def test_a_weight_is_edited_by_clicking_it(tab):
    page = tab.page
    expect(page.locator("#start")).to_be_enabled()
    line = page.locator('#network line.weight[data-name="W[1][2][1]"]')
    line.dispatch_event("click")  # (a thin line: its event, not a click at a point of the box)
    expect(page.locator("#weight-edit")).to_be_visible()
    expect(page.locator("#weight-name")).to_have_text("W[1][2, 1]")
    page.fill("#weight-value", "many")
    page.click("#weight-edit button[type=submit]")
    expect(page.locator("#error")).to_have_text(re.compile(r"^value: "))
    page.fill("#weight-value", "2.5")
    page.click("#weight-edit button[type=submit]")
    expect(page.locator("#weight-edit")).to_be_hidden()
    expect(line.locator("title")).to_have_text("W[1][2, 1] = 2.5")
    expect(page.locator("#error")).to_have_text("")
    page.screenshot(path=str(artifacts_dir() / "playground-weight.png"), full_page=True)
    page.click("#step")  # training goes on from it
    expect(page.locator("#iteration")).to_have_text("1")
    assert line.locator("title").text_content() != "W[1][2, 1] = 2.5"
    tab.check_no_script_errors(http_errors_expected=True)  # (the 400 of "many")


def test_a_regression_set_shows_its_prediction_and_r2(browser, server_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(server_url + "#dataset=hills&hidden=8%2C8&optimizer=adam&learning_rate=0.03")
        expect(page.locator("#start")).to_be_enabled()
        expect(page.locator("#boundary-title")).to_have_text(re.compile(r"^Prediction over the plane"))
        expect(page.locator(".score-name").first).to_have_text("R²")
        page.click("#start")
        page.wait_for_function("() => parseFloat(document.getElementById('val-accuracy').textContent) >= 0.9",
                               timeout=TRAIN_TIMEOUT_MS, polling=100)
        page.click("#pause")
        assert re.fullmatch(r"0\.\d{3}", page.locator("#val-accuracy").inner_text())  # R^2, not a percentage
        page.screenshot(path=str(artifacts_dir() / "playground-regression.png"), full_page=True)
    finally:
        context.close()


def test_a_diverging_run_shows_the_guards_advice(tab):
    page = tab.page
    page.select_option('#settings [name="hidden_activation"]', "relu")
    change(page, "learning_rate", "1e6")
    expect(page.locator("#start")).to_be_enabled()
    page.click("#start")
    expect(page.locator("#error")).to_have_text(re.compile(r"^learning_rate: training diverged at iteration \d+.*"
                                                           r"try a smaller learning rate"), timeout=TRAIN_TIMEOUT_MS)
    expect(page.locator("#start")).to_be_enabled()  # the run stopped, and says why
    assert "500" not in page.locator("#error").inner_text()
    page.screenshot(path=str(artifacts_dir() / "playground-diverged.png"), full_page=True)
    tab.check_no_script_errors(http_errors_expected=True)  # (the 409 of the diverged request)


def test_the_noise_slider_batch_norm_and_a_stuck_network(tab):
    page = tab.page
    expect(page.locator("#noise-shown")).to_have_text("the set's own")
    page.locator("#noise").fill("0.35")  # (a range input takes fill: its value, then input and change events)
    expect(page.locator("#noise-shown")).to_have_text("0.35")
    expect(page).to_have_url(re.compile(r"noise=0\.35"))
    page.check('#settings [name="batch_norm"]')
    expect(page).to_have_url(re.compile(r"batch_norm=on"))
    change(page, "learning_rate", "1e-7")
    expect(page.locator("#start")).to_be_enabled()
    page.click("#start")
    expect(page.locator("#remarks li").first).to_have_text(re.compile(r"^The cost has not moved"),
                                                           timeout=TRAIN_TIMEOUT_MS)
    page.click("#pause")
    layers = len(page.evaluate("state.layer_dims")) - 1  # the signals table: a header and one row per layer
    expect(page.locator("#signals tr")).to_have_count(layers + 1)
    expect(page.locator("#signals tr").nth(1).locator("td").first).to_have_text("1")
    page.select_option("#dataset", "moons")  # another data set: its own noise again
    expect(page.locator("#noise-shown")).to_have_text("the set's own")
    expect(page).to_have_url(re.compile(r"dataset=moons"))  # (written once the new session is there)
    assert "noise=" not in page.url
    tab.check_no_script_errors()


def test_a_link_opened_in_the_same_tab_takes_effect(tab):
    page = tab.page
    expect(page.locator("#start")).to_be_enabled()
    page.evaluate("location.hash = 'dataset=xor&hidden=5%2C3&batch_norm=on'")
    expect(settings_field(page, "hidden")).to_have_value("5,3")
    assert settings_field(page, "dataset").input_value() == "xor" and settings_field(page, "batch_norm").is_checked()
    expect(page.locator("#network text")).to_contain_text(["W[1] (5, 2)", "W[2] (3, 5)", "W[3] (1, 3)"])
    tab.check_no_script_errors()


def test_bad_settings_show_the_servers_message(tab):
    page = tab.page
    change(page, "hidden", "0")
    expect(page.locator("#error")).to_have_text(re.compile(r"^hidden: .*\b0\b"))
    expect(page.locator("#start")).to_be_disabled()  # nothing trains under settings the server refused
    expect(page.locator("#step")).to_be_disabled()

    change(page, "hidden", "4")
    expect(page.locator("#error")).to_have_text("")
    expect(page.locator("#start")).to_be_enabled()

    change(page, "learning_rate", "-1")
    expect(page.locator("#error")).to_have_text(re.compile(r"^learning_rate: .*-1"))
    change(page, "learning_rate", "fast")  # no number: a message, not the default in silence
    expect(page.locator("#error")).to_have_text('learning_rate: expected a number, got "fast"')
    change(page, "hidden", "8,x")
    expect(page.locator("#error")).to_have_text(re.compile(r'^hidden: expected layer sizes .*"8,x"'))

    change(page, "hidden", "4")
    change(page, "learning_rate", "1.2")
    expect(page.locator("#error")).to_have_text("")
    page.click("#step")
    expect(page.locator("#iteration")).to_have_text("1")
    tab.check_no_script_errors(http_errors_expected=True)


def test_csv_upload_trains(tab, tmp_path):
    page = tab.page
    rows = ["x1,x2,label"]
    for k in range(40):  # two classes either side of the line x1 + x2 = 0
        x1, x2 = ((k * 7) % 19 - 9) / 3, ((k * 11) % 23 - 11) / 4
        if abs(x1 + x2) < 0.3:
            x2 += 0.6
        rows.append(f"{x1:.3f},{x2:.3f},{'above' if x1 + x2 > 0 else 'below'}")
    good = tmp_path / "line.csv"
    good.write_text("\n".join(rows) + "\n", encoding="utf-8")

    page.select_option("#dataset", "csv")
    expect(page.locator("#csv-row")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("csv: choose a CSV file")
    page.set_input_files("#csv-file", str(good))
    expect(page.locator("#start")).to_be_enabled()  # the session of the upload exists
    expect(page.locator("#error")).to_have_text("")
    expect(page.locator("#iteration")).to_have_text("0")
    assert page.evaluate("points.label.length") == 40  # the page draws the uploaded points

    page.click("#step")
    expect(page.locator("#iteration")).to_have_text("1")
    expect(page.locator("#train-accuracy")).to_have_text(re.compile(r"^\d+\.\d%$"))
    page.click("#start")
    page.wait_for_function(
        "() => parseFloat(document.getElementById('train-accuracy').textContent) >= 95.0",
        timeout=TRAIN_TIMEOUT_MS, polling=100)
    page.click("#pause")
    expect(page.locator("#start")).to_be_enabled()
    expect(page.locator("#error")).to_have_text("")

    bad = tmp_path / "text.csv"
    bad.write_text("x1,x2,label\n" + "".join(f"p{k},{k % 3},{k % 2}\n" for k in range(12)), encoding="utf-8")
    page.set_input_files("#csv-file", str(bad))
    expect(page.locator("#error")).to_have_text(re.compile(r"^csv: x1: expected numeric features.*'p0'"))
    expect(page.locator("#start")).to_be_disabled()
    tab.check_no_script_errors(http_errors_expected=True)


def test_the_model_downloads_with_the_pages_token(tab, tmp_path):
    page = tab.page
    page.click("#step")
    expect(page.locator("#iteration")).to_have_text("1")
    with page.expect_download() as info:
        page.click("#download")
    path = tmp_path / "model.npz"
    info.value.save_as(path)
    import deepstep as ds

    net = ds.load_model(path)
    assert net.layer_dims == [2, 4, 1] and len(net.history.cost) == 1
    expect(page.locator("#error")).to_have_text("")
    tab.check_no_script_errors()


ATTACK = """<!doctype html><html><body><script>
const target = "%s";
window.done = (async () => {
  const tries = [
    fetch(target + "api/sessions", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
                                    body: '{"points": 20}'}),
    fetch(target + "api/sessions", {method: "POST", headers: {"Content-Type": "application/json",
                                    "X-Deepstep-Token": "guess"}, body: '{"points": 20}'}),
    fetch(target + "api/sessions/%s/close", {method: "POST", mode: "no-cors"}),
    fetch(target + "api/sessions/%s", {method: "DELETE"}),
    fetch(target, {mode: "cors"}).then((r) => r.text()),
  ];
  const results = await Promise.allSettled(tries);
  navigator.sendBeacon(target + "api/sessions", '{"points": 20}');
  return results.map((r) => r.status === "fulfilled" ? (typeof r.value === "string" ? "read" : r.value.type)
                                                      : "blocked");
})();
</script></body></html>"""


@pytest.fixture
def other_site():
    """Another web site on this machine (127.0.0.1, another port: another origin) serving the attacker's page."""
    import http.server

    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = pages.get("attack", b"")
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", pages
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_page_of_another_site_can_neither_create_nor_end_sessions_nor_read_the_token(browser, server_url,
                                                                                        other_site, monkeypatch):
    from deepstep import playground

    refused: list[tuple[str, int, str]] = []
    refusal = playground._Guard.refusal

    def recorded(self, scope):
        answer = refusal(self, scope)
        if answer is not None:
            refused.append((scope["path"], *answer))
        return answer

    monkeypatch.setattr(playground._Guard, "refusal", recorded)
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        mine = context.new_page()
        mine.goto(server_url)
        expect(mine.locator("#start")).to_be_enabled()
        store = SERVED["app"].state.sessions
        own = mine.evaluate("session")
        before = len(store)
        url, pages = other_site
        pages["attack"] = (ATTACK % (server_url, own, own)).encode()
        evil = context.new_page()
        evil.goto(url)
        results = evil.evaluate("window.done")
        evil.wait_for_timeout(500)  # (the beacon)
        # the no-cors POSTs (text/plain, a beacon: what needs no preflight) reach the server, which refuses
        # them (no token, a foreign Origin) and whose answers the browser hides (Cross-Origin-Resource-Policy);
        # the others the browser stops (a preflight the server does not answer, a read it does not allow)
        assert results == ["blocked"] * 5, results
        assert (f"/api/sessions/{own}/close", 403) in [(path, status) for path, status, _ in refused], refused
        assert all(message.startswith("Origin: expected") for _, _, message in refused), refused
        assert [path for path, _, _ in refused].count("/api/sessions") >= 2  # the text/plain fetch, the beacon
        assert len(store) == before and store.get(own) is not None  # nothing made, nothing ended
        mine.click("#step")
        expect(mine.locator("#iteration")).to_have_text("1")
    finally:
        context.close()
