"""Operator-editable alerting data: default routes and message templates."""
