"""The watched inbox's edge over the case core (pipeline.cases), with the inbox's rules in one place:
which files are letters (files), taking each whole and once (intake, bundles), watching the folder
(watcher), importing dropped list files (lists), and the service loop that runs them (run)."""
