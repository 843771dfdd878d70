"""python -m gmner <command>: the one CLI, and the scripts that call it."""

import re
from pathlib import Path

import pytest

from gmner.__main__ import COMMANDS, main

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((REPO / "scripts").glob("*.sh"))
CLI_CALL = re.compile(r"-m gmner\s+([\w-]+)")


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, (_, help_) in COMMANDS.items():
        assert re.search(rf"^  {re.escape(name)}\s+{re.escape(help_)}$", out, re.M), name


def test_no_command_prints_usage_and_exits_2(capsys):
    assert main([]) == 2
    assert "commands:" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert f"python -m gmner {name}" in capsys.readouterr().out


def test_underscore_spelling_is_accepted(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["row_int8", "--help"])
    assert exc.value.code == 0


def test_unknown_command_suggests_and_exits_2(capsys):
    assert main(["trian-all"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'trian-all'" in err
    assert "did you mean 'train-all'" in err


def test_unknown_command_without_close_match(capsys):
    assert main(["zzzz"]) == 2
    assert "python -m gmner --help" in capsys.readouterr().err


def test_scripts_call_known_commands():
    calls = {(p.name, c) for p in SCRIPTS for c in CLI_CALL.findall(p.read_text(encoding="utf-8"))}
    assert {"train.sh", "fit-link-prior.sh"} <= {p for p, _ in calls}
    unknown = sorted((p, c) for p, c in calls if c not in COMMANDS)
    assert not unknown, f"scripts call unknown gmner commands: {unknown}"


def test_scripts_use_the_cli_not_modules():
    old = sorted((p.name, m) for p in SCRIPTS for m in re.findall(r"-m (gmner\.\w+)", p.read_text(encoding="utf-8")))
    assert not old, f"scripts still run modules directly, use -m gmner <command>: {old}"
