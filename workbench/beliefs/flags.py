"""Quality flags of beliefs: 32 bits stored beside every value."""

from __future__ import annotations

import enum

__all__ = ["Flag"]


class Flag(enum.IntFlag):
    """Quality bits of a belief, stored as ``uint32``; combine them with ``|``.

    The low byte says how good a value is, the second byte how it came to be:

    ============  =======  =====================================================
    name          value    meaning
    ============  =======  =====================================================
    OK            0        nothing to report
    MISSING       1 << 0   no value was available (the value is NaN)
    SUSPECT       1 << 1   the value may be wrong (e.g. an incomplete aggregate)
    NOT_OK        1 << 2   the value is known to be wrong
    MANUAL        1 << 8   entered or edited by a person
    VALIDATED     1 << 9   checked and accepted
    CORRECTED     1 << 10  replaced by a corrected value
    ============  =======  =====================================================

    Bits 3-7 and 11-31 are free for local use.

    >>> int(Flag.SUSPECT | Flag.MANUAL)
    258
    >>> Flag(258)
    <Flag.SUSPECT|MANUAL: 258>
    """

    OK = 0
    MISSING = 1 << 0
    SUSPECT = 1 << 1
    NOT_OK = 1 << 2
    MANUAL = 1 << 8
    VALIDATED = 1 << 9
    CORRECTED = 1 << 10
