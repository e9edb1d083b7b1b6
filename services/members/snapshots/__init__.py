"""Snapshots of current members, republished as events so that other services can rebuild
their views of members (``alumnet members republish``)."""
