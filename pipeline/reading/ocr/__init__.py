"""OCR internals for scanned letters: model access (engine), page images
(images), clean-up before recognition (preprocess) and rebuilding lines and
the roster table from recognised boxes (layout). Only
pipeline.reading.ocr_reader is meant to be used from outside."""
