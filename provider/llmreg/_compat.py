"""What Python 3.10 lacks and llmreg uses: ``StrEnum`` and ``UTC``."""

from __future__ import annotations

import enum
import sys
from datetime import timezone

UTC = timezone.utc

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - exercised by the Python 3.10 CI run

    class StrEnum(str, enum.Enum):
        """An Enum whose members are strings and print as their value (3.11's StrEnum)."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return str(self.value).__format__(spec)


__all__ = ["UTC", "StrEnum"]
