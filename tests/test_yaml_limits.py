"""YAML read by the workbench: no anchors or aliases, bounded size, depth, values and integers.

Regression tests for alias bombs: a 572-byte document once ran 37 s and ended in MemoryError.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import MakeModel, owns, refused
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.api.exchange import (
    MAX_YAML_CHARS,
    MAX_YAML_DEPTH,
    dump_yaml,
    export_model,
    import_model,
    load_yaml,
    safe_yaml,
)
from workbench.cli import app

# The classic: nine lists of nine aliases of the one before, a billion "lol"s once expanded.
BILLION_LAUGHS = "\n".join(
    [
        "---",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)
LOADERS = ["libyaml", "python"]


@pytest.fixture(params=LOADERS)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test runs on libyaml's parser (the default) and on PyYAML's own."""
    if request.param == "python":
        monkeypatch.setattr(safe_yaml, "_Loader", safe_yaml._PythonLoader)
    elif not hasattr(safe_yaml, "_LibyamlLoader"):
        pytest.skip("PyYAML is built without libyaml here")
    yield request.param


def _refused(text: str, match: str) -> None:
    with pytest.raises(wb.InvalidValue, match=match) as info:
        load_yaml(text)
    assert isinstance(info.value, ValueError) and isinstance(info.value, wb.WorkbenchError)


# -- anchors and aliases -------------------------------------------------------------------------


def test_billion_laughs_is_refused_at_once(loader: str) -> None:
    started = time.process_time()
    _refused(
        BILLION_LAUGHS,
        r"^the YAML text is refused at line 2, column 4: it holds the anchor '&a'; anchors and "
        r"aliases are not accepted \(write each value out in full\)$",
    )
    assert time.process_time() - started < 10  # expanded: minutes, then out of memory


@pytest.mark.parametrize(
    ("text", "where", "found"),
    [
        ("a: 1\nb: *a\n", "line 2, column 4", "the alias '*a'"),
        ("- &x 1\n", "line 1, column 3", "the anchor '&x'"),
        ("base: &base\n  x: 1\nother:\n  <<: *base\n", "line 1, column 7", "the anchor '&base'"),
        ("[1, &l [2]]", "line 1, column 5", "the anchor '&l'"),
    ],
)
def test_anchors_and_aliases_are_refused_where_they_are(
    loader: str, text: str, where: str, found: str
) -> None:
    _refused(text, rf"refused at {where}: it holds {re.escape(found)}; anchors")


def test_an_import_with_an_alias_is_refused_and_creates_nothing(ws: wb.Workspace) -> None:
    text = (
        "kind: model_definition\nformat: 1\nname: Grid\n"
        "metadata:\n  a: &a [x, x, x]\n  b: [*a, *a, *a]\n"
    )
    refused(
        ws,
        wb.InvalidValue,
        "line 5, column 6: it holds the anchor '&a'",
        lambda: wb.import_definition(ws, load_yaml(text)),
    )


# -- size, depth, values, integers ---------------------------------------------------------------


def test_the_size_is_checked_before_parsing() -> None:
    started = time.process_time()
    text = "#" * MAX_YAML_CHARS + "\n["  # one character too many, and it would not parse
    _refused(
        text,
        rf"^the YAML text is {MAX_YAML_CHARS + 2:,} characters long; at most "
        rf"{MAX_YAML_CHARS:,} are read$",
    )
    assert time.process_time() - started < 10  # parsed: far longer (bound loose: CI)
    assert load_yaml("#" * (MAX_YAML_CHARS - 4) + "\n[1]") == [1]


def test_bytes_are_read_and_measured_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_yaml("name: Æ\n".encode()) == {"name": "Æ"}
    monkeypatch.setattr(safe_yaml, "MAX_YAML_CHARS", 8)
    _refused("name: Æ\n".encode(), "is 9 bytes long; at most 8 are read")


def _nested_lists(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _nested_mappings(depth: int) -> str:
    return "".join(f"{'  ' * i}k:\n" for i in range(depth - 1)) + f"{'  ' * (depth - 1)}k: 1\n"


@pytest.mark.parametrize("nested", [_nested_lists, _nested_mappings])
def test_nesting_deeper_than_the_limit_is_refused(
    loader: str, nested: Callable[[int], str]
) -> None:
    deepest = load_yaml(nested(MAX_YAML_DEPTH))
    for _ in range(MAX_YAML_DEPTH - 1):
        deepest = deepest[0] if isinstance(deepest, list) else deepest["k"]
    assert deepest in ([1], {"k": 1})
    _refused(
        nested(MAX_YAML_DEPTH + 1),
        rf"refused at line \d+, column \d+: its values nest more than {MAX_YAML_DEPTH} levels",
    )
    started = time.process_time()
    _refused(nested(MAX_YAML_DEPTH * 4), f"nest more than {MAX_YAML_DEPTH} levels")
    assert time.process_time() - started < 5  # stops at the limit, before the end


def test_a_model_sixty_generations_deep_fits(
    sqlite_ws: wb.Workspace, make_model: MakeModel
) -> None:
    made = make_model(
        sqlite_ws, "Chain", definition="Chain", types={"Link": {"Next": owns("Link")}}
    )
    obj = model = made.model
    link = made.types["Link"]
    for i in range(59):
        obj = obj.add_child("Next", f"L{i}", link)
    text = dump_yaml(export_model(model))
    model.delete(recursive=True)
    assert dump_yaml(export_model(import_model(sqlite_ws, load_yaml(text)))) == text


def test_more_values_than_the_limit_are_refused(
    loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safe_yaml, "MAX_YAML_NODES", 10)
    assert load_yaml("[1, 2, 3, 4, 5, 6, 7, 8, 9]") == list(range(1, 10))  # ten with the list
    _refused("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", "line 1, column 29: it holds more than 10 values")


def test_long_integers_are_refused_before_they_are_computed(loader: str) -> None:
    started = time.process_time()
    # Base 60, a 1:1:1:... integer costs time quadratic in its length (hours for megabytes).
    _refused("n: 1" + ":1" * 100_000, r"line 1, column 4: an integer of 200,001 characters")
    assert time.process_time() - started < 10  # computed: hours (bound loose: CI)
    assert load_yaml("- 1:30\n- 0x1F\n- 1_000\n- 12:30:00\n") == [90, 31, 1000, 45000]
    assert load_yaml("n: " + "7" * safe_yaml.MAX_YAML_NUMBER_CHARS)["n"] % 10 == 7


def test_what_is_not_text_is_refused() -> None:
    not_text: Any = Path("x.yaml")
    _refused(not_text, r"^load_yaml reads YAML text \(str or bytes\), got PosixPath$")


# -- what is still read --------------------------------------------------------------------------


def test_parse_errors_and_unsafe_tags_still_name_where(loader: str) -> None:
    _refused("a: 1\n  b: 2\n", r"does not parse at line 2, column 4: mapping values are not")
    _refused("--- 1\n--- 2\n", "line 2, column 1: expected a single document in the stream, but")
    _refused("!!python/object/apply:os.system [ls]", "line 1, column 1: could not determine a con")


_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_DATA)
@settings(max_examples=150, deadline=None)
def test_exported_data_reads_back_the_same_on_both_parsers(data: Any) -> None:
    text = dump_yaml(data)
    assert load_yaml(text) == data
    assert safe_yaml._PythonLoader(text).get_single_data() == data


def test_export_never_writes_anchors(loader: str) -> None:
    shared_list, shared_map = [1.5, "two"], {"x": [1, 2]}
    data = {"a": shared_list, "b": shared_list, "c": shared_map, "d": [shared_map, shared_map]}
    text = dump_yaml(data)
    assert "&" not in text and "*" not in text
    assert load_yaml(text) == data


# -- the command line ----------------------------------------------------------------------------


def _cli(url: str, *args: str, input: str | None = None) -> Result:
    env = {"WORKBENCH_URL": None, "WORKBENCH_USER": None, "WORKBENCH_SECRET": None}
    return CliRunner().invoke(app, ["--url", url, *args], input=input, env=env)


def _cli_refused(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_the_import_commands_refuse_aliases(sqlite_url: str, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BILLION_LAUGHS)
    _cli_refused(_cli(sqlite_url, "definitions", "import", str(bomb)), "line 2, column 4")
    _cli_refused(_cli(sqlite_url, "models", "import", "-", input=BILLION_LAUGHS), "'&a'")
    assert _cli(sqlite_url, "definitions", "list").stdout == ""
    assert _cli(sqlite_url, "models", "list").stdout == ""


def test_the_import_commands_read_no_more_than_the_limit(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.api.exchange as exchange

    monkeypatch.setattr(exchange, "MAX_YAML_CHARS", 100)
    big = tmp_path / "big.yaml"
    big.write_text("#" * 101)
    expected = "it holds more than 100 characters, the most read"
    _cli_refused(_cli(sqlite_url, "definitions", "import", str(big)), f"'{big}': {expected}")
    _cli_refused(_cli(sqlite_url, "models", "import", "-", input="#" * 101), f"'-': {expected}")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: Æ".encode("latin-1"))
    _cli_refused(_cli(sqlite_url, "definitions", "import", str(bad)), "it is not UTF-8 text")
