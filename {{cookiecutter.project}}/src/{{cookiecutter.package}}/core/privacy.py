"""Privacy checks that need no I/O: forbidden feature names and PII-looking values."""

import fnmatch
import re

import pandas as pd

PATTERNS = {
    "email addresses": re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),
    "phone numbers": re.compile(r"\+?\d[\d ().-]{7,}\d"),
}


def forbidden_features(features: list[str], forbidden: list[str]) -> list[str]:
    """Features whose name matches a forbidden pattern (shell-style, case-insensitive)."""
    return [
        name
        for name in features
        if any(fnmatch.fnmatch(name.lower(), pattern.lower()) for pattern in forbidden)
    ]


def pii_values(frame: pd.DataFrame) -> list[str]:
    """Text columns holding values that look like personal data, as readable findings."""
    found = []
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            continue
        values = frame[column].dropna().astype(str)
        for kind, pattern in PATTERNS.items():
            hits = int(values.map(lambda text: bool(pattern.search(text))).sum())
            if hits:
                found.append(f"column '{column}' has {hits} values that look like {kind}")
    return found
