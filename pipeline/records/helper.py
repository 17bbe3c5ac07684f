"""Entry point of the list-parsing helper process; see pipeline/records/parsing.py."""

from pipeline.records.parsing import serve

if __name__ == "__main__":
    serve()
