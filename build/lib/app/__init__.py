"""The digital consequences card: a fast, private card page and the services around it."""
