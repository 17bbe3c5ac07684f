"""OFD (GB/T 33190) letters: read into the Document model; rendered to PDF for the console and OCR."""

from pipeline.reading.ofd_reader.reader import read_ofd

__all__ = ["read_ofd"]
