"""Console pages for reports: traffic, service level, outcomes, coverage and staffing advice."""
