"""Console pages for the directory of local victim-support associations and coordinators' phone access."""
