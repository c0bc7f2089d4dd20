"""``python -m llmreg.plugin.schema``: print the plugin's package schema (scripts/gen-sdk)."""

from __future__ import annotations

import json

from .. import __version__
from ._schema import schema

if __name__ == "__main__":
    print(json.dumps(schema(__version__), indent=2, sort_keys=True))
