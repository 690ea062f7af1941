"""Lens files: read and write operational-readiness lenses (pure Python, no Django).

Two formats are supported: opsx's own YAML (``"yaml"``) and the AWS Well-Architected Tool custom
lens JSON (``"aws"``). Both load into the same frozen :class:`Lens`, so a lens can be converted
between them and compared by :meth:`Lens.fingerprint`. See docs/lens-format.md.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Literal

from reviews.lensfile.aws import dump_aws, parse_aws
from reviews.lensfile.conditions import ConditionSyntaxError, evaluate, parse_condition
from reviews.lensfile.diff import LensDiff, diff_documents
from reviews.lensfile.errors import LensFormatError, LensFormatWarning, LensIssue
from reviews.lensfile.model import (
    MAX_FILE_BYTES,
    AdditionalResource,
    Choice,
    Lens,
    Pillar,
    Question,
    Resource,
    ResourceType,
    Risk,
    RiskRule,
    too_large_issue,
)
from reviews.lensfile.opsx_yaml import dump_yaml, parse_yaml

Format = Literal["yaml", "aws"]
FORMATS: tuple[Format, ...] = ("yaml", "aws")
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "lenses"

__all__ = [
    "AdditionalResource",
    "Choice",
    "ConditionSyntaxError",
    "Format",
    "Lens",
    "LensFormatError",
    "LensDiff",
    "LensFormatWarning",
    "LensIssue",
    "MAX_FILE_BYTES",
    "Pillar",
    "Question",
    "Resource",
    "ResourceType",
    "Risk",
    "RiskRule",
    "builtin_lens_path",
    "compare",
    "detect_format",
    "diff_documents",
    "dump",
    "evaluate",
    "load",
    "load_with_warnings",
    "too_large_issue",
    "parse_condition",
]


def detect_format(text_or_bytes: str | bytes, filename: str | None = None) -> Format:
    """Pick a format: by extension (``.json`` → aws, ``.yaml``/``.yml`` → yaml), else by content.

    Content that starts with ``{`` (after whitespace and a byte order mark) is JSON, anything else YAML.
    """
    if filename:
        suffix = Path(filename).suffix.lower()
        if suffix == ".json":
            return "aws"
        if suffix in (".yaml", ".yml"):
            return "yaml"
    head = text_or_bytes[:64]
    if isinstance(head, bytes):
        head = head.decode("utf-8", errors="replace")
    return "aws" if head.lstrip("\ufeff \t\r\n").startswith("{") else "yaml"


def load_with_warnings(
    text_or_bytes: str | bytes, filename: str | None = None, fmt: Format | None = None, *, strict: bool = False
) -> tuple[Lens, list[LensIssue]]:
    """Parse a lens and also return what was repaired or accepted with a warning.

    Raises :class:`LensFormatError`. With ``strict``, every warning is an error instead: the file is
    accepted only if it needs no repair at all.
    """
    chosen = fmt or detect_format(text_or_bytes, filename)
    if chosen not in FORMATS:
        raise ValueError(f"unknown lens format {fmt!r}; expected one of {', '.join(FORMATS)}")
    parse = parse_aws if chosen == "aws" else parse_yaml
    size = len(text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes)
    if size > MAX_FILE_BYTES:  # both formats: read nothing of a file this large
        raise LensFormatError([too_large_issue(size)])
    try:
        lens, issues = parse(text_or_bytes)
    except RecursionError:
        # Python's JSON and YAML readers recurse once per level: `[[[[...]]]]` thousands deep is hostile
        # input, refused like any other malformed file (never a 500).
        raise LensFormatError([LensIssue("", "nested too deeply to be a lens")]) from None
    except LensFormatError as exc:
        if strict and exc.warnings:
            raise LensFormatError([*exc.errors, *(w.refused() for w in exc.warnings)]) from None
        raise
    if strict and issues:
        raise LensFormatError([w.refused() for w in issues])
    return lens, issues


def load(
    text_or_bytes: str | bytes, filename: str | None = None, fmt: Format | None = None, *, strict: bool = False
) -> Lens:
    """Parse a lens file; every repair or accepted oddity is reported as a :class:`LensFormatWarning`.

    Either the whole file is valid and a :class:`Lens` is returned, or :class:`LensFormatError` is
    raised listing every problem found.
    """
    lens, issues = load_with_warnings(text_or_bytes, filename=filename, fmt=fmt, strict=strict)
    for issue in issues:
        warnings.warn(str(issue), LensFormatWarning, stacklevel=2)
    return lens


def dump(lens: Lens, fmt: Format = "yaml") -> str:
    """Serialise a lens; raises :class:`LensFormatError` if it is invalid or cannot be expressed in ``fmt``."""
    if fmt == "yaml":
        return dump_yaml(lens)
    if fmt == "aws":
        return dump_aws(lens)
    raise ValueError(f"unknown lens format {fmt!r}; expected one of {', '.join(FORMATS)}")


def compare(before: Lens, after: Lens) -> LensDiff:
    """What changed from one lens to another (see :mod:`reviews.lensfile.diff`)."""
    return diff_documents(before.to_dict(), after.to_dict())


def builtin_lens_path(name: str = "operational-readiness") -> Path:
    """Path of a lens shipped with opsx in ``reviews/lenses/``."""
    return BUILTIN_DIR / f"{name}.yaml"
