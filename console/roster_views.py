"""Console pages for the roster (listeners, pools, shifts), a listener's own status and the live board."""
