"""The live console: pushing calls to the specialists' and supervisors' consoles."""
