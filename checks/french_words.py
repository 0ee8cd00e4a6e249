"""French as a caller should hear it: slips a check can name (an article missing, one not contracted, an elision
missed), shared by the checks of what callers and listeners hear."""

from __future__ import annotations

import re

# A forward label without its article ("avec 107"), and articles French contracts.
FRENCH_SLIPS = [
    (re.compile(r"\b(avec|par) (?=\d)"), "number without its article (« avec le 107 », « par le 3977 »)"),
    # A common noun needs its article ("avec l'équipe d'écoute"); a proper name does not ("avec Télé-Accueil").
    (re.compile(r"mettons en relation avec (?!(le|la|les|l'|l’|un|une|votre|vos|notre|nos|ce|cette)\b|[A-ZÀ-Ý])"),
     "forward label without its article"),
    (re.compile(r"\b[dD]e le\b|\b[àÀ] le\b|\b[dD]e les\b|\b[àÀ] les\b"), "article not contracted (du, au, des, aux)"),
    (re.compile(r"\b([Ll]e|[Ll]a|[Dd]e|[Ll]es) \1\b"), "word doubled"),
    (re.compile(r"\b(le|la|de|que|ce) (?=[aeiouéèêâîô]\w)|\bsi ils?\b", re.I), "missing elision (l', d', qu'...)"),
    (re.compile(r"\b[LlDdQq]u?[’'] "), "space after an apostrophe"),
]
ELISION_EXCEPTIONS = re.compile(r"\b(le|la|de) (huit|onze|oui)\b", re.I)


def french_slips(text: str) -> list[str]:
    slips = []
    for pattern, what in FRENCH_SLIPS:
        match = pattern.search(text)
        if match and not (what.startswith("missing elision") and ELISION_EXCEPTIONS.match(text[match.start():])):
            slips.append(what)
    return slips


def unique(findings: list[str]) -> list[str]:
    return list(dict.fromkeys(findings))
