"""The ``workbench`` command line: every command, its output and its failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.api.exchange import load_yaml
from workbench.cli import app, main
from workbench.cli.app import COMMANDS, GROUPS

ROOT = Path(__file__).resolve().parents[1]
ADMIN, SECRET = "admin@operators.example", "correct horse battery staple"
_CLEAN_ENV: dict[str, str | None] = {
    "WORKBENCH_URL": None,
    "WORKBENCH_USER": None,
    "WORKBENCH_SECRET": None,
}


def run(*args: str, input: str | None = None, env: dict[str, Any] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input, env={**_CLEAN_ENV, **(env or {})})


def ok(*args: str, **kwargs: Any) -> str:
    result = run(*args, **kwargs)
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(*args: str, message: str, **kwargs: Any) -> Result:
    """A workbench error: exit status 1, one red line on stderr, no traceback."""
    result = run(*args, **kwargs)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/store.db"


def test_help_lists_every_command_and_group() -> None:
    text = ok("--help")
    for name in ["init", "tree", "demo", "definitions", "models", "accounts", "users"]:
        assert name in text
    assert "WORKBENCH_URL" in text
    assert [name for name, _ in GROUPS] == [
        "definitions",
        "models",
        "accounts",
        "users",
        "sensors",
        "beliefs",
        "db",
        "import",
    ]
    assert [c.__name__ for c in COMMANDS] == ["init", "tree", "demo", "serve", "report"]
    assert "export" in ok("definitions", "--help") and "import" in ok("models", "--help")


def test_init_embedded_store(url: str, tmp_path: Path) -> None:
    assert "ready; it opens as the local admin" in ok("--url", url, "init")
    assert (tmp_path / "store.db").exists()
    assert ok("--url", url, "models", "list") == ""


def test_init_with_an_admin_then_again_is_refused(url: str) -> None:
    text = ok("--url", url, "init", "--admin", ADMIN, "--secret", SECRET)
    assert f"its first admin is {ADMIN} (Operators)" in text
    refused(
        "--url",
        url,
        "--secret",
        SECRET,
        "init",
        "--admin",
        "b@x.example",
        message="the store already has users",
    )


def test_init_asks_for_the_secret(url: str) -> None:
    assert ADMIN in ok("--url", url, "init", "--admin", ADMIN, input=f"{SECRET}\n")
    ws = wb.connect(url, user=ADMIN, secret=SECRET)
    assert ws.user == ADMIN
    ws.engine.dispose()


def test_init_shared_store_needs_an_admin() -> None:
    refused(
        "--url",
        "postgresql+psycopg://127.0.0.1/nowhere",
        "init",
        message="a shared store needs a first admin: give --admin EMAIL and --secret",
    )


@pytest.mark.postgres
def test_init_shared_store_and_sign_in(pg_url: str) -> None:
    ok("--url", pg_url, "init", "--admin", ADMIN, "--secret", SECRET)
    env = {"WORKBENCH_URL": pg_url, "WORKBENCH_USER": ADMIN, "WORKBENCH_SECRET": SECRET}
    assert "Built the demo model Model/Demo" in ok("demo", "--depth", "0", env=env)
    assert ok("models", "list", env=env) == "Model/Demo (HydroPower)\n"
    refused(
        "--user",
        ADMIN,
        "--secret",
        "wrong",
        "models",
        "list",
        env={"WORKBENCH_URL": pg_url},
        message=f"user {ADMIN!r} is unknown or the secret does not match",
    )
    refused("models", "list", env={"WORKBENCH_URL": pg_url}, message="needs user= and secret=")


def test_user_without_secret_is_asked(url: str) -> None:
    ok("--url", url, "init", "--admin", ADMIN, "--secret", SECRET)
    prompted = ok("--url", url, "--user", ADMIN, "models", "list", input=f"{SECRET}\n")
    assert prompted == f"secret for {ADMIN}: \n"  # the prompt; no models yet
    refused(
        "--url",
        url,
        "--user",
        ADMIN,
        "models",
        "list",
        input="nope\n",
        message="unknown or the secret does not match",
    )


def test_demo_builds_once_and_prints_its_tree(url: str) -> None:
    first = ok("--url", url, "demo")
    assert first.startswith(f"Built the demo model Model/Demo on HydroPower in {url}.\n")
    assert "Demo (HydroSystem)" in first and "Brokke (Plant)" in first
    second = ok("--url", url, "demo", "--depth", "1")
    assert second.startswith("The demo model Model/Demo exists already.\n")
    assert "East (Area)" in second and "Glomma" not in second
    assert "Built" in ok("--url", url, "demo", "--name", "Other", "--depth", "0")
    assert ok("--url", url, "models", "list") == (
        "Model/Demo (HydroPower)\nModel/Other (HydroPower)\n"
    )


def test_tree(url: str) -> None:
    ok("--url", url, "demo", "--depth", "0")
    text = ok("--url", url, "tree", "Model/Demo/South/Otra", "--depth", "1")
    assert text.startswith("Otra (Watercourse)  CatchmentArea: 3720 km^2\n")
    assert "Holen (Plant)" in text
    assert ok("--url", url, "tree", "Demo", "--depth", "0") == "Demo (HydroSystem)\n"
    assert "Glomma (Watercourse)" in ok("--url", url, "tree", "Model/Demo.To_Areas/East")
    refused("--url", url, "tree", "Model/Demo/Nowhere", message="object not found")
    refused("--url", url, "tree", "Model/Demo/A.b.c", message="has more than one '.'")
    assert run("--url", url, "tree", "Demo", "--depth", "-1").exit_code == 2  # a usage error


def test_export_and_import_into_another_store(url: str, tmp_path: Path) -> None:
    ok("--url", url, "demo", "--depth", "0")
    definition, model = tmp_path / "hydro.yaml", tmp_path / "demo.yaml"
    assert "Wrote the model definition 'HydroPower'" in ok(
        "--url", url, "definitions", "export", "HydroPower", str(definition)
    )
    assert "Wrote the model Model/Demo" in ok("--url", url, "models", "export", "Demo", str(model))
    assert load_yaml(definition.read_text())["kind"] == "model_definition"
    other = f"sqlite:///{tmp_path}/other.db"
    assert "Imported the model definition 'HydroPower' (6 object definitions)" in ok(
        "--url", other, "definitions", "import", str(definition)
    )
    assert "Imported the model Model/Demo" in ok("--url", other, "models", "import", str(model))
    again = tmp_path / "again.yaml"
    ok("--url", other, "models", "export", "Model/Demo", str(again))
    assert again.read_text() == model.read_text()
    assert ok("--url", other, "definitions", "export", "HydroPower", "-") == definition.read_text()
    assert ok("--url", other, "definitions", "list") == "HydroPower\n"
    shown = ok("--url", other, "definitions", "show", "HydroPower").splitlines()
    assert shown[0] == "Models: Demo"
    with wb.connect(other) as ws:
        counts = ws.instance_counts("HydroPower")
    assert len(counts) == 6 and counts["Plant"] > 1
    assert [line.split()[:2] for line in shown[1:]] == [[n, str(c)] for n, c in counts.items()]


def test_import_from_standard_input_onto_another_definition(url: str, tmp_path: Path) -> None:
    ok("--url", url, "demo", "--depth", "0")
    definition = ok("--url", url, "definitions", "export", "HydroPower", "-")
    model = ok("--url", url, "models", "export", "Demo", "-")
    other = f"sqlite:///{tmp_path}/other.db"
    renamed = definition.replace("name: HydroPower", "name: Hydro2", 1)
    ok("--url", other, "definitions", "import", "-", input=renamed)
    ok("--url", other, "models", "import", "-", "--definition", "Hydro2", input=model)
    assert ok("--url", other, "models", "list") == "Model/Demo (Hydro2)\n"


def test_exchange_failures(url: str, tmp_path: Path) -> None:
    ok("--url", url, "demo", "--depth", "0")
    file = tmp_path / "demo.yaml"
    ok("--url", url, "models", "export", "Demo", str(file))
    refused(
        "--url",
        url,
        "models",
        "import",
        str(file),
        message="cannot import the model 'Demo': one of that name exists",
    )
    refused(
        "--url",
        url,
        "definitions",
        "export",
        "Nope",
        str(tmp_path / "x.yaml"),
        message="model definition not found: 'Nope'; defined: ['HydroPower']",
    )
    refused("--url", url, "definitions", "import", str(file), message="holds a 'model'")
    refused(
        "--url",
        url,
        "models",
        "export",
        "Model/Demo/East",
        str(tmp_path / "x.yaml"),
        message="Model/Demo.To_Areas/East is not a model; export its model Model/Demo",
    )
    refused("--url", url, "models", "import", str(tmp_path / "missing.yaml"), message="cannot read")
    refused(
        "--url",
        url,
        "models",
        "export",
        "Demo",
        str(tmp_path / "no" / "dir.yaml"),
        message="cannot write",
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: model\n  format: 1\n")
    refused(
        "--url", url, "models", "import", str(bad), message="the YAML text does not parse at line 2"
    )
    assert not (tmp_path / "x.yaml").exists()


def test_unexpected_errors_keep_their_traceback(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("workbench.demo.build_tree", broken)
    result = run("--url", url, "demo")
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError) and "error: " not in result.stderr


def test_main_and_module_entry_points(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["workbench", "--url", url, "init"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 0
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "definitions" in done.stdout
