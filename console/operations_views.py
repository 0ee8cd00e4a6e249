"""Console pages for call categories, nuisance flags and the directory of local associations."""
