"""Personal-data handling: normalisation and keyed hashing (Python side and DuckDB UDF)."""

from orchestration.lib.privacy.hashing import (
    keyed_hash,
    normalise_email,
    normalise_national_id,
    normalise_phone,
)

__all__ = ["keyed_hash", "normalise_email", "normalise_national_id", "normalise_phone"]
