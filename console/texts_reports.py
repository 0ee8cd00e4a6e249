"""The console's words for reports, charts, coverage and staffing advice, in French and English."""

FR: dict[str, str] = {
}

EN: dict[str, str] = {
}
