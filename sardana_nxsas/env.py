"""The MacroServer environment variables this package reads, each named once."""
