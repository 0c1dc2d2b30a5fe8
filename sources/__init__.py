"""The built-in catalog (YAML, one file per authority) and small site modules for pages selectors cannot handle."""
