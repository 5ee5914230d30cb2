"""Dependencies point one way (the contracts in .importlinter, checked by import-linter).

base (errors, config, models, storage, tokens, flags) <- data <- sim <- llm <- tracing
<- evals / retrieval / guardrails / baselines <- notebooks runner <- cli; the simulator never
imports the client, retrieval, data or tracing; the course never imports the autograder.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is missing: make setup installs it with the dev extra"
    done = subprocess.run(
        [lint, "--config", str(ROOT / ".importlinter")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"a dependency points the wrong way:\n{done.stdout[-3000:]}"
    assert "0 broken" in done.stdout, done.stdout[-2000:]
