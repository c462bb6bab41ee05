"""The README stays true: its example scenario validates and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

from generator.scenario import loads

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_example_scenario_is_valid() -> None:
    block = re.search(r"```yaml\n(.*?)```", README, re.DOTALL)
    assert block is not None

    scenario = loads(block.group(1).encode(), Path("README.md"))

    assert [case.name for case in scenario.cases] == ["base", "bear", "bull"]
    assert scenario.sensitivity_year == 2028


def test_ci_runs_exactly_the_readme_test_command() -> None:
    commands = re.findall(r"```bash\n(.*?)\n```", README, re.DOTALL)
    assert len(commands) == 2, "the set-up is two commands"
    install, tests = commands
    assert "unitecon generate scenarios/" in install
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(rf"^{re.escape(tests)} \|\| status=\$\?$", ci, re.MULTILINE)
