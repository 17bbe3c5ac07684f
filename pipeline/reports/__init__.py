"""定期通报: the office's periodic report on its work, re-derived from the case records and the
audit log (never from a counter of its own), as .docx, PDF and .xlsx."""
