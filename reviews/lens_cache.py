"""Parsed lenses, cached in memory by fingerprint.

A stored lens version never changes (a changed file becomes a new version), so its parsed form can
be cached for the life of the process. Rendering a review or saving an answer therefore needs no
query per question: the version row (one query for all of a review's lenses) is enough.
"""

from functools import lru_cache

from reviews import lensfile
from reviews.lensfile import Lens, Question
from reviews.models import LensVersion


@lru_cache(maxsize=256)
def _parse(fingerprint: str, source_yaml: str) -> Lens:
    # Warnings (a question without a default rule, say) were shown when the lens was imported.
    lens, _ = lensfile.load_with_warnings(source_yaml, fmt="yaml")
    return lens


def lens_of(version: LensVersion) -> Lens:
    return _parse(version.fingerprint, version.source_yaml)


def questions_by_id(version: LensVersion) -> dict[str, Question]:
    return {q.id: q for q in lens_of(version).questions()}


def pillar_names(version: LensVersion) -> dict[str, str]:
    return {p.id: p.name for p in lens_of(version).pillars}
