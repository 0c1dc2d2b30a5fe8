"""Helpers shared by tests: real servers started on 127.0.0.1."""
