"""The console's words for weekly hours, holidays, dated closures, the overflow chain editor and the route preview, in French and English."""

FR: dict[str, str] = {
}

EN: dict[str, str] = {
}
