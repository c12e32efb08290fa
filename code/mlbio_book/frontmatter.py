"""A chapter's front matter: read with jupytext, validated against one JSON Schema.

A chapter declares, in its YAML front matter::

    mlbio:
      levels: [novice, intermediate]          # see mlbio_book.levels
      objectives: ["...", "..."]              # what a reader will be able to do
      prerequisites: ["...", ...]             # may be empty
      time_read: 20 min
      time_run: 1 min
      description: "..."                      # optional, for link previews
      prepare: [melanoma-tables]              # optional, see mlbio.prepare

The schema is ``chapter.schema.json`` beside this module. Everything that shows or checks this
block (the ``{chapter-info}`` box, the instructors' table, the page description, the tests) calls
:func:`chapter_meta`.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jupytext
from mlbio.prepare import STEPS

from mlbio_book.levels import LEVELS

SCHEMA_FILE = Path(__file__).with_name("chapter.schema.json")


class ChapterMetaError(ValueError):
    """A chapter's front matter lacks a field or has a wrong value."""


@cache
def _schema() -> dict[str, Any]:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    schema["definitions"]["level"] = {"enum": list(LEVELS)}
    schema["definitions"]["prepare_step"] = {"enum": list(STEPS)}
    jsonschema.Draft7Validator.check_schema(schema)
    return schema


def schema() -> dict[str, Any]:
    """The JSON Schema of a chapter's front matter (a copy)."""
    return copy.deepcopy(_schema())


def read_front_matter(path: Path) -> dict[str, Any]:
    """The YAML front matter of a MyST file, as jupytext reads it (the notebook's metadata)."""
    return dict(jupytext.read(path, fmt="md:myst").metadata)


def _field(error: jsonschema.ValidationError) -> str:
    parts = ""
    for key in error.absolute_path:
        parts += f"[{key}]" if isinstance(key, int) else (f".{key}" if parts else str(key))
    return parts or "(front matter)"


def problems(front_matter: dict[str, Any], path: Path | str = "<chapter>") -> list[str]:
    """Every way a front matter breaks the schema, each naming the file and the field."""
    validator = jsonschema.Draft7Validator(_schema())
    found = []
    for error in sorted(validator.iter_errors(front_matter), key=lambda e: list(e.path)):
        where = _field(error)
        if error.validator == "required":
            missing = error.message.split("'")[1]
            where = f"{where}.{missing}" if error.absolute_path else missing
            message = "is missing"
        else:
            message = error.message
        found.append(f"{path}: front matter field '{where}' {message}.")
    return found


def chapter_meta(path: Path) -> dict[str, Any]:
    """The validated ``mlbio`` block of a chapter.

    Raises
    ------
    ChapterMetaError
        Naming the file and every field that is missing or wrong.

    """
    front_matter = read_front_matter(Path(path))
    found = problems(front_matter, path)
    if found:
        raise ChapterMetaError("\n".join(found))
    return front_matter["mlbio"]
