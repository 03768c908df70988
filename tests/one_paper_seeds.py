"""A seeds folder of one paper, so that building a default collection in a test stays quick."""

from __future__ import annotations

import json
from pathlib import Path

SEED = {"title": "Lunar Regolith Simulants for Rover Wheel Tests",
        "abstract": "Rover wheels are tested on lunar regolith simulants. We compare three simulants by the wheel slip they "
                    "cause and find that the cheapest one matches the Apollo soil measurements within 5%."}


def one_paper_seeds(directory: Path) -> Path:
    """directory/seeds holding SEED alone, as a JSON Lines file; returns the folder."""
    seeds = directory / "seeds"
    seeds.mkdir()
    (seeds / "seed.jsonl").write_text(json.dumps(SEED) + "\n", encoding="utf-8")
    return seeds
