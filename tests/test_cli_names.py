"""``--algorithm``/``--variant`` name what they select; ``--plugin``/``--backbone`` stay as aliases."""

from __future__ import annotations

import pytest

from strbench.cli.main import build_parser
from strbench.plugin.host import PluginHost

COMMANDS = (["run"], ["bench"], ["infer", "x.png"], ["export", "-o", "m.onnx"], ["train", "--train-data", "d", "--output-dir", "o"],
            ["weights", "import", "a.tar", "b.safetensors"])


@pytest.fixture(scope="module")
def parser():
    return build_parser(PluginHost(autoload=False))


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0] if c[0] != "weights" else "weights-import")
@pytest.mark.parametrize("flags", (["--algorithm", "rare", "--variant", "mv3"], ["--plugin", "rare", "--backbone", "mv3"]))
def test_algorithm_and_variant_with_their_aliases(parser, command: list[str], flags: list[str]) -> None:
    args = parser.parse_args([*command[:2 if command[0] == "weights" else 1], *flags,
                              *command[2 if command[0] == "weights" else 1:]])
    assert (args.algorithm, args.variant) == ("rare", "mv3")


def test_help_names_algorithm_and_variant(parser, capsys) -> None:
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--help"])
    out = capsys.readouterr().out
    assert "--algorithm NAME, --plugin NAME" in out and "--variant VARIANT, --backbone VARIANT" in out
