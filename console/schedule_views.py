"""Console pages that edit a line's or centre's hours, closures and overflow chain, and preview a call."""
