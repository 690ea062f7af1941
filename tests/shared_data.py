"""Real lens files from the workplace's shared data (../shared/data/lenses beside the repository).

They are not copied into the repository; tests that need them skip with a reason when they are absent.
OPSX_SHARED_DATA points elsewhere if the checkout does not sit beside shared/.
"""

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("OPSX_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
SHARED_LENSES = SHARED_DATA / "lenses"
SHARED_LENS_FILES = sorted(SHARED_LENSES.glob("*.json")) if SHARED_LENSES.is_dir() else []
needs_shared_lenses = pytest.mark.skipif(
    not SHARED_LENS_FILES, reason=f"shared lens files not found in {SHARED_LENSES} (set OPSX_SHARED_DATA)"
)
