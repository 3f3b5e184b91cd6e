"""Translation review: items, checks and suggestions, live corrections and export."""
