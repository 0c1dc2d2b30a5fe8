"""Alembic migrations of edu-monitor's database (packaged so `edu-monitor db upgrade` finds them)."""
