"""The catalogue of classic mistakes, one file per assignment: samples/mistakes/<assignment>.json.

Each entry turns a correct answer into a classic wrong one and says what must happen then:

    {"<notebook>.ipynb": [{"cell": "<answer cell id>", "old": "<text of the solution>", "new": "<the mistake>",
                           "caught_by": ["<graded test cell id>", ...], "hint": "<text the failure must show>",
                           "in_sample": true}]}

`in_sample` marks the mistakes that the bundled "buggy" sample student makes (samples/submitted/buggy).
tests/test_mistakes.py runs every entry and checks that exactly its `caught_by` cells fail, with its hint.
"""
import json

from .layout import SAMPLES

CATALOGUE = SAMPLES / "mistakes"


def load_catalogue():
    """[(assignment, notebook file name, mistake dict), ...] for every entry of every assignment."""
    entries = []
    for path in sorted(CATALOGUE.glob("*.json")):
        for notebook, mistakes in json.loads(path.read_text()).items():
            entries.extend((path.stem, notebook, mistake) for mistake in mistakes)
    return entries


def apply(source, mistake):
    """The cell source with the mistake made; fails loudly if the catalogue no longer fits the solution."""
    if mistake["old"] not in source:
        raise ValueError(f"mistake for cell {mistake['cell']}: {mistake['old']!r} is not in the solution any more")
    return source.replace(mistake["old"], mistake["new"], 1)
