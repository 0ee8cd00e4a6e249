"""The console's words for call categories, nuisance flags, local associations and phone overrides, in French and English."""

FR: dict[str, str] = {
}

EN: dict[str, str] = {
}
