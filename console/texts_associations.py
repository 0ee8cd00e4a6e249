"""The console's words for the directory of local associations and coordinators' phone access, in French and English."""

FR: dict[str, str] = {
}

EN: dict[str, str] = {
}
