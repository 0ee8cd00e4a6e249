"""The console's words for listeners, their pools, skills and shifts, a listener's own page and the live board, in French and English."""

FR: dict[str, str] = {
}

EN: dict[str, str] = {
}
