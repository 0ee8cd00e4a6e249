"""Day and month names, French and English, as the Unicode CLDR writes them ("wide", Monday first).

Written out rather than asked of Babel at import: Babel's import and its CLDR locale data cost about 9 MB in every
process that loads them, and a webhooks' worker needs only these nineteen names per language to say when a line
reopens. tests/words/test_calendar.py holds them to Babel's CLDR data, which stays the reference.
"""

from __future__ import annotations

WEEKDAYS: dict[str, tuple[str, ...]] = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS: dict[str, tuple[str, ...]] = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
