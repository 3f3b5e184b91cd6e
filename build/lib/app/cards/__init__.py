"""Printed card batches: codes, QR symbols, print sheets and anonymous daily scan counts.

Plain functions that take a database session; the admin and public routes are thin around them.
"""
