"""Right to deletion (PIPL / GDPR): erase one person from warehouse, serving and inbox.

Entry points: :func:`erase` (library) and ``python -m orchestration.lib.erasure`` (CLI).
See docs/erasure.md.
"""

from orchestration.lib.erasure.identify import NotAPerson, identify
from orchestration.lib.erasure.run import ErasureReport, erase
from orchestration.lib.erasure.terms import PersonTerms
from orchestration.lib.erasure.verify import Verification, verify

__all__ = [
    "ErasureReport",
    "NotAPerson",
    "PersonTerms",
    "Verification",
    "erase",
    "identify",
    "verify",
]
