"""The watched inbox's edge over the case core (pipeline.cases): watch the folder, hand each
complete letter to the core once, import dropped list files, and answer what clerks ask."""
