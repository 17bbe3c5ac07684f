"""The domain: letters, people, problems, results. Plain data, no I/O."""
