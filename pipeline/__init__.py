"""credit-letters: answer credit-record query letters (信用查询函件自动办理).

The flow is one way: read (file -> Document) -> extract (Document -> Letter)
-> check (Letter -> results) -> reply (results -> letter files).
"""

__version__ = "0.1.0"
