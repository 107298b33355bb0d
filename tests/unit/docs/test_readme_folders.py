"""The README's architecture table gives every top-level folder of the repository one line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def tracked_top_level_folders() -> set[str]:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return {path.split("/", 1)[0] for path in files if "/" in path}


def test_every_top_level_folder_has_a_line_in_the_readme() -> None:
    listed = set(re.findall(r"^\| `([^`/]+)/` \|", (ROOT / "README.md").read_text(), re.MULTILINE))
    folders = tracked_top_level_folders()
    assert "text_embedding" in folders  # the walk sees the packages
    assert folders - listed == set(), "README's folder table lacks these; give each one line"
    assert listed - folders == set(), "README's folder table lists folders that no longer exist"
