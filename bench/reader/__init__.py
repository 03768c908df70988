"""The reader model: data builder, training, export and evaluation (`make reader`; see docs/READER.md)."""
