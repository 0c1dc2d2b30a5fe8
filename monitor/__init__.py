"""edu-monitor: watch education authorities' informatization and cybersecurity publications."""

__version__ = "0.1.0"
