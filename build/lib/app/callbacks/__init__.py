"""Callback requests: the form, routing to a youth team, storage and the texts they cause."""
