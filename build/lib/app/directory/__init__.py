"""The help-service directory: listing files, import, search, opening hours and Open Referral UK."""
