"""Phone numbers, read and written one way everywhere: E.164, the forms people see or hear, keyed hashes.

Pure: phonenumbers and the standard library only. Every layer may import it; it imports no project package."""
