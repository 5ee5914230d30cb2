"""pyproject.toml and environment.yml install the same thing (with the dev and cohort extras)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    expected = set(project["dependencies"]) | set(extras["dev"]) | set(extras["cohort"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {line for line in pip_section if not line.startswith("-e")}
    assert listed == expected, (
        f"only in pyproject: {sorted(expected - listed)}; only in environment.yml: "
        f"{sorted(listed - expected)}"
    )
    assert "-e .[dev,cohort]" in pip_section, "environment.yml must install the project itself"


def test_python_versions_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_python = next(
        d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python=")
    )
    minimum = project["requires-python"].removeprefix(">=")
    assert conda_python.removeprefix("python=") == minimum
