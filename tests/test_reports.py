"""Reports: a notebook run pinned to a belief time gives the same numbers and hashes later."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from browser_support import chromium_page
from conftest import ADMIN, SECRET, build_model
from report_support import write_notebook
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.cli import app
from workbench.reports import (
    CellText,
    Provenance,
    ReportFailed,
    compare,
    find_chromium,
    print_pdf,
    read_provenance,
    run_report,
)
from workbench.reports.html import is_local, neutralise_links
from workbench.reports.params import coerce_parameters

T0 = pd.Timestamp("2025-03-01T00:00Z")
AS_OF = "2025-02-28T06:00Z"  # after the forecast of the 27th, before the one of the 28th at 12:00
HOURS = pd.date_range(T0, periods=24, freq="1h")
PASSWORD = "hunter2-not-for-reports"

SETUP = """\
import os
import holoviews as hv
import workbench as wb
hv.extension("bokeh", inline=True)
ws = wb.connect(user=os.environ.get("WORKBENCH_USER"), secret=os.environ.get("WORKBENCH_SECRET"))
"""
QUERY = """\
ds = ws.sensor(sensor).beliefs(most_recent=True, probabilistic=False)
values = ds["value"].values.ravel() * scale
print(f"sum={values.sum():.3f} n={len(values)} first={values[0]:.3f}")
"""
PLOT = 'hv.Curve((ds["event_start"].values, values), "time", "power")'


def report_notebook(folder: Path) -> Path:
    return write_notebook(
        folder / "power.ipynb",
        SETUP,
        QUERY,
        PLOT,
        "print(ws.as_of)",
        params='sensor = "Model/Sys:power"\nscale = 1.0',
    )


def forecasts(ws: wb.Workspace) -> wb.Sensor:
    """A sensor with day-ahead forecasts made on the 27th and on the 28th, at 12:00."""
    model = build_model(ws, "Sys", types={"Plant": {}}).model
    sensor = model.add_sensor("power", unit="MW", resolution="1h")
    for day, offset in ((27, 0.0), (28, 100.0)):
        sensor.ingest(
            pd.Series(np.arange(24.0) + offset, index=HOURS),
            source="forecaster",
            source_type="forecaster",
            belief_time=f"2025-02-{day}T12:00Z",
        )
    return sensor


def cli(*args: str, url: str, as_admin: bool = False) -> Result:
    """``workbench report ARGS`` on the store at ``url`` (as its first admin, or the local one)."""
    env = {"WORKBENCH_URL": url, "WORKBENCH_USER": None, "WORKBENCH_SECRET": None}
    if as_admin:
        env.update(WORKBENCH_USER=ADMIN, WORKBENCH_SECRET=SECRET)
    return CliRunner().invoke(app, ["report", *args], env=env)


def with_password(url: str) -> str:
    """The URL with a password the trusting test server ignores (to see that it is redacted)."""
    if not url.startswith("postgresql"):
        return url
    return sa.make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


class _Attributes(HTMLParser):
    """The src/href values of the page's elements (script and style bodies are not elements)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def outside_urls(page: str) -> list[str]:
    parser = _Attributes()
    parser.feed(page)
    return [u for u in parser.urls if re.match(r"(?i)\s*(https?:)?//", u) and not is_local(u)]


# -- the whole story: pinned runs give the same numbers; --check tells ------------------------


def test_a_pinned_report_gives_the_same_numbers_after_new_beliefs(
    ws: wb.Workspace, store_url: str, tmp_path: Path
) -> None:
    sensor = forecasts(ws)
    url = with_password(store_url)
    notebook = report_notebook(tmp_path)
    first = tmp_path / "first.html"
    pdf = ["--pdf"] if find_chromium() else []
    done = cli(
        str(notebook),
        "--as-of",
        AS_OF,
        "--param",
        "scale=2",
        "--out",
        str(first),
        *pdf,
        url=url,
        as_admin=True,
    )
    assert done.exit_code == 0, done.output
    page = first.read_text()
    old = read_provenance(page)
    # as of the 28th 06:00 the forecast of the 27th is the latest one
    expected = f"sum={2 * np.arange(24.0).sum():.3f} n=24 first=0.000"
    assert any(expected in o.text for o in old.outputs), old.outputs
    assert old.as_of == "2025-02-28T06:00:00+00:00" and old.as_of_requested == AS_OF
    assert old.parameters == {"scale": 2.0}
    (query,) = old.queries
    assert query["rows"] == 24 and len(query["sha256"]) == 64 and "Model/Sys:power" in query["what"]
    assert query["as_of"] == old.as_of and old.user == ADMIN and old.workbench == wb.__version__
    assert query["store"] == old.store  # each read names the store it read
    assert PASSWORD not in page and SECRET not in page and old.store == wb.store.redact_url(url)
    for shown in (wb.__version__, old.as_of, "scale = 2.0", query["sha256"], "Provenance"):
        assert shown in page
    if pdf:
        assert first.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"

    # new beliefs arrive after the pin: a forecast made later still
    sensor.ingest(
        pd.Series(np.full(24, 999.0), index=HOURS),
        source="forecaster",
        source_type="forecaster",
        belief_time=T0 - pd.Timedelta("1h"),
    )
    assert sensor.beliefs(most_recent=True)["value"].values.ravel()[0] == 999.0
    second = run_report(
        notebook, as_of=AS_OF, parameters=["scale=2"], store=url, user=ADMIN, secret=SECRET
    ).provenance
    assert second.queries == old.queries and second.outputs == old.outputs
    assert compare(old, second) == []

    checked = cli("--check", str(first), url=url, as_admin=True)
    assert checked.exit_code == 0, checked.output
    assert "identical" in checked.stdout and "differs" not in checked.stdout

    # a belief formed before the pin changes what was known then
    sensor.ingest(
        pd.Series([555.0], index=HOURS[:1]),
        source="forecaster",
        source_type="forecaster",
        belief_time=pd.Timestamp(AS_OF) - pd.Timedelta("1h"),
    )
    changed = cli("--check", str(first), url=url, as_admin=True)
    assert changed.exit_code == 1, changed.output
    assert "differs" in changed.stdout
    assert "read 1 (beliefs of Model/Sys:power" in changed.stdout
    assert "-sum=" in changed.stdout and "first=1110.000" in changed.stdout


# -- one report on the embedded store, looked at from every side ------------------------------


@pytest.fixture(scope="module")
def sqlite_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{folder / 'store.db'}"
    ws = wb.connect(url)
    forecasts(ws)
    ws.engine.dispose()
    report = run_report(report_notebook(folder), as_of=AS_OF, store=url)
    yield report.write(folder / "power.html"), url


def test_the_page_reaches_for_nothing_outside(sqlite_report: tuple[Path, str]) -> None:
    page = sqlite_report[0].read_text()
    assert outside_urls(page) == []
    for absent in ("require.min.js", "libs/mathjax/", "mermaid.esm.min.mjs", "unpkg.com"):
        assert absent not in page
    assert 'data-href="https://bokeh.org"' in page  # the banner's link, kept as text
    script = r'<script (?=[^>]*type="application/json")(?=[^>]*id="workbench-provenance")[^>]*>'
    block = re.search(script + "(.*?)</script>", page, re.S)
    assert block is not None and json.loads(block.group(1))["as_of"] == "2025-02-28T06:00:00+00:00"


@pytest.mark.browser
def test_the_plot_is_interactive_offline_in_chromium(sqlite_report: tuple[Path, str]) -> None:
    with chromium_page() as page:
        page.goto(sqlite_report[0].resolve().as_uri())
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=30000)
        page.locator(".bk-Canvas, canvas").first.wait_for(timeout=30000)
        figure = "Bokeh.documents.flatMap(d => [...d.all_models]).find(m => m.type === 'Figure')"
        start = page.evaluate(f"() => {figure}.x_range.start")
        box = page.locator(".bk-Canvas, canvas").first.bounding_box()
        assert box is not None and box["width"] > 100
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)  # pan (the default drag tool): the plot answers without a server
        page.mouse.down()
        page.mouse.move(x - 80, y, steps=5)
        page.mouse.up()
        assert page.evaluate(f"() => {figure}.x_range.start") > start
        assert page.locator("section.workbench-provenance").is_visible()
        outside = [u for u in page.outside if not u.startswith("file:")]
        assert outside == [] and page.console_errors == []


def test_print_pdf_writes_a_pdf(sqlite_report: tuple[Path, str], tmp_path: Path) -> None:
    if find_chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    target = print_pdf(sqlite_report[0], tmp_path / "power.pdf")
    assert target.read_bytes()[:5] == b"%PDF-" and target.stat().st_size > 10_000


def test_pdf_without_chromium_says_what_to_install(
    sqlite_report: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(ReportFailed, match="apt-get install chromium"):
        print_pdf(sqlite_report[0], tmp_path / "power.pdf")
    assert not (tmp_path / "power.pdf").exists()


def test_check_refuses_pages_that_are_not_reports(tmp_path: Path) -> None:
    page = tmp_path / "plain.html"
    page.write_text("<html><body><p>hello</p></body></html>")
    result = cli("--check", str(page), url=f"sqlite:///{tmp_path / 's.db'}")
    assert result.exit_code == 1 and "no provenance record" in result.stderr
    missing = cli("--check", str(tmp_path / "gone.html"), url=f"sqlite:///{tmp_path / 's.db'}")
    assert missing.exit_code == 1 and "report not found" in missing.stderr


# -- without --as-of, and failures -------------------------------------------------------------


def test_without_as_of_the_report_pins_now_and_records_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    notebook = write_notebook(
        tmp_path / "now.ipynb", "import workbench as wb\nprint(wb.connect().as_of)"
    )
    before = pd.Timestamp.now(tz="UTC")
    provenance = run_report(notebook, store=url).provenance
    after = pd.Timestamp.now(tz="UTC")
    assert provenance.as_of_requested == "now" and provenance.parameters == {}
    assert before <= pd.Timestamp(provenance.as_of) <= after
    (shown,) = provenance.outputs
    assert pd.Timestamp(shown.text.strip()) == pd.Timestamp(provenance.as_of)
    assert provenance.queries == [] and provenance.store == url


def test_a_failing_cell_is_named(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "bad.ipynb",
        "x = 1",
        "import workbench as wb\nwb.connect().sensor('Model/Nope:x')",
    )
    result = cli(str(notebook), "--as-of", AS_OF, url=f"sqlite:///{tmp_path / 's.db'}")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "failed in cell [2]" in result.stderr and "NotFound" in result.stderr
    assert not (tmp_path / "bad.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "nope=1"], "has no parameter 'nope'; its parameters are: scale, sensor"),
        (["--param", "scale=abc"], "scale='abc' is not a float like its default 1.0"),
        (["--param", "scale"], "'scale' is not of the form name=value"),
        (["--as-of", "yesterday"], "'yesterday' is not a time"),
        (["--as-of", "2025-02-28T06:00"], "is naive"),
        (["--check", "old.html", "--as-of", AS_OF], "--check takes the notebook"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(
    tmp_path: Path, args: list[str], message: str
) -> None:
    notebook = report_notebook(tmp_path)
    result = cli(str(notebook), *args, url=f"sqlite:///{tmp_path / 's.db'}")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert not (tmp_path / "s.db").exists() and not (tmp_path / "power.html").exists()


def test_unknown_notebooks_and_stores_are_refused(tmp_path: Path) -> None:
    with pytest.raises(wb.NotFound, match="notebook not found: 'nowhere.ipynb'"):
        run_report("nowhere.ipynb", store=f"sqlite:///{tmp_path / 's.db'}")
    text = write_notebook(tmp_path / "a.ipynb", "1").with_suffix(".txt")
    text.write_text("not a notebook")
    with pytest.raises(wb.InvalidValue, match="is not a notebook"):
        run_report(text)
    with pytest.raises(wb.InvalidValue, match="in-memory SQLite store"):
        run_report(tmp_path / "a.ipynb", store="sqlite://")
    with pytest.raises(wb.InvalidValue, match="has no cell tagged 'parameters'"):
        run_report(tmp_path / "a.ipynb", parameters=["x=1"], store=f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(wb.InvalidValue, match="kernel 'no-such-kernel' is not installed"):
        run_report(
            tmp_path / "a.ipynb", kernel="no-such-kernel", store=f"sqlite:///{tmp_path / 's.db'}"
        )


# -- the parts ---------------------------------------------------------------------------------


def test_parameters_take_the_type_of_their_defaults() -> None:
    declared: dict[str, Any] = {"days": 3, "scale": 1.5, "name": "a", "on": True, "ids": [1]}
    assert coerce_parameters(["days=7", "name=b=c", "on=False", "ids=[2, 3]"], declared) == {
        "days": 7,
        "name": "b=c",
        "on": False,
        "ids": [2, 3],
    }
    with pytest.raises(wb.InvalidValue, match="days='7.5' is not a int"):
        coerce_parameters(["days=7.5"], declared)
    with pytest.raises(wb.InvalidValue, match="on='maybe' is not a bool"):
        coerce_parameters(["on=maybe"], declared)
    with pytest.raises(wb.InvalidValue, match="ids='{' is not a list"):
        coerce_parameters(["ids={"], declared)


def test_links_to_other_hosts_are_made_inert() -> None:
    page = (
        '<a href="https://bokeh.org" class="x">B</a><img src="//cdn.example/a.png">'
        '<link rel="stylesheet" href="http://127.0.0.1:5006/s.css"><a href="#top">t</a>'
        '<script>var u = "<a href=\'https://x.org\'>";</script><img src="data:image/png;base64,AA">'
    )
    done = neutralise_links(page)
    assert outside_urls(done) == []
    assert '<a data-href="https://bokeh.org" title="https://bokeh.org" class="x">B</a>' in done
    assert '<img data-src="//cdn.example/a.png">' in done
    assert 'href="http://127.0.0.1:5006/s.css"' in done and 'href="#top"' in done
    assert "var u = \"<a href='https://x.org'>\";" in done  # scripts are left alone


def test_compare_names_every_kind_of_difference() -> None:
    read = {"what": "beliefs of X", "rows": 2, "sha256": "1" * 64, "as_of": None}
    old = Provenance(
        "/n.ipynb",
        "a" * 64,
        "2025-01-01T00:00:00+00:00",
        "now",
        {"k": 1},
        "sqlite:///w.db",
        "local admin",
        "python3",
        queries=[read],
        outputs=[CellText(1, "same\n"), CellText(2, "x=1\n")],
    )
    new = Provenance(
        "/n.ipynb",
        "b" * 64,
        "2025-01-01T00:00:00+00:00",
        "now",
        {"k": 1},
        "sqlite:///w.db",
        "local admin",
        "python3",
        queries=[{**read, "sha256": "2" * 64}, read],
        outputs=[CellText(1, "same\n"), CellText(2, "x=2\n")],
    )
    found = compare(old, new)
    assert found[0] == "the notebook /n.ipynb changed since the report was made"
    assert found[1] == "the notebook made 2 reads; the report made 1"
    assert found[2].startswith("read 1 (beliefs of X) differs: was 2 rows, sha256 111111111111")
    assert found[3] == "cell 2 shows other text:\n  -x=1\n  +x=2"
    assert Provenance.from_json(old.to_json()) == old
    with pytest.raises(wb.InvalidValue, match="not readable"):
        Provenance.from_json('{"notebook": 1}')
